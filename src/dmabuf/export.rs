//! Render targets whose memory is exported: allocated with a modifier from the caller's
//! list (what a KMS plane or another device accepts), and described as a [`Dmabuf`] with
//! the layout the driver chose, so the other side can import it.

use std::sync::Arc;

use ash::vk;

use super::desc::Dmabuf;
use super::image::{self, ExternalImage, Modifiers};
use super::import::Dmabufs;
use super::modifiers::{ModifierSupport, ModifierTable, Tiling};
use super::{HandleKind, Modifier};
use crate::core::memory::{DedicatedMemory, DedicatedTo};
use crate::error::{Error, Result, VkResultExt};
use crate::gpu::Gpu;
use crate::resources::format::DrmFourcc;
use crate::resources::texture::{External, Texture, TextureDesc};

impl Dmabufs {
    /// A render target of `width`x`height` `fourcc` pixels in memory exported as `kind`,
    /// laid out with one of `modifiers` (the driver picks among those it can render into
    /// and export at this size), and the description another device or process imports
    /// it from. Frames that render into it hand it back to those users when they finish.
    pub(crate) fn create_exported_target(
        &self,
        gpu: &Gpu,
        width: u32,
        height: u32,
        fourcc: DrmFourcc,
        modifiers: &[Modifier],
        kind: HandleKind,
    ) -> Result<(Texture, Dmabuf)> {
        gpu.check_size(width, height)?;
        let candidates = self.export_candidates(gpu, width, height, fourcc, modifiers, kind)?;
        let first = candidates[0].clone();
        let listed: Vec<u64> = candidates
            .iter()
            .filter(|c| c.tiling == Tiling::DrmModifier)
            .map(|c| c.modifier.0)
            .collect();
        let tiling = if listed.is_empty() {
            first.tiling
        } else {
            Tiling::DrmModifier
        };
        let raw = image::create_external_image(
            gpu.device(),
            &ExternalImage {
                format: first.format,
                width,
                height,
                usage: ModifierTable::RENDER_USAGE,
                kind,
                tiling,
                disjoint: false,
                modifiers: Modifiers::List(&listed),
            },
        )?;
        let result = finish_export(gpu, raw, width, height, fourcc, kind, tiling, &candidates);
        if result.is_err() {
            // SAFETY: the image never became a texture and was never used.
            unsafe { gpu.device().raw().destroy_image(raw, None) }
        }
        result
    }

    /// The table entries for `modifiers`, in the caller's order, that can be rendered into
    /// and exported at this size.
    fn export_candidates(
        &self,
        gpu: &Gpu,
        width: u32,
        height: u32,
        fourcc: DrmFourcc,
        modifiers: &[Modifier],
        kind: HandleKind,
    ) -> Result<Vec<ModifierSupport>> {
        let usable = |s: &ModifierSupport| {
            s.exportable
                && s.render
                    .is_some_and(|e| width <= e.width && height <= e.height)
        };
        let candidates: Vec<ModifierSupport> = modifiers
            .iter()
            .filter_map(|&m| self.modifiers.find(fourcc, m, kind))
            .filter(|s| usable(s))
            .cloned()
            .collect();
        if !candidates.is_empty() {
            return Ok(candidates);
        }
        Err(Error::UnsupportedModifier {
            device: gpu.device().name().to_string(),
            fourcc: super::planes::fourcc_name(fourcc),
            modifier: modifiers.first().copied().unwrap_or(Modifier::INVALID),
            kind,
            purpose: super::Purpose::Render,
            supported: self
                .modifiers
                .entries()
                .iter()
                .filter(|s| s.fourcc == fourcc && s.kind == kind && usable(s))
                .map(|s| s.modifier)
                .collect(),
        })
    }
}

/// Allocates and binds exportable memory for `raw`, then describes it.
#[allow(clippy::too_many_arguments)]
fn finish_export(
    gpu: &Gpu,
    raw: vk::Image,
    width: u32,
    height: u32,
    fourcc: DrmFourcc,
    kind: HandleKind,
    tiling: Tiling,
    candidates: &[ModifierSupport],
) -> Result<(Texture, Dmabuf)> {
    let device = gpu.device().clone();
    // SAFETY: `raw` is an image of this device.
    let requirements = unsafe { device.raw().get_image_memory_requirements(raw) };
    let memory = DedicatedMemory::allocate(
        &device,
        requirements,
        vk::MemoryPropertyFlags::DEVICE_LOCAL,
        DedicatedTo::Image(raw),
        Some(kind.vk()),
    )?;
    // SAFETY: fresh memory allocated for this image, bound once at its start.
    unsafe { device.raw().bind_image_memory(raw, memory.raw(), 0) }.or_vk("vkBindImageMemory")?;
    let modifier = match tiling {
        Tiling::DrmModifier => Modifier(image::image_modifier(&device, raw)?),
        Tiling::Linear => Modifier::LINEAR,
        Tiling::Optimal => Modifier::INVALID,
    };
    let support = candidates
        .iter()
        .find(|c| c.modifier == modifier)
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "the driver chose modifier {modifier}, which was not asked for"
            ))
        })?
        .clone();
    let fd = Arc::new(memory.export_fd(kind.vk())?);
    let mut builder = Dmabuf::builder(width, height, fourcc, modifier, kind);
    for (offset, stride) in exported_planes(&device, raw, &support, width) {
        builder = builder.plane_with_size(fd.clone(), offset, stride, memory.size());
    }
    let buffer = builder.build();
    let desc = TextureDesc {
        width,
        height,
        format: support.format,
        usage: ModifierTable::RENDER_USAGE,
        has_alpha: true,
        swizzle: vk::ComponentMapping::default(),
        fourcc: Some(fourcc),
    };
    let external = External::new(&device, kind, [fd]);
    let texture = Texture::from_dedicated(&device, raw, vec![memory], desc, external, None)?;
    texture.set_owner(gpu.id());
    Ok((texture, buffer))
}

/// (offset, stride) of each memory plane as the driver laid the image out. Optimal
/// (INVALID) images have no queryable layout: one plane at 0 with a nominal stride.
fn exported_planes(
    device: &crate::Device,
    image: vk::Image,
    support: &ModifierSupport,
    width: u32,
) -> Vec<(u64, u64)> {
    let planes = support.memory_planes as usize;
    let aspects = match support.tiling {
        Tiling::DrmModifier => image::memory_plane_aspects(planes),
        Tiling::Linear => image::plane_aspects(planes),
        Tiling::Optimal => {
            let bpp = crate::resources::format::format_info(support.fourcc)
                .map_or(4, |i| i.bytes_per_pixel);
            return vec![(0, u64::from(width) * u64::from(bpp))];
        }
    };
    image::plane_layouts(device, image, &aspects)
        .iter()
        .map(|l| (l.offset, l.row_pitch))
        .collect()
}
