//! Dmabufs become textures in one of three ways, chosen per buffer:
//! - zero-copy: the fd's memory is imported and an image is bound to it (the layout given
//!   explicitly through the modifier, or checked against the driver's for LINEAR);
//! - through a `VkBuffer`: the memory imports but no image can use its layout (a LINEAR
//!   stride the driver would not choose), so the GPU copies it into a texture;
//! - by mapping: the driver cannot import dma-bufs at all, so a LINEAR buffer is mapped;
//!   the mapping is imported as host memory and copied by the GPU where the driver can
//!   (`hostmap.rs`), else copied on the CPU through the shm path. Both are bracketed by
//!   `DMA_BUF_IOCTL_SYNC`.
//!
//! Copies are redone each time the buffer is imported again (each commit of a client).

use std::sync::Arc;

use ash::vk;
use drm_fourcc::DrmFourcc;

use super::cache::{CopySource, DmabufCache};
use super::desc::{Dmabuf, ValidatedLayout};
use super::linux;
use super::modifiers::{ModifierTable, Tiling};
use super::HandleKind;
use crate::core::capabilities::DmabufImport;
use crate::core::memory::{DedicatedMemory, DedicatedTo};
use crate::error::{Error, Result, VkResultExt};
use crate::gpu::shm_layout::ShmLayout;
use crate::gpu::Gpu;
use crate::pipelines::yuv::YuvCache;
use crate::resources::sampler::YcbcrOptions;
use crate::resources::texture::{External, Texture, TextureDesc};

/// How this device turns a buffer of one handle kind into a texture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ImportPath {
    /// The memory is imported (then zero-copy, or a GPU copy from a `VkBuffer`).
    Memory,
    /// Mapped and copied on the CPU.
    Map,
}

/// The renderer's dma-buf part: what the device can import and export, and the buffers
/// imported so far. Its work goes through the renderer's [`Gpu`].
pub(crate) struct Dmabufs {
    /// The (format, modifier) pairs of shared buffers.
    pub(super) modifiers: ModifierTable,
    /// What the CPU copy fallback takes (LINEAR dma-bufs of the shm formats), for drivers
    /// without dma-buf import.
    mapped: ModifierTable,
    /// Imported dmabufs, so that importing one again returns its texture.
    cache: DmabufCache,
    /// Mapped dma-bufs are imported as host memory where the device can.
    host_import: bool,
}

impl Dmabufs {
    pub(crate) fn new(gpu: &Gpu, host_import: bool) -> Dmabufs {
        let device = gpu.device();
        Dmabufs {
            modifiers: ModifierTable::probe(device),
            mapped: ModifierTable::copy_fallback(device.name(), gpu.formats(), gpu.max_extent()),
            cache: Default::default(),
            // Only where the capabilities take that path (not on drivers that import host
            // pointers but break on mapped files' pages: see `Capabilities::detect`).
            host_import: host_import
                && device.capabilities().dmabuf_import == DmabufImport::HostMapping,
        }
    }

    /// A texture showing `buffer` (see `Renderer::import_dmabuf_ycbcr`).
    pub(crate) fn import(
        &mut self,
        gpu: &mut Gpu,
        yuv: &mut YuvCache,
        buffer: &Dmabuf,
        options: YcbcrOptions,
    ) -> Result<Arc<Texture>> {
        if let Some((texture, copy)) = self.cache.lookup(buffer) {
            if let Some(copy) = copy {
                refresh_copy(gpu, &texture, buffer, &copy)?;
            }
            return Ok(texture);
        }
        let (texture, copy) = match import_path(gpu, buffer.kind())? {
            ImportPath::Memory => self.import_memory_of(gpu, yuv, buffer, options)?,
            ImportPath::Map => {
                let (texture, copy) = self.import_by_mapping(gpu, buffer)?;
                (texture, Some(copy))
            }
        };
        texture.set_owner(gpu.id());
        let texture = Arc::new(texture);
        self.cache.insert(buffer, &texture, copy);
        Ok(texture)
    }

    /// Lets go of what buffers whose texture or description is gone still held (a copy
    /// source's mapping and fd).
    pub(crate) fn release_dead(&mut self) {
        self.cache.prune();
    }

    /// How the texture of `buffer` gets its pixels, while it is imported.
    pub(crate) fn path(&mut self, buffer: &Dmabuf) -> Option<super::DmabufPath> {
        let (_, copy) = self.cache.lookup(buffer)?;
        Some(CopySource::path(copy.as_ref()))
    }

    /// The (format, modifier) pairs this device can import, render into and export.
    pub(crate) fn modifier_table(&self) -> &ModifierTable {
        &self.modifiers
    }

    /// What clients may send as dma-bufs (linux-dmabuf feedback): the table's pairs where
    /// dma-bufs import natively; else LINEAR for every shm format, which is mapped and
    /// copied. `render` keeps only the pairs that can also be render targets (none on the
    /// copy path: a copy cannot be drawn back into the buffer).
    pub(crate) fn formats(
        &self,
        gpu: &Gpu,
        render: bool,
    ) -> Vec<(DrmFourcc, Vec<super::Modifier>)> {
        match (gpu.device().capabilities().dmabuf_import, render) {
            (DmabufImport::Native, false) => self.modifiers.texture_formats(HandleKind::DmaBuf),
            (DmabufImport::Native, true) => self.modifiers.render_formats(HandleKind::DmaBuf),
            (DmabufImport::HostMapping | DmabufImport::MmapCopy, false) => {
                self.mapped.texture_formats(HandleKind::DmaBuf)
            }
            (DmabufImport::HostMapping | DmabufImport::MmapCopy, true) => Vec::new(),
        }
    }

    /// Zero-copy where an image can take the layout, else through a `VkBuffer`.
    fn import_memory_of(
        &mut self,
        gpu: &mut Gpu,
        yuv: &mut YuvCache,
        buffer: &Dmabuf,
        options: YcbcrOptions,
    ) -> Result<(Texture, Option<CopySource>)> {
        let layout = buffer.validate(&self.modifiers)?;
        if let Some(texture) = import_image(gpu, yuv, buffer, &layout, options)? {
            return Ok((texture, None));
        }
        tracing::debug!(
            "{}x{} {:?} with stride {}: the driver lays LINEAR images out differently; copying through a buffer",
            buffer.width(),
            buffer.height(),
            buffer.fourcc(),
            buffer.planes()[0].stride
        );
        let (texture, source) = import_through_buffer(gpu, buffer, &layout)?;
        Ok((texture, Some(CopySource::Buffer(source))))
    }

    /// Without dma-buf import: a LINEAR buffer mapped, the mapping imported as host memory
    /// and copied by the GPU where the driver takes it, else copied like shm memory.
    fn import_by_mapping(
        &mut self,
        gpu: &mut Gpu,
        buffer: &Dmabuf,
    ) -> Result<(Texture, CopySource)> {
        self.note_mapping_fallback(gpu);
        if buffer.modifier() != super::Modifier::LINEAR {
            return Err(Error::Unsupported {
                device: gpu.device().name().to_string(),
                what: format!(
                    "dma-buf import (VK_EXT_external_memory_dma_buf), so dma-bufs are mapped and copied, and only a LINEAR layout can be read on the CPU; this buffer's modifier is {}",
                    buffer.modifier()
                ),
            });
        }
        buffer.validate(&self.mapped)?;
        if let Some(host) = super::hostmap::HostMapped::import(gpu, buffer, self.host_import)? {
            let info = gpu.shm_format(buffer.fourcc())?;
            let texture = gpu.texture_for_copies(buffer.width(), buffer.height(), info)?;
            texture.set_owner(gpu.id());
            match host.copy_into(gpu, &texture) {
                Ok(()) => return Ok((texture, CopySource::HostMapped(Arc::new(host)))),
                // A driver may take the mapping and fail only when the GPU reads it
                // (pages it cannot pin): the CPU copy still works.
                Err(e) => tracing::info!(
                    "{}x{} {:?}: the GPU copy from the imported mapping failed ({e}); copying on the CPU",
                    buffer.width(),
                    buffer.height(),
                    buffer.fourcc()
                ),
            }
        }
        let layout = shm_layout(buffer)?;
        let texture = with_mapping(gpu, buffer, |gpu, bytes| gpu.import_memory(bytes, layout))?;
        Ok((texture, CopySource::Mapped))
    }

    fn note_mapping_fallback(&self, gpu: &Gpu) {
        static ONCE: std::sync::Once = std::sync::Once::new();
        let how = if gpu.device().capabilities().dmabuf_import == DmabufImport::HostMapping
            && self.host_import
        {
            "mapped, imported as host memory and copied on the GPU (where the driver takes the mapping)"
        } else {
            "mapped and copied on the CPU"
        };
        ONCE.call_once(|| {
            tracing::info!(
                "{}: no VK_EXT_external_memory_dma_buf: LINEAR dmabufs are {how}",
                gpu.device().name()
            )
        });
    }
}

fn import_path(gpu: &Gpu, kind: HandleKind) -> Result<ImportPath> {
    let caps = gpu.device().capabilities();
    match kind {
        HandleKind::DmaBuf if caps.dmabuf_import == DmabufImport::Native => Ok(ImportPath::Memory),
        HandleKind::DmaBuf => Ok(ImportPath::Map),
        HandleKind::OpaqueFd if caps.opaque_fd_memory.import => Ok(ImportPath::Memory),
        HandleKind::OpaqueFd => Err(Error::Unsupported {
            device: gpu.device().name().to_string(),
            what: "opaque-fd memory import (VK_KHR_external_memory_fd)".into(),
        }),
    }
}

/// An image bound to the buffer's imported memory, or `None` when a LINEAR buffer's
/// layout is not the one the driver gives LINEAR images (without explicit modifiers it
/// cannot be told another).
fn import_image(
    gpu: &Gpu,
    yuv: &mut YuvCache,
    buffer: &Dmabuf,
    layout: &ValidatedLayout,
    options: YcbcrOptions,
) -> Result<Option<Texture>> {
    let support = &layout.support;
    // Made first: a device without YCbCr conversion refuses YUV before any image.
    let ycbcr = match super::planes::plane_layout(buffer.fourcc()) {
        Some(planes) if planes.multi_planar() => {
            Some(yuv.sampler(gpu.device(), layout.format, support.features, options)?)
        }
        _ => None,
    };
    let render = support
        .render
        .is_some_and(|e| buffer.width() <= e.width && buffer.height() <= e.height);
    let usage = if render {
        ModifierTable::RENDER_USAGE
    } else {
        ModifierTable::TEXTURE_USAGE
    };
    let image = ImageGuard::create(gpu, buffer, layout, usage)?;
    let bind_offset = match support.tiling {
        Tiling::Linear => match linear_bind_offset(gpu, image.raw, buffer, layout) {
            Some(offset) => offset,
            None => return Ok(None),
        },
        Tiling::DrmModifier | Tiling::Optimal => 0,
    };
    let memories = import_memories(gpu, buffer, layout, image.raw)?;
    bind_memories(gpu, image.raw, layout, &memories, bind_offset)?;
    let info = crate::resources::format::format_info(buffer.fourcc());
    let desc = TextureDesc {
        width: buffer.width(),
        height: buffer.height(),
        format: layout.format,
        usage,
        has_alpha: info.is_none_or(|i| i.has_alpha),
        swizzle: info.map(|i| i.swizzle).unwrap_or_default(),
        fourcc: Some(buffer.fourcc()),
    };
    let fds = buffer.planes().iter().map(|p| p.fd.clone());
    let external = External::new(gpu.device(), buffer.kind(), fds);
    let raw = image.keep();
    Texture::from_dedicated(gpu.device(), raw, memories, desc, external, ycbcr)
        .inspect_err(|_| {
            // SAFETY: the image was never used; its memories were dropped with the
            // failed texture.
            unsafe { gpu.device().raw().destroy_image(raw, None) }
        })
        .map(Some)
}

/// A texture of our own filled by a GPU copy from the buffer's memory, imported as a
/// `VkBuffer`.
fn import_through_buffer(
    gpu: &mut Gpu,
    buffer: &Dmabuf,
    layout: &ValidatedLayout,
) -> Result<(Texture, Arc<super::buffer::ImportedBuffer>)> {
    let info = gpu.shm_format(buffer.fourcc())?;
    let texture = gpu.texture_for_copies(buffer.width(), buffer.height(), info)?;
    let source = Arc::new(super::buffer::ImportedBuffer::import(gpu, buffer, layout)?);
    source.copy_into(gpu, &texture)?;
    Ok((texture, source))
}

/// Copies the buffer's current contents into the texture made from it.
fn refresh_copy(
    gpu: &mut Gpu,
    texture: &Texture,
    buffer: &Dmabuf,
    copy: &CopySource,
) -> Result<()> {
    match copy {
        CopySource::Buffer(source) => source.copy_into(gpu, texture),
        CopySource::HostMapped(source) => source.copy_into(gpu, texture),
        CopySource::Mapped => {
            let layout = shm_layout(buffer)?;
            let whole = [crate::geometry::Rect::new(
                0,
                0,
                buffer.width() as i32,
                buffer.height() as i32,
            )];
            with_mapping(gpu, buffer, |gpu, bytes| {
                gpu.update_memory(texture, bytes, layout.stride, &whole)
            })
        }
    }
}

/// Runs `copy` on the mapped bytes of plane 0, between the kernel's begin and end of
/// CPU access (which wait for the buffer's pending writes and flush caches).
fn with_mapping<T>(
    gpu: &mut Gpu,
    buffer: &Dmabuf,
    copy: impl FnOnce(&mut Gpu, &[u8]) -> Result<T>,
) -> Result<T> {
    use std::os::fd::AsFd;
    let plane = &buffer.planes()[0];
    let fd = plane.fd.as_fd();
    // Up to the last row's last texel: a buffer may end there, without the row padding.
    let len = super::hostmap::region_end(buffer)?;
    let mapping = linux::Mapping::new(fd, plane.offset, len)
        .map_err(|e| Error::BadBuffer(format!("plane 0's fd cannot be mapped ({e})")))?;
    super::implicit::before_cpu_read(fd)?;
    let result = copy(gpu, mapping.bytes());
    super::implicit::after_cpu_read(fd);
    result
}

/// The shm view of a single-plane LINEAR buffer.
fn shm_layout(buffer: &Dmabuf) -> Result<ShmLayout> {
    let plane = &buffer.planes()[0];
    let stride = u32::try_from(plane.stride)
        .map_err(|_| Error::BadBuffer(format!("stride {} is too large", plane.stride)))?;
    Ok(ShmLayout {
        fourcc: buffer.fourcc(),
        width: buffer.width(),
        height: buffer.height(),
        stride,
    })
}

/// An image destroyed on drop unless kept.
struct ImageGuard<'a> {
    device: &'a crate::Device,
    raw: vk::Image,
}

impl<'a> ImageGuard<'a> {
    fn create(
        gpu: &'a Gpu,
        buffer: &Dmabuf,
        layout: &ValidatedLayout,
        usage: vk::ImageUsageFlags,
    ) -> Result<ImageGuard<'a>> {
        let plane_layouts: Vec<vk::SubresourceLayout> = buffer
            .planes()
            .iter()
            .map(|p| vk::SubresourceLayout {
                offset: p.offset,
                size: 0,
                row_pitch: p.stride,
                array_pitch: 0,
                depth_pitch: 0,
            })
            .collect();
        let raw = super::image::create_external_image(
            gpu.device(),
            &super::image::ExternalImage {
                format: layout.format,
                width: buffer.width(),
                height: buffer.height(),
                usage,
                kind: buffer.kind(),
                tiling: layout.support.tiling,
                disjoint: layout.disjoint(),
                modifiers: super::image::Modifiers::Explicit(buffer.modifier().0, &plane_layouts),
            },
        )?;
        Ok(ImageGuard {
            device: gpu.device(),
            raw,
        })
    }

    fn keep(self) -> vk::Image {
        let raw = self.raw;
        std::mem::forget(self);
        raw
    }
}

impl Drop for ImageGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: the image failed to become a texture and was never used.
        unsafe { self.device.raw().destroy_image(self.raw, None) }
    }
}

/// Where to bind a LINEAR image in its memory so that the driver's plane layout lands on
/// the buffer's, or `None` when no offset does (another row pitch, misaligned offset).
fn linear_bind_offset(
    gpu: &Gpu,
    image: vk::Image,
    buffer: &Dmabuf,
    layout: &ValidatedLayout,
) -> Option<u64> {
    let planes = buffer.planes();
    let aspects = super::image::plane_aspects(planes.len());
    let driver = super::image::plane_layouts(gpu.device(), image, &aspects);
    let device = gpu.device().raw();
    // SAFETY: `image` is an image of this device.
    let requirements = unsafe { device.get_image_memory_requirements(image) };
    let base = planes[0].offset.checked_sub(driver[0].offset)?;
    let aligned = requirements.alignment == 0 || base % requirements.alignment == 0;
    let fits = planes.iter().zip(&driver).all(|(p, d)| {
        d.row_pitch == p.stride && (layout.disjoint() || base + d.offset == p.offset)
    });
    (aligned && fits && !layout.disjoint()).then_some(base)
}

/// Imports each distinct memory object of the buffer (one, or one per disjoint plane),
/// dedicated to the image where it is not disjoint.
fn import_memories(
    gpu: &Gpu,
    buffer: &Dmabuf,
    layout: &ValidatedLayout,
    image: vk::Image,
) -> Result<Vec<DedicatedMemory>> {
    let device = gpu.device();
    let aspects = binding_aspects(layout);
    let mut memories = Vec::with_capacity(layout.memories.len());
    for &(plane, size) in &layout.memories {
        let requirements = if layout.disjoint() {
            super::image::plane_requirements(device, image, aspects[plane])
        } else {
            // SAFETY: the image belongs to this device and is not disjoint.
            unsafe { device.raw().get_image_memory_requirements(image) }
        };
        let dedicated = dedicate(buffer, layout, size, &requirements);
        let size = if dedicated && buffer.kind() == HandleKind::DmaBuf {
            requirements.size
        } else {
            size
        };
        memories.push(super::image::import_plane_memory(
            device,
            buffer,
            plane,
            size,
            requirements,
            dedicated.then_some(DedicatedTo::Image(image)),
        )?);
    }
    Ok(memories)
}

/// Whether a plane's memory is imported as a dedicated allocation of the image. A dedicated
/// allocation must be exactly the image's size, while a dma-buf is often larger than the
/// driver's requirement (a plane offset, pages rounded up: Mesa 25's lavapipe leaves the
/// offset out of it), so dma-bufs are dedicated only where their size agrees or the
/// driver requires it. Opaque fds stay dedicated, as vkcompose exports them.
fn dedicate(
    buffer: &Dmabuf,
    layout: &ValidatedLayout,
    size: u64,
    requirements: &vk::MemoryRequirements,
) -> bool {
    if layout.disjoint() {
        return false;
    }
    match buffer.kind() {
        HandleKind::OpaqueFd => true,
        HandleKind::DmaBuf => layout.support.dedicated_only || size <= requirements.size,
    }
}

/// Binds the image to its memory (at `offset`), or each disjoint plane to its own.
fn bind_memories(
    gpu: &Gpu,
    image: vk::Image,
    layout: &ValidatedLayout,
    memories: &[DedicatedMemory],
    offset: u64,
) -> Result<()> {
    let device = gpu.device().raw();
    if !layout.disjoint() {
        // SAFETY: fresh memory imported for this image, bound once.
        return unsafe { device.bind_image_memory(image, memories[0].raw(), offset) }
            .or_vk("vkBindImageMemory");
    }
    let aspects = binding_aspects(layout);
    let mut plane_infos: Vec<vk::BindImagePlaneMemoryInfo> = aspects
        .iter()
        .map(|&aspect| vk::BindImagePlaneMemoryInfo::default().plane_aspect(aspect))
        .collect();
    let infos: Vec<vk::BindImageMemoryInfo> = plane_infos
        .iter_mut()
        .zip(&layout.plane_memory)
        .map(|(plane, &memory)| {
            vk::BindImageMemoryInfo::default()
                .image(image)
                .memory(memories[memory].raw())
                .memory_offset(0)
                .push_next(plane)
        })
        .collect();
    // SAFETY: a disjoint image; each plane gets the memory imported for it, once.
    unsafe { device.bind_image_memory2(&infos) }.or_vk("vkBindImageMemory2")
}

/// The aspects that name each plane for binding memory: memory planes for DRM-modifier
/// images, format planes otherwise.
fn binding_aspects(layout: &ValidatedLayout) -> Vec<vk::ImageAspectFlags> {
    let planes = layout.plane_memory.len();
    match layout.support.tiling {
        Tiling::DrmModifier => super::image::memory_plane_aspects(planes),
        Tiling::Linear | Tiling::Optimal => super::image::plane_aspects(planes),
    }
}
