//! Which (format, modifier) pairs the device can import, sample, render into and export,
//! per handle kind, with their limits: what a compositor advertises through
//! linux-dmabuf feedback and intersects with a KMS plane's IN_FORMATS.
//!
//! The decisions are made from the driver's answers to three questions
//! ([`ModifierQueries`]): the format's modifiers, its tiling features, and whether an
//! image of a given tiling, usage and handle type can exist. [`ModifierTable::probe`]
//! asks Vulkan; tests ask a fake driver.

use std::fmt;

use ash::vk;

use super::planes::{dmabuf_formats, PlaneLayout};
use super::{HandleKind, Modifier};
use crate::core::capabilities::{Capabilities, DmabufImport};
use crate::core::device::Device;
use crate::resources::format::{format_info, DrmFourcc};

/// How an image with a given modifier is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tiling {
    /// `VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT` with explicit plane layouts.
    DrmModifier,
    /// `VK_IMAGE_TILING_LINEAR` (LINEAR without the modifier extension).
    Linear,
    /// `VK_IMAGE_TILING_OPTIMAL` (INVALID: opaque fds between identical drivers).
    Optimal,
}

impl Tiling {
    pub fn vk(self) -> vk::ImageTiling {
        match self {
            Tiling::DrmModifier => vk::ImageTiling::DRM_FORMAT_MODIFIER_EXT,
            Tiling::Linear => vk::ImageTiling::LINEAR,
            Tiling::Optimal => vk::ImageTiling::OPTIMAL,
        }
    }
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
    /// for LINEAR without the extension, and for INVALID).
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

/// One modifier of a format, as `VkDrmFormatModifierPropertiesEXT` lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DriverModifier {
    pub modifier: Modifier,
    pub plane_count: u32,
    pub features: vk::FormatFeatureFlags,
}

/// One `vkGetPhysicalDeviceImageFormatProperties2` question: a 2D image of `format` with
/// this tiling (and `modifier` for [`Tiling::DrmModifier`]), usage and flags, bound to
/// external memory of `kind`, exclusively owned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageQuery {
    pub format: vk::Format,
    pub tiling: Tiling,
    pub modifier: Modifier,
    pub kind: HandleKind,
    pub usage: vk::ImageUsageFlags,
    pub flags: vk::ImageCreateFlags,
}

/// The driver's yes to an [`ImageQuery`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageAnswer {
    pub max_extent: vk::Extent2D,
    /// `VkExternalImageFormatProperties::externalMemoryFeatures`.
    pub external: vk::ExternalMemoryFeatureFlags,
}

impl ImageAnswer {
    fn importable(&self) -> bool {
        self.external
            .contains(vk::ExternalMemoryFeatureFlags::IMPORTABLE)
    }
}

/// What [`ModifierTable::from_queries`] asks the driver. [`ModifierTable::probe`] answers
/// from Vulkan; tests answer as a driver they imitate would.
pub trait ModifierQueries {
    /// The format's DRM modifiers, in the driver's order (asked only with
    /// `VK_EXT_image_drm_format_modifier`).
    fn modifiers(&mut self, format: vk::Format) -> Vec<DriverModifier>;
    /// The format's linear and optimal tiling features.
    fn format_properties(&mut self, format: vk::Format) -> vk::FormatProperties;
    /// `None` when the driver refuses the image.
    fn image_format(&mut self, query: &ImageQuery) -> Option<ImageAnswer>;
}

/// A way to lay out a format in memory that the driver might import: one modifier, or a
/// tiling without modifiers.
struct Candidate {
    modifier: Modifier,
    tiling: Tiling,
    memory_planes: u32,
    features: vk::FormatFeatureFlags,
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

    /// Asks the device about every format vkcompose shares as a dmabuf, for every handle
    /// kind it can import ([`ModifierTable::importable_kinds`]). The answers never change
    /// for a device: probe once and keep the table.
    pub fn probe(device: &Device) -> ModifierTable {
        let mut queries = VulkanQueries {
            instance: device.physical_device().instance().raw(),
            physical: device.physical(),
        };
        let caps = device.capabilities();
        let table = ModifierTable::from_queries(
            device.name(),
            caps.drm_modifiers,
            &ModifierTable::importable_kinds(caps),
            &mut queries,
        );
        for line in table.to_string().lines() {
            tracing::debug!("{line}");
        }
        table
    }

    /// The handle kinds a device with `caps` imports memory from: opaque fds where it
    /// imports them, dma-bufs where it imports them natively.
    pub fn importable_kinds(caps: &Capabilities) -> Vec<HandleKind> {
        let mut kinds = Vec::new();
        if caps.opaque_fd_memory.import {
            kinds.push(HandleKind::OpaqueFd);
        }
        if caps.dmabuf_import == DmabufImport::Native {
            kinds.push(HandleKind::DmaBuf);
        }
        kinds
    }

    /// The table from a driver's answers: for every format and kind, each candidate
    /// layout is kept when it can be imported as a texture or as a render target.
    /// `drm_modifiers` says whether the driver has `VK_EXT_image_drm_format_modifier`.
    pub fn from_queries(
        device: &str,
        drm_modifiers: bool,
        kinds: &[HandleKind],
        queries: &mut impl ModifierQueries,
    ) -> ModifierTable {
        let mut entries = Vec::new();
        for layout in dmabuf_formats() {
            for &kind in kinds {
                for candidate in candidates(&layout, kind, drm_modifiers, queries) {
                    entries.extend(support(&layout, kind, &candidate, queries));
                }
            }
        }
        ModifierTable::from_entries(device, entries)
    }

    /// A table of the given entries, for tests and for tables built elsewhere.
    pub fn from_entries(device: &str, entries: Vec<ModifierSupport>) -> ModifierTable {
        ModifierTable {
            device: device.to_string(),
            entries,
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

    /// The formats and modifiers to advertise for textures of `kind` (linux-dmabuf
    /// feedback's format table), in table order. For dma-bufs INVALID is left out: it
    /// means "the producer's implicit layout", which vkcompose cannot import.
    pub fn texture_formats(&self, kind: HandleKind) -> Vec<(DrmFourcc, Vec<Modifier>)> {
        self.grouped(kind, |e| e.texture.is_some())
    }

    /// The formats and modifiers vkcompose can render into when they come as `kind`.
    pub fn render_formats(&self, kind: HandleKind) -> Vec<(DrmFourcc, Vec<Modifier>)> {
        self.grouped(kind, |e| e.render.is_some())
    }

    /// The modifiers with which a render target of `fourcc` can be allocated here and
    /// exported as `kind`.
    pub fn exportable_modifiers(&self, fourcc: DrmFourcc, kind: HandleKind) -> Vec<Modifier> {
        self.entries
            .iter()
            .filter(|e| e.fourcc == fourcc && e.kind == kind && e.exportable)
            .map(|e| e.modifier)
            .collect()
    }

    fn grouped(
        &self,
        kind: HandleKind,
        keep: impl Fn(&ModifierSupport) -> bool,
    ) -> Vec<(DrmFourcc, Vec<Modifier>)> {
        let mut formats: Vec<(DrmFourcc, Vec<Modifier>)> = Vec::new();
        let wanted = self.entries.iter().filter(|e| {
            e.kind == kind
                && keep(e)
                && !(kind == HandleKind::DmaBuf && e.modifier == Modifier::INVALID)
        });
        for entry in wanted {
            match formats.iter_mut().find(|(f, _)| *f == entry.fourcc) {
                Some((_, modifiers)) => modifiers.push(entry.modifier),
                None => formats.push((entry.fourcc, vec![entry.modifier])),
            }
        }
        formats
    }
}

/// The layouts to ask about for one format and kind: the driver's modifiers (or LINEAR
/// as linear tiling without the extension), and for opaque fds INVALID as optimal
/// tiling, which only another instance of the same driver can read.
fn candidates(
    layout: &PlaneLayout,
    kind: HandleKind,
    drm_modifiers: bool,
    queries: &mut impl ModifierQueries,
) -> Vec<Candidate> {
    let properties = queries.format_properties(layout.format);
    let format_planes = layout.plane_count() as u32;
    let mut out: Vec<Candidate> = if drm_modifiers {
        queries
            .modifiers(layout.format)
            .into_iter()
            // INVALID is never a real modifier; it stands for optimal tiling below.
            .filter(|m| m.modifier != Modifier::INVALID)
            // A plane count Vulkan cannot have (none, fewer than the format's planes, more
            // than four memory planes) is a driver's mistake; such a buffer could not be
            // described to Vulkan. (Found by fuzz/dmabuf_layout: 0 let a planeless buffer
            // through validation.)
            .filter(|m| (format_planes..=4).contains(&m.plane_count))
            .map(|m| Candidate {
                modifier: m.modifier,
                tiling: Tiling::DrmModifier,
                memory_planes: m.plane_count,
                features: m.features,
            })
            .collect()
    } else {
        vec![Candidate {
            modifier: Modifier::LINEAR,
            tiling: Tiling::Linear,
            memory_planes: format_planes,
            features: properties.linear_tiling_features,
        }]
    };
    if kind == HandleKind::OpaqueFd {
        out.push(Candidate {
            modifier: Modifier::INVALID,
            tiling: Tiling::Optimal,
            memory_planes: format_planes,
            features: properties.optimal_tiling_features,
        });
    }
    out
}

/// The table entry for one candidate, or `None` when it is neither a texture nor a render
/// target.
fn support(
    layout: &PlaneLayout,
    kind: HandleKind,
    candidate: &Candidate,
    queries: &mut impl ModifierQueries,
) -> Option<ModifierSupport> {
    let mut ask = |usage: vk::ImageUsageFlags, flags: vk::ImageCreateFlags| {
        // The features are the contract (images may only be created with usages their
        // features allow); do not trust a driver that would accept more.
        if !candidate.features.contains(features_for(usage)) {
            return None;
        }
        queries.image_format(&ImageQuery {
            format: layout.format,
            tiling: candidate.tiling,
            modifier: candidate.modifier,
            kind,
            usage,
            flags,
        })
    };
    let no_flags = vk::ImageCreateFlags::empty();
    let texture = ask(ModifierTable::TEXTURE_USAGE, no_flags);
    // Render targets need an identity view; formats that reorder channels through the
    // view's swizzle would be written in the wrong order.
    let reorders = format_info(layout.fourcc).is_some_and(|info| info.reorders_channels());
    let render = if reorders {
        None
    } else {
        ask(ModifierTable::RENDER_USAGE, no_flags)
    };
    let importable = |a: &Option<ImageAnswer>| a.filter(ImageAnswer::importable);
    let (texture_import, render_import) = (importable(&texture), importable(&render));
    if texture_import.is_none() && render_import.is_none() {
        return None;
    }
    let disjoint_usage = if texture_import.is_some() {
        ModifierTable::TEXTURE_USAGE
    } else {
        ModifierTable::RENDER_USAGE
    };
    let disjoint = candidate
        .features
        .contains(vk::FormatFeatureFlags::DISJOINT)
        && importable(&ask(disjoint_usage, vk::ImageCreateFlags::DISJOINT)).is_some();
    let has = |a: Option<ImageAnswer>, feature| a.is_some_and(|a| a.external.contains(feature));
    Some(ModifierSupport {
        fourcc: layout.fourcc,
        modifier: candidate.modifier,
        kind,
        format: layout.format,
        tiling: candidate.tiling,
        memory_planes: candidate.memory_planes,
        features: candidate.features,
        texture: texture_import.map(|a| a.max_extent),
        render: render_import.map(|a| a.max_extent),
        exportable: has(render, vk::ExternalMemoryFeatureFlags::EXPORTABLE),
        dedicated_only: [texture_import, render_import]
            .into_iter()
            .any(|a| has(a, vk::ExternalMemoryFeatureFlags::DEDICATED_ONLY)),
        disjoint,
    })
}

/// The format features an image with `usage` needs.
fn features_for(usage: vk::ImageUsageFlags) -> vk::FormatFeatureFlags {
    use vk::FormatFeatureFlags as F;
    use vk::ImageUsageFlags as U;
    [
        (U::SAMPLED, F::SAMPLED_IMAGE),
        (U::TRANSFER_SRC, F::TRANSFER_SRC),
        (U::TRANSFER_DST, F::TRANSFER_DST),
        (U::COLOR_ATTACHMENT, F::COLOR_ATTACHMENT),
    ]
    .into_iter()
    .filter(|&(u, _)| usage.contains(u))
    .fold(F::empty(), |all, (_, f)| all | f)
}

/// The driver's answers through Vulkan.
struct VulkanQueries<'a> {
    instance: &'a ash::Instance,
    physical: vk::PhysicalDevice,
}

impl ModifierQueries for VulkanQueries<'_> {
    fn modifiers(&mut self, format: vk::Format) -> Vec<DriverModifier> {
        // First the count, then the list into storage of that size.
        let mut count_only = vk::DrmFormatModifierPropertiesListEXT::default();
        let mut properties = vk::FormatProperties2::default().push_next(&mut count_only);
        // SAFETY: a plain query with a valid output chain; the physical device belongs
        // to this live instance.
        unsafe {
            self.instance.get_physical_device_format_properties2(
                self.physical,
                format,
                &mut properties,
            )
        };
        let count = count_only.drm_format_modifier_count as usize;
        let mut listed = vec![vk::DrmFormatModifierPropertiesEXT::default(); count];
        let mut list = vk::DrmFormatModifierPropertiesListEXT::default()
            .drm_format_modifier_properties(&mut listed);
        let mut properties = vk::FormatProperties2::default().push_next(&mut list);
        // SAFETY: as above; the list has room for `count` entries and says so.
        unsafe {
            self.instance.get_physical_device_format_properties2(
                self.physical,
                format,
                &mut properties,
            )
        };
        let written = (list.drm_format_modifier_count as usize).min(count);
        listed.truncate(written);
        listed
            .into_iter()
            .map(|m| DriverModifier {
                modifier: Modifier(m.drm_format_modifier),
                plane_count: m.drm_format_modifier_plane_count,
                features: m.drm_format_modifier_tiling_features,
            })
            .collect()
    }

    fn format_properties(&mut self, format: vk::Format) -> vk::FormatProperties {
        // SAFETY: a plain query; the physical device belongs to this live instance.
        unsafe {
            self.instance
                .get_physical_device_format_properties(self.physical, format)
        }
    }

    fn image_format(&mut self, query: &ImageQuery) -> Option<ImageAnswer> {
        let mut external_info =
            vk::PhysicalDeviceExternalImageFormatInfo::default().handle_type(query.kind.vk());
        let mut modifier_info = vk::PhysicalDeviceImageDrmFormatModifierInfoEXT::default()
            .drm_format_modifier(query.modifier.0)
            .sharing_mode(vk::SharingMode::EXCLUSIVE);
        let mut info = vk::PhysicalDeviceImageFormatInfo2::default()
            .format(query.format)
            .ty(vk::ImageType::TYPE_2D)
            .tiling(query.tiling.vk())
            .usage(query.usage)
            .flags(query.flags)
            .push_next(&mut external_info);
        // Only DRM-modifier tiling may (and must) carry the modifier.
        if query.tiling == Tiling::DrmModifier {
            info = info.push_next(&mut modifier_info);
        }
        let mut external = vk::ExternalImageFormatProperties::default();
        let mut properties = vk::ImageFormatProperties2::default().push_next(&mut external);
        // SAFETY: a plain query with valid input and output chains.
        let result = unsafe {
            self.instance.get_physical_device_image_format_properties2(
                self.physical,
                &info,
                &mut properties,
            )
        };
        if let Err(error) = result {
            if error != vk::Result::ERROR_FORMAT_NOT_SUPPORTED {
                tracing::debug!("vkGetPhysicalDeviceImageFormatProperties2 {query:?}: {error}");
            }
            return None;
        }
        let extent = properties.image_format_properties.max_extent;
        Some(ImageAnswer {
            max_extent: vk::Extent2D {
                width: extent.width,
                height: extent.height,
            },
            external: external.external_memory_properties.external_memory_features,
        })
    }
}

/// One line per format: each kind's modifiers with what they can do, e.g.
/// `NV12 (G8_B8R8_2PLANE_420_UNORM) opaque-fd: 0x300000000606015 [2 planes, texture
/// 32768x32768, render -, disjoint], LINEAR [...]`; then the formats with no entry.
impl fmt::Display for ModifierTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: dmabuf formats", self.device)?;
        let mut missing = Vec::new();
        for layout in dmabuf_formats() {
            let entries: Vec<&ModifierSupport> = self
                .entries
                .iter()
                .filter(|e| e.fourcc == layout.fourcc)
                .collect();
            if entries.is_empty() {
                missing.push(layout.name);
                continue;
            }
            write!(f, "\n  {} ({:?})", layout.name, layout.format)?;
            let mut kinds: Vec<HandleKind> = entries.iter().map(|e| e.kind).collect();
            kinds.dedup();
            for (i, kind) in kinds.into_iter().enumerate() {
                write!(f, "{} {kind}: ", if i == 0 { "" } else { ";" })?;
                let of_kind = entries.iter().filter(|e| e.kind == kind);
                for (j, entry) in of_kind.enumerate() {
                    write!(f, "{}{entry}", if j == 0 { "" } else { ", " })?;
                }
            }
        }
        if !missing.is_empty() {
            write!(f, "\n  none for {}", missing.join(", "))?;
        }
        Ok(())
    }
}

/// `0x300000000606015 [2 planes, texture 32768x32768, render -, export, disjoint]`:
/// the plane count only where it is not 1, one extent for texture and render where they
/// agree, the tiling where it is no modifier's.
impl fmt::Display for ModifierSupport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let extent = |e: Option<vk::Extent2D>| match e {
            Some(e) => format!("{}x{}", e.width, e.height),
            None => "-".to_string(),
        };
        let mut parts = Vec::new();
        match self.tiling {
            Tiling::DrmModifier => {}
            Tiling::Linear => parts.push("linear tiling".to_string()),
            Tiling::Optimal => parts.push("optimal tiling".to_string()),
        }
        if self.memory_planes != 1 {
            parts.push(format!("{} planes", self.memory_planes));
        }
        if self.texture == self.render {
            parts.push(format!("texture+render {}", extent(self.texture)));
        } else {
            parts.push(format!("texture {}", extent(self.texture)));
            parts.push(format!("render {}", extent(self.render)));
        }
        for (on, what) in [
            (self.exportable, "export"),
            (self.dedicated_only, "dedicated"),
            (self.disjoint, "disjoint"),
        ] {
            if on {
                parts.push(what.to_string());
            }
        }
        write!(f, "{} [{}]", self.modifier, parts.join(", "))
    }
}

impl ModifierTable {
    /// The table of the CPU copy fallback: every shm format LINEAR as a dma-buf, up to the
    /// largest image, so that mapped buffers are validated like imported ones.
    pub(crate) fn copy_fallback(
        device: &str,
        formats: &crate::resources::format::FormatTable,
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    use vk::ExternalMemoryFeatureFlags as Ext;
    use vk::FormatFeatureFlags as Ff;
    use DrmFourcc as F;

    const BLOCK_LINEAR: Modifier = Modifier(0x0300_0000_0060_6015);
    const BLOCK_LINEAR_SMALL: Modifier = Modifier(0x0300_0000_0060_6010);
    /// A modifier the fake driver lists but refuses every image for.
    const REFUSED: Modifier = Modifier(0x0300_0000_0060_6014);

    fn color() -> Ff {
        Ff::SAMPLED_IMAGE
            | Ff::SAMPLED_IMAGE_FILTER_LINEAR
            | Ff::TRANSFER_SRC
            | Ff::TRANSFER_DST
            | Ff::COLOR_ATTACHMENT
            | Ff::COLOR_ATTACHMENT_BLEND
    }

    fn yuv() -> Ff {
        Ff::SAMPLED_IMAGE | Ff::TRANSFER_SRC | Ff::TRANSFER_DST | Ff::DISJOINT
    }

    fn is_yuv(format: vk::Format) -> bool {
        matches!(
            format,
            vk::Format::G8_B8R8_2PLANE_420_UNORM
                | vk::Format::G10X6_B10X6R10X6_2PLANE_420_UNORM_3PACK16
        )
    }

    /// A driver like NVIDIA's: block-linear modifiers and LINEAR for every format
    /// (2 planes for YUV), opaque fds only, one modifier that fails every image query.
    #[derive(Default)]
    struct FakeNvidia {
        asked: Vec<ImageQuery>,
        /// The kinds the image queries accept.
        dma_buf: bool,
    }

    impl ModifierQueries for FakeNvidia {
        fn modifiers(&mut self, format: vk::Format) -> Vec<DriverModifier> {
            let (planes, features) = if is_yuv(format) {
                (2, yuv())
            } else {
                (1, color())
            };
            [BLOCK_LINEAR, REFUSED, BLOCK_LINEAR_SMALL, Modifier::LINEAR]
                .into_iter()
                .map(|modifier| DriverModifier {
                    modifier,
                    plane_count: planes,
                    // LINEAR YUV cannot be disjoint on this driver.
                    features: if modifier == Modifier::LINEAR {
                        features & !Ff::DISJOINT
                    } else {
                        features
                    },
                })
                .collect()
        }

        fn format_properties(&mut self, format: vk::Format) -> vk::FormatProperties {
            let features = if is_yuv(format) { yuv() } else { color() };
            vk::FormatProperties {
                linear_tiling_features: features,
                optimal_tiling_features: features,
                buffer_features: Ff::empty(),
            }
        }

        fn image_format(&mut self, query: &ImageQuery) -> Option<ImageAnswer> {
            self.asked.push(*query);
            let kind_ok = query.kind == HandleKind::OpaqueFd || self.dma_buf;
            if query.modifier == REFUSED || !kind_ok {
                return None;
            }
            let side = if query.modifier == BLOCK_LINEAR_SMALL {
                4096
            } else {
                32768
            };
            let mut external = Ext::IMPORTABLE | Ext::EXPORTABLE;
            if query.tiling == Tiling::Optimal {
                external |= Ext::DEDICATED_ONLY;
            }
            Some(ImageAnswer {
                max_extent: vk::Extent2D {
                    width: side,
                    height: side,
                },
                external,
            })
        }
    }

    /// A driver like lavapipe: no modifier extension, linear and optimal tiling with the
    /// same features, no YUV at all.
    #[derive(Default)]
    struct FakeLavapipe {
        asked: usize,
    }

    impl ModifierQueries for FakeLavapipe {
        fn modifiers(&mut self, _: vk::Format) -> Vec<DriverModifier> {
            panic!("no VK_EXT_image_drm_format_modifier: modifiers must not be asked for");
        }

        fn format_properties(&mut self, format: vk::Format) -> vk::FormatProperties {
            let features = if is_yuv(format) { Ff::empty() } else { color() };
            vk::FormatProperties {
                linear_tiling_features: features,
                optimal_tiling_features: features,
                buffer_features: Ff::empty(),
            }
        }

        fn image_format(&mut self, query: &ImageQuery) -> Option<ImageAnswer> {
            self.asked += 1;
            assert_ne!(query.tiling, Tiling::DrmModifier);
            Some(ImageAnswer {
                max_extent: vk::Extent2D {
                    width: 16384,
                    height: 16384,
                },
                external: Ext::IMPORTABLE | Ext::EXPORTABLE,
            })
        }
    }

    fn nvidia_table(kinds: &[HandleKind], dma_buf: bool) -> (ModifierTable, FakeNvidia) {
        let mut fake = FakeNvidia {
            dma_buf,
            ..FakeNvidia::default()
        };
        let table = ModifierTable::from_queries("Fake NVIDIA", true, kinds, &mut fake);
        (table, fake)
    }

    fn modifiers_of(table: &ModifierTable, fourcc: DrmFourcc, kind: HandleKind) -> Vec<Modifier> {
        table
            .entries()
            .iter()
            .filter(|e| e.fourcc == fourcc && e.kind == kind)
            .map(|e| e.modifier)
            .collect()
    }

    #[test]
    fn modifiers_come_in_driver_order_with_invalid_last_and_the_refused_one_dropped() {
        let (table, _) = nvidia_table(&[HandleKind::OpaqueFd], false);
        let expected = [
            BLOCK_LINEAR,
            BLOCK_LINEAR_SMALL,
            Modifier::LINEAR,
            Modifier::INVALID,
        ];
        assert_eq!(
            modifiers_of(&table, F::Argb8888, HandleKind::OpaqueFd),
            expected
        );
        assert!(table
            .find(F::Argb8888, REFUSED, HandleKind::OpaqueFd)
            .is_none());
        assert!(table
            .entries()
            .iter()
            .all(|e| e.kind == HandleKind::OpaqueFd));
    }

    #[test]
    fn a_block_linear_entry_has_the_driver_limits() {
        let (table, _) = nvidia_table(&[HandleKind::OpaqueFd], false);
        let entry = table
            .find(F::Argb8888, BLOCK_LINEAR, HandleKind::OpaqueFd)
            .unwrap();
        let big = vk::Extent2D {
            width: 32768,
            height: 32768,
        };
        assert_eq!(entry.tiling, Tiling::DrmModifier);
        assert_eq!(entry.format, vk::Format::B8G8R8A8_UNORM);
        assert_eq!((entry.texture, entry.render), (Some(big), Some(big)));
        assert!(entry.exportable && !entry.dedicated_only && !entry.disjoint);
        assert_eq!(entry.memory_planes, 1);
        let small = table
            .find(F::Argb8888, BLOCK_LINEAR_SMALL, HandleKind::OpaqueFd)
            .unwrap();
        assert_eq!(small.texture.unwrap().width, 4096);
        let optimal = table
            .find(F::Argb8888, Modifier::INVALID, HandleKind::OpaqueFd)
            .unwrap();
        assert_eq!(optimal.tiling, Tiling::Optimal);
        assert!(optimal.dedicated_only);
    }

    #[test]
    fn nv12_is_a_two_plane_texture_never_a_render_target() {
        let (table, _) = nvidia_table(&[HandleKind::OpaqueFd], false);
        let entry = table
            .find(F::Nv12, BLOCK_LINEAR, HandleKind::OpaqueFd)
            .unwrap();
        assert_eq!(entry.format, vk::Format::G8_B8R8_2PLANE_420_UNORM);
        assert_eq!(entry.memory_planes, 2);
        assert!(entry.texture.is_some());
        assert_eq!(entry.render, None, "YUV has no COLOR_ATTACHMENT feature");
        assert!(!entry.exportable, "only render targets are exported");
        assert!(entry.disjoint);
        let linear = table
            .find(F::Nv12, Modifier::LINEAR, HandleKind::OpaqueFd)
            .unwrap();
        assert!(!linear.disjoint, "LINEAR lacks the DISJOINT feature");
        let p010 = table
            .find(F::P010, BLOCK_LINEAR, HandleKind::OpaqueFd)
            .unwrap();
        assert_eq!(
            p010.format,
            vk::Format::G10X6_B10X6R10X6_2PLANE_420_UNORM_3PACK16
        );
    }

    #[test]
    fn disjoint_needs_the_feature_and_a_yes_to_the_disjoint_query() {
        let (_, fake) = nvidia_table(&[HandleKind::OpaqueFd], false);
        let disjoint_asked: HashSet<(vk::Format, u64)> = fake
            .asked
            .iter()
            .filter(|q| q.flags.contains(vk::ImageCreateFlags::DISJOINT))
            .map(|q| (q.format, q.modifier.0))
            .collect();
        assert!(disjoint_asked.contains(&(vk::Format::G8_B8R8_2PLANE_420_UNORM, BLOCK_LINEAR.0)));
        // Never for LINEAR YUV (no DISJOINT feature), never for single-plane formats.
        assert!(disjoint_asked
            .iter()
            .all(|&(format, modifier)| is_yuv(format) && modifier != Modifier::LINEAR.0));
        // Every other query has no flags.
        assert!(fake
            .asked
            .iter()
            .all(|q| q.flags.is_empty() || q.flags == vk::ImageCreateFlags::DISJOINT));
    }

    /// A driver answering impossible plane counts gets no entries for them.
    #[test]
    fn impossible_plane_counts_are_left_out() {
        struct Miscounting(FakeNvidia, u32);
        impl ModifierQueries for Miscounting {
            fn modifiers(&mut self, format: vk::Format) -> Vec<DriverModifier> {
                let mut modifiers = self.0.modifiers(format);
                modifiers.iter_mut().for_each(|m| m.plane_count = self.1);
                modifiers
            }
            fn format_properties(&mut self, format: vk::Format) -> vk::FormatProperties {
                self.0.format_properties(format)
            }
            fn image_format(&mut self, query: &ImageQuery) -> Option<ImageAnswer> {
                self.0.image_format(query)
            }
        }
        for count in [0, 5] {
            let mut fake = Miscounting(FakeNvidia::default(), count);
            let table = ModifierTable::from_queries("x", true, &[HandleKind::OpaqueFd], &mut fake);
            assert!(
                table.entries().iter().all(|e| e.tiling == Tiling::Optimal),
                "{count} planes: {table}"
            );
        }
        // One plane is too few for NV12, enough for ARGB8888.
        let mut fake = Miscounting(FakeNvidia::default(), 1);
        let table = ModifierTable::from_queries("x", true, &[HandleKind::OpaqueFd], &mut fake);
        assert!(table
            .find(F::Nv12, BLOCK_LINEAR, HandleKind::OpaqueFd)
            .is_none());
        assert!(table
            .find(F::Argb8888, BLOCK_LINEAR, HandleKind::OpaqueFd)
            .is_some());
    }

    /// A driver that lists DISJOINT but refuses disjoint images.
    #[test]
    fn a_refused_disjoint_query_leaves_disjoint_off() {
        struct NoDisjoint(FakeNvidia);
        impl ModifierQueries for NoDisjoint {
            fn modifiers(&mut self, format: vk::Format) -> Vec<DriverModifier> {
                self.0.modifiers(format)
            }
            fn format_properties(&mut self, format: vk::Format) -> vk::FormatProperties {
                self.0.format_properties(format)
            }
            fn image_format(&mut self, query: &ImageQuery) -> Option<ImageAnswer> {
                if query.flags.contains(vk::ImageCreateFlags::DISJOINT) {
                    return None;
                }
                self.0.image_format(query)
            }
        }
        let mut fake = NoDisjoint(FakeNvidia::default());
        let table = ModifierTable::from_queries("x", true, &[HandleKind::OpaqueFd], &mut fake);
        let entry = table
            .find(F::Nv12, BLOCK_LINEAR, HandleKind::OpaqueFd)
            .unwrap();
        assert!(entry.texture.is_some() && !entry.disjoint);
    }

    #[test]
    fn formats_that_reorder_channels_are_textures_only() {
        let (table, fake) = nvidia_table(&[HandleKind::OpaqueFd], false);
        for fourcc in [F::Rgba8888, F::Bgrx8888] {
            let entry = table
                .find(fourcc, BLOCK_LINEAR, HandleKind::OpaqueFd)
                .unwrap();
            assert!(
                entry.texture.is_some() && entry.render.is_none(),
                "{fourcc}"
            );
        }
        let render = table.render_formats(HandleKind::OpaqueFd);
        assert!(render
            .iter()
            .all(|(f, _)| ![F::Rgba8888, F::Bgrx8888].contains(f)));
        // Render usage is asked only where the features allow it.
        assert!(fake
            .asked
            .iter()
            .filter(|q| q.usage.contains(vk::ImageUsageFlags::COLOR_ATTACHMENT))
            .all(|q| !is_yuv(q.format)));
    }

    #[test]
    fn dma_bufs_are_probed_only_when_asked_and_never_as_invalid() {
        let kinds = [HandleKind::OpaqueFd, HandleKind::DmaBuf];
        let (table, _) = nvidia_table(&kinds, true);
        let dma = modifiers_of(&table, F::Xrgb8888, HandleKind::DmaBuf);
        assert_eq!(dma, [BLOCK_LINEAR, BLOCK_LINEAR_SMALL, Modifier::LINEAR]);
        let advertised = table.texture_formats(HandleKind::DmaBuf);
        assert_eq!(advertised.len(), 20);
        assert!(advertised
            .iter()
            .all(|(_, m)| !m.contains(&Modifier::INVALID) && !m.is_empty()));
        let opaque = table.texture_formats(HandleKind::OpaqueFd);
        assert!(opaque
            .iter()
            .all(|(_, m)| m.last() == Some(&Modifier::INVALID)));
        // The driver refusing dma-buf images leaves no dma-buf entry.
        let (refused, _) = nvidia_table(&kinds, false);
        assert!(refused.texture_formats(HandleKind::DmaBuf).is_empty());
    }

    #[test]
    fn without_the_modifier_extension_linear_and_optimal_tiling_stand_in() {
        let mut fake = FakeLavapipe::default();
        let table =
            ModifierTable::from_queries("Fake lavapipe", false, &[HandleKind::OpaqueFd], &mut fake);
        let linear = table
            .find(F::Argb8888, Modifier::LINEAR, HandleKind::OpaqueFd)
            .unwrap();
        assert_eq!(linear.tiling, Tiling::Linear);
        assert_eq!(linear.memory_planes, 1);
        assert!(linear.texture.is_some() && linear.render.is_some() && linear.exportable);
        let optimal = table
            .find(F::Argb8888, Modifier::INVALID, HandleKind::OpaqueFd)
            .unwrap();
        assert_eq!(optimal.tiling, Tiling::Optimal);
        // No YUV features: NV12 and P010 were never even asked about.
        assert!(table
            .find(F::Nv12, Modifier::LINEAR, HandleKind::OpaqueFd)
            .is_none());
        assert_eq!(table.entries().len(), 18 * 2);
        // Texture and render for 18 formats and both tilings, less render for the four
        // that reorder channels.
        assert_eq!(fake.asked, 18 * 2 * 2 - 4 * 2);
        assert_eq!(
            table.exportable_modifiers(F::Xrgb8888, HandleKind::OpaqueFd),
            [Modifier::LINEAR, Modifier::INVALID]
        );
        assert!(table
            .exportable_modifiers(F::Rgba8888, HandleKind::OpaqueFd)
            .is_empty());
    }

    #[test]
    fn a_device_that_imports_nothing_has_an_empty_table() {
        let mut fake = FakeLavapipe::default();
        let table = ModifierTable::from_queries("none", false, &[], &mut fake);
        assert!(table.entries().is_empty());
        assert_eq!(fake.asked, 0);
        assert!(table.to_string().contains("none for ARGB8888"));
    }

    #[test]
    fn the_display_has_one_compact_line_per_format() {
        let (table, _) = nvidia_table(&[HandleKind::OpaqueFd, HandleKind::DmaBuf], true);
        let text = table.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + 20, "{text}");
        assert_eq!(lines[0], "Fake NVIDIA: dmabuf formats");
        let nv12 = lines.iter().find(|l| l.contains("NV12")).unwrap();
        assert!(
            nv12.starts_with(
                "  NV12 (G8_B8R8_2PLANE_420_UNORM) opaque-fd: \
                 0x300000000606015 [2 planes, texture 32768x32768, render -, disjoint], "
            ),
            "{nv12}"
        );
        assert!(nv12.contains("; dma-buf: 0x300000000606015"), "{nv12}");
        assert!(
            nv12.contains(
                "INVALID [optimal tiling, 2 planes, texture 32768x32768, render -, dedicated, \
                 disjoint]"
            ),
            "{nv12}"
        );
        let argb = lines[1];
        assert!(
            argb.contains("LINEAR [texture+render 32768x32768, export]"),
            "{argb}"
        );
        let mut lavapipe = FakeLavapipe::default();
        let table =
            ModifierTable::from_queries("lvp", false, &[HandleKind::OpaqueFd], &mut lavapipe);
        let text = table.to_string();
        let argb = "  ARGB8888 (B8G8R8A8_UNORM) opaque-fd: \
                    LINEAR [linear tiling, texture+render 16384x16384, export], \
                    INVALID [optimal tiling, texture+render 16384x16384, export]\n";
        assert!(text.contains(argb), "{text}");
        let rgba = "  RGBA8888 (R8G8B8A8_UNORM) opaque-fd: \
                    LINEAR [linear tiling, texture 16384x16384, render -], ";
        assert!(text.contains(rgba), "{text}");
        assert!(text.ends_with("\n  none for NV12, P010"), "{text}");
    }

    #[test]
    fn importable_kinds_follow_the_capabilities() {
        use crate::core::capabilities::{DrmMatching, ShmUpload};
        use crate::core::physical::{HandleSupport, Version};
        let caps = |import: bool, dmabuf_import: DmabufImport| Capabilities {
            api_version: Version(vk::API_VERSION_1_3),
            dmabuf_import,
            drm_modifiers: true,
            opaque_fd_memory: HandleSupport {
                export: true,
                import,
            },
            shm_upload: ShmUpload::StagingCopy,
            sync_file: HandleSupport::default(),
            opaque_fd_semaphore: HandleSupport::default(),
            synchronization2: true,
            ycbcr_conversion: true,
            queue_family_foreign: true,
            global_priority: None,
            memory_budget: true,
            descriptor_indexing: true,
            drm_matching: DrmMatching::Unavailable,
        };
        assert_eq!(
            ModifierTable::importable_kinds(&caps(true, DmabufImport::MmapCopy)),
            [HandleKind::OpaqueFd]
        );
        assert_eq!(
            ModifierTable::importable_kinds(&caps(false, DmabufImport::Native)),
            [HandleKind::DmaBuf]
        );
        assert!(ModifierTable::importable_kinds(&caps(false, DmabufImport::MmapCopy)).is_empty());
    }
}
