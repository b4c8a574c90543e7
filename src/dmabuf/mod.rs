//! Dmabufs: buffers shared with other processes and devices by fd. A [`Dmabuf`] describes
//! one (format, modifier, size, planes); it is validated against the device's
//! [`ModifierTable`] before any Vulkan call, then imported as a texture (zero-copy where
//! the driver can, else copied), rendered into, or allocated here and exported.

pub mod desc;
pub(crate) mod linux;
pub mod modifiers;
pub mod planes;

pub use cache::DmabufPath;
pub use desc::{Dmabuf, DmabufBuilder, DmabufPlane, Purpose, ValidatedLayout, ValidatedPlane};
pub use linux::open_fd_count;
pub use modifiers::{
    DriverModifier, ImageAnswer, ImageQuery, ModifierQueries, ModifierSupport, ModifierTable,
    Tiling,
};
pub use planes::{fourcc_name, plane_layout, PlaneInfo, PlaneLayout};

use std::fmt;

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
    /// The queue family that stands for a buffer's other users in ownership transfers:
    /// another driver or process (dma-bufs: FOREIGN where the device has it), or another
    /// Vulkan instance of this driver (opaque fds: EXTERNAL).
    pub(crate) fn foreign_family(self, device: &crate::Device) -> u32 {
        match self {
            HandleKind::DmaBuf => device.capabilities().foreign_queue_family(),
            HandleKind::OpaqueFd => ash::vk::QUEUE_FAMILY_EXTERNAL,
        }
    }

    pub fn vk(self) -> ash::vk::ExternalMemoryHandleTypeFlags {
        match self {
            HandleKind::DmaBuf => ash::vk::ExternalMemoryHandleTypeFlags::DMA_BUF_EXT,
            HandleKind::OpaqueFd => ash::vk::ExternalMemoryHandleTypeFlags::OPAQUE_FD,
        }
    }
}

/// `opaque-fd` or `dma-buf`, as the modifier table prints them.
impl fmt::Display for HandleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HandleKind::DmaBuf => "dma-buf",
            HandleKind::OpaqueFd => "opaque-fd",
        })
    }
}

mod buffer;
pub(crate) mod cache;
mod export;
pub(crate) mod handover;
mod hostmap;
mod image;
pub(crate) mod implicit;
mod import;
