//! Which (format, modifier) pairs the device can import, sample, render into and export,
//! per handle kind, with their limits: what a compositor advertises through
//! linux-dmabuf feedback and intersects with a KMS plane's IN_FORMATS.

use ash::vk;

use super::{HandleKind, Modifier};
use crate::device::Device;
use crate::format::DrmFourcc;

/// How an image with a given modifier is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tiling {
    /// `VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT` with explicit plane layouts.
    DrmModifier,
    /// `VK_IMAGE_TILING_LINEAR` (LINEAR without the modifier extension).
    Linear,
    /// `VK_IMAGE_TILING_OPTIMAL` (INVALID: opaque fds between identical drivers).
    Optimal,
}

/// What the device can do with one (format, modifier, handle kind).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModifierSupport {
    pub fourcc: DrmFourcc,
    pub modifier: Modifier,
    pub kind: HandleKind,
    pub format: vk::Format,
    pub tiling: Tiling,
    /// Planes of the buffer in memory (`drmFormatModifierPlaneCount`; the format's planes
    /// for LINEAR without the extension).
    pub memory_planes: u32,
    /// The format features with this modifier (or tiling).
    pub features: vk::FormatFeatureFlags,
    /// Importable and sampleable with [`ModifierTable::TEXTURE_USAGE`], and the largest
    /// such image.
    pub texture: Option<vk::Extent2D>,
    /// Importable and renderable with [`ModifierTable::RENDER_USAGE`], and the largest
    /// such image.
    pub render: Option<vk::Extent2D>,
    /// Whether images with [`ModifierTable::RENDER_USAGE`] can be allocated exportable.
    pub exportable: bool,
    /// The memory must be a dedicated allocation.
    pub dedicated_only: bool,
    /// Planes may live in separate memory objects (`VK_FORMAT_FEATURE_DISJOINT_BIT`).
    pub disjoint: bool,
}

/// Every supported (format, modifier, handle kind) of one device.
#[derive(Clone, Debug, Default)]
pub struct ModifierTable {
    device: String,
    entries: Vec<ModifierSupport>,
}

impl ModifierTable {
    /// Usage of imported textures.
    pub const TEXTURE_USAGE: vk::ImageUsageFlags = vk::ImageUsageFlags::from_raw(
        vk::ImageUsageFlags::SAMPLED.as_raw() | vk::ImageUsageFlags::TRANSFER_SRC.as_raw(),
    );
    /// Usage of imported or exported render targets.
    pub const RENDER_USAGE: vk::ImageUsageFlags = vk::ImageUsageFlags::from_raw(
        vk::ImageUsageFlags::COLOR_ATTACHMENT.as_raw()
            | vk::ImageUsageFlags::SAMPLED.as_raw()
            | vk::ImageUsageFlags::TRANSFER_SRC.as_raw(),
    );

    pub fn probe(device: &Device) -> ModifierTable {
        ModifierTable {
            device: device.name().to_string(),
            entries: Vec::new(),
        }
    }

    /// The device the table describes, for error messages.
    pub fn device_name(&self) -> &str {
        &self.device
    }

    pub fn entries(&self) -> &[ModifierSupport] {
        &self.entries
    }

    pub fn find(
        &self,
        fourcc: DrmFourcc,
        modifier: Modifier,
        kind: HandleKind,
    ) -> Option<&ModifierSupport> {
        self.entries
            .iter()
            .find(|e| e.fourcc == fourcc && e.modifier == modifier && e.kind == kind)
    }
}

impl ModifierTable {
    /// The table of the CPU copy fallback: every shm format LINEAR as a dma-buf, up to the
    /// largest image, so that mapped buffers are validated like imported ones.
    pub(crate) fn copy_fallback(
        device: &str,
        formats: &crate::format::FormatTable,
        max_extent: u32,
    ) -> ModifierTable {
        let extent = vk::Extent2D {
            width: max_extent,
            height: max_extent,
        };
        let entries = formats
            .entries()
            .iter()
            .filter(|(_, support)| support.shm())
            .map(|(info, _)| ModifierSupport {
                fourcc: info.fourcc,
                modifier: Modifier::LINEAR,
                kind: HandleKind::DmaBuf,
                format: info.vk,
                tiling: Tiling::Linear,
                memory_planes: 1,
                features: vk::FormatFeatureFlags::SAMPLED_IMAGE,
                texture: Some(extent),
                render: None,
                exportable: false,
                dedicated_only: false,
                disjoint: false,
            })
            .collect();
        ModifierTable {
            device: device.to_string(),
            entries,
        }
    }
}
