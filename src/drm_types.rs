//! The plain values of DRM buffers and nodes that every layer, the error type included,
//! talks in: format modifiers, handle kinds, what an imported buffer is for, and why a DRM
//! node is unusable or matches no device. Only the data and its formatting live here; the
//! code that produces and uses them lives in the layers above (`dmabuf`, `core::drm`).

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A DRM format modifier: how a buffer's pixels are laid out in memory (tiling,
/// compression). Vendor-specific; the numbers are drm_fourcc.h's.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Modifier(pub u64);

impl Modifier {
    /// Rows of pixels one after another, `stride` bytes apart.
    pub const LINEAR: Modifier = Modifier(0);
    /// "No explicit modifier": the layout the driver chooses and the buffer's producer and
    /// consumer agree on out of band (for opaque fds: the same driver on the same device).
    pub const INVALID: Modifier = Modifier(0x00ff_ffff_ffff_ffff);
}

impl fmt::Debug for Modifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Modifier::LINEAR => write!(f, "LINEAR"),
            Modifier::INVALID => write!(f, "INVALID"),
            Modifier(m) => write!(f, "{m:#x}"),
        }
    }
}

impl fmt::Display for Modifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What kind of fd a buffer's planes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HandleKind {
    /// A Linux dma-buf (`VK_EXT_external_memory_dma_buf`), from any driver or process.
    DmaBuf,
    /// A Vulkan opaque fd (`VK_KHR_external_memory_fd`): only between devices with the
    /// same device and driver UUID. Each plane must carry the size of the memory object.
    OpaqueFd,
}

impl HandleKind {
    pub fn vk(self) -> ash::vk::ExternalMemoryHandleTypeFlags {
        match self {
            HandleKind::DmaBuf => ash::vk::ExternalMemoryHandleTypeFlags::DMA_BUF_EXT,
            HandleKind::OpaqueFd => ash::vk::ExternalMemoryHandleTypeFlags::OPAQUE_FD,
        }
    }
}

/// `opaque-fd` or `dma-buf`, as the modifier table prints them.
/// A fourcc code for messages: its four characters (`AR24`, trailing spaces dropped), or
/// its number in hex where they are not printable. drm-fourcc's own `Display` and `Debug`
/// panic on such codes (its `Big_endian` flag, 0x80000000, is one), which a client can send.
pub fn fourcc_code(fourcc: u32) -> String {
    let bytes = fourcc.to_le_bytes();
    if bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        String::from_utf8_lossy(&bytes).trim_end().to_string()
    } else {
        format!("{fourcc:#010x}")
    }
}

impl fmt::Display for HandleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HandleKind::DmaBuf => "dma-buf",
            HandleKind::OpaqueFd => "opaque-fd",
        })
    }
}

/// What an imported buffer will be used as: which of its table entry's limits apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Sampled ([`ModifierTable::TEXTURE_USAGE`](crate::dmabuf::ModifierTable::TEXTURE_USAGE)).
    Texture,
    /// Rendered into ([`ModifierTable::RENDER_USAGE`](crate::dmabuf::ModifierTable::RENDER_USAGE)).
    Render,
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Purpose::Texture => "texture",
            Purpose::Render => "render target",
        })
    }
}

/// Why a path, descriptor or device number is not a usable DRM node.
#[derive(Debug, thiserror::Error)]
pub enum DrmError {
    /// The node could not be inspected.
    #[error("{path}: {source}")]
    Io {
        /// The path (or `/proc/self/fd/<n>` for a descriptor) that failed.
        path: PathBuf,
        /// What the system call said.
        source: io::Error,
    },
    /// The node exists but is something else.
    #[error("{what} is not a DRM device node ({why})")]
    NotDrm {
        /// The path, descriptor or device number examined.
        what: String,
        /// What is wrong with it.
        why: String,
    },
}

/// Nothing matched: says what the node is and what every device reported, so that a user
/// can see why. Displayed one line each, e.g.
///
/// ```text
/// no Vulkan device matches /dev/dri/card1 (primary 226:1): render sibling 226:129, PCI address unknown (platform bus or no sysfs entry)
///   - NVIDIA H100: DRM: VK_EXT_physical_device_drm reports no primary and no render node; PCI 0000:01:00.0
///   - llvmpipe: DRM: VK_EXT_physical_device_drm not supported; PCI: VK_EXT_pci_bus_info not supported
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoMatch {
    /// The node and what sysfs tells about it.
    pub node: String,
    /// One line per Vulkan device: its name, DRM ids and PCI address as reported.
    pub devices: Vec<String>,
    /// Reasons matching could not work at all, when they are clear.
    pub hints: Vec<String>,
}

impl fmt::Display for NoMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no Vulkan device matches {}", self.node)?;
        if self.devices.is_empty() {
            write!(f, "\n  the Vulkan loader reports no devices")?;
        }
        for device in &self.devices {
            write!(f, "\n  - {device}")?;
        }
        for hint in &self.hints {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for NoMatch {}
