//! The renderer: a facade over the parts it owns, each with a narrow interface. The
//! [`Gpu`] (device, identity, formats, and the submitter that assigns every timeline
//! point), shm uploads on it, the dma-buf part (import, export, the import cache), what
//! frames draw with ([`Drawing`]), and the readback buffers returned by dropped readbacks.
//! Frames (`render/frame`), readback and the dma-buf and shm methods are written in their
//! own modules on top of it. A steady stream of frames creates no Vulkan objects.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ash::vk;

use crate::core::device::Device;
use crate::dmabuf::Dmabufs;
use crate::error::{Error, Result};
use crate::gpu::Gpu;
use crate::render::drawing::Drawing;
use crate::resources::buffer::Buffer;
use crate::resources::format::{DrmFourcc, FormatTable};
use crate::resources::texture::{Texture, TextureDesc};

/// How to create a renderer.
#[derive(Clone, Debug)]
pub struct RendererOptions {
    /// Bytes of the staging ring shm damage goes through (grown when an update is larger).
    pub staging_size: u64,
    /// A pipeline cache saved by [`Renderer::pipeline_cache_data`] on an earlier run.
    pub pipeline_cache: Option<Vec<u8>>,
    /// Draw the textured quads of a frame through one texture array (one draw for many
    /// textures) where the device has descriptor indexing. On by default; off draws each
    /// texture with its own descriptor set, as devices without it always do.
    pub texture_array: bool,
    /// Where the device cannot import dma-bufs but can import host memory
    /// ([`DmabufImport::HostMapping`](crate::DmabufImport::HostMapping)), import a LINEAR
    /// dma-buf's mapping as host memory and let the GPU copy it. On by default; off copies
    /// mapped dma-bufs on the CPU, as devices without host-memory import always do.
    pub dmabuf_host_import: bool,
}

impl Default for RendererOptions {
    fn default() -> Self {
        RendererOptions {
            staging_size: 16 << 20,
            pipeline_cache: None,
            texture_array: true,
            dmabuf_host_import: true,
        }
    }
}

/// Renders frames of textured and solid quads into targets.
pub struct Renderer {
    gpu: Gpu,
    dmabufs: Dmabufs,
    drawing: Drawing,
    /// Readback buffers returned by dropped readbacks.
    readback_spares: Arc<Mutex<Vec<Buffer>>>,
}

static NEXT_RENDERER_ID: AtomicU64 = AtomicU64::new(1);

impl Renderer {
    pub fn new(device: &Device, options: &RendererOptions) -> Result<Renderer> {
        let id = NEXT_RENDERER_ID.fetch_add(1, Ordering::Relaxed);
        let gpu = Gpu::new(device, id, options.staging_size)?;
        let dmabufs = Dmabufs::new(&gpu, options.dmabuf_host_import);
        let drawing = Drawing::new(
            device,
            options.pipeline_cache.as_deref(),
            options.texture_array,
        )?;
        Ok(Renderer {
            gpu,
            dmabufs,
            drawing,
            readback_spares: Arc::default(),
        })
    }

    /// How long the GPU spent on a frame, once it has completed; `None` before that, for
    /// frames older than the last 64 submissions, or where the queue has no timestamps.
    pub fn gpu_time(&self, frame: &crate::SyncPoint) -> Result<Option<Duration>> {
        match self.drawing.timer() {
            Some(timer) if frame.is_reached()? => timer.elapsed(frame.value()),
            _ => Ok(None),
        }
    }

    pub fn device(&self) -> &Device {
        self.gpu.device()
    }

    /// Every table format and what the device can do with it.
    pub fn formats(&self) -> &FormatTable {
        self.gpu.formats()
    }

    /// The formats to advertise for wl_shm.
    pub fn shm_formats(&self) -> Vec<DrmFourcc> {
        self.gpu.formats().shm_formats()
    }

    /// The last point whose work has completed.
    pub fn completed_point(&self) -> Result<u64> {
        self.gpu.submitter_ref().timeline().value()
    }

    /// The pipeline cache's contents, to save and pass back in [`RendererOptions`].
    pub fn pipeline_cache_data(&self) -> Result<Vec<u8>> {
        self.drawing.pipeline_cache_data()
    }

    /// An offscreen target the renderer allocates: renderable, readable back, sampleable.
    pub fn create_target(&mut self, width: u32, height: u32, fourcc: DrmFourcc) -> Result<Texture> {
        self.device().require_alive()?;
        let info = self.gpu.target_format(fourcc)?;
        self.gpu.check_size(width, height)?;
        let texture = Texture::new(
            self.gpu.device(),
            TextureDesc {
                width,
                height,
                format: info.vk,
                usage: vk::ImageUsageFlags::COLOR_ATTACHMENT
                    | vk::ImageUsageFlags::TRANSFER_SRC
                    | vk::ImageUsageFlags::TRANSFER_DST
                    | vk::ImageUsageFlags::SAMPLED,
                // Attachment views need the identity swizzle, so an X target's view shows
                // its alpha channel as stored (rendering writes it).
                has_alpha: true,
                swizzle: vk::ComponentMapping::default(),
                fourcc: Some(fourcc),
            },
        )?;
        texture.set_owner(self.gpu.id());
        Ok(texture)
    }

    /// Makes a texture the caller built around its own image ([`Texture::from_raw`]) usable
    /// as this renderer's target or source.
    pub fn adopt_texture(&self, texture: &Texture) -> Result<()> {
        let id = self.gpu.id();
        if texture.owner() != 0 && texture.owner() != id {
            return Err(Error::InvalidArgument(
                "the texture belongs to another renderer".into(),
            ));
        }
        texture.set_owner(id);
        Ok(())
    }

    /// Submits pending uploads on their own.
    pub fn flush(&mut self) -> Result<u64> {
        self.device().require_alive()?;
        self.gpu.submitter().flush()
    }

    /// Waits until everything submitted so far has completed, and frees what it held (and
    /// what imported dma-bufs that are gone still held).
    pub fn wait_idle(&mut self) -> Result<()> {
        self.device().require_alive()?;
        self.gpu.submitter().wait_idle()?;
        // What dropped dma-bufs' copy sources held (their mappings and fds) goes too.
        self.dmabufs.release_dead();
        Ok(())
    }

    /// Whether the device was lost. Then every call returns `Error::DeviceLost` without
    /// touching it; drop the renderer and everything made with it (which is safe), and make
    /// a new device and renderer (see README, "Failure").
    pub fn is_lost(&self) -> bool {
        self.device().is_lost()
    }

    /// An error unless the texture was made by (or adopted into) this renderer.
    pub(crate) fn require_own(&self, texture: &Texture) -> Result<()> {
        self.gpu.require_own(texture)
    }

    /// This renderer's identity, which its textures carry as their owner.
    pub(crate) fn id(&self) -> u64 {
        self.gpu.id()
    }

    pub(crate) fn gpu(&self) -> &Gpu {
        &self.gpu
    }

    pub(crate) fn gpu_mut(&mut self) -> &mut Gpu {
        &mut self.gpu
    }

    pub(crate) fn readback_spares(&self) -> &Arc<Mutex<Vec<Buffer>>> {
        &self.readback_spares
    }

    /// The parts a frame records with: submission and what it draws with.
    pub(crate) fn frame_parts(&mut self) -> (&mut Gpu, &mut Drawing) {
        (&mut self.gpu, &mut self.drawing)
    }

    /// The dma-buf part, with the parts its work uses.
    pub(crate) fn dmabuf_parts(&mut self) -> (&mut Dmabufs, &mut Gpu, &mut Drawing) {
        (&mut self.dmabufs, &mut self.gpu, &mut self.drawing)
    }

    pub(crate) fn dmabufs(&self) -> &Dmabufs {
        &self.dmabufs
    }
}

impl Drop for Renderer {
    fn drop(&mut self) {
        // Every part's Vulkan objects may be in use by submitted work until it completes.
        let _ = self.gpu.submitter().wait_idle();
    }
}
