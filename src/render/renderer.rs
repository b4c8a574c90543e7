//! The renderer: owns the timeline every submission advances, the staging ring, the
//! recyclable command recorders, and the caches (render passes and pipelines per target
//! format, samplers, the pipeline cache; framebuffers live with their targets), and the
//! binary semaphores sync_files pass through. A steady stream of frames creates no Vulkan
//! objects.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ash::vk;

use crate::core::device::Device;
use crate::core::semaphore_pool::SemaphorePool;
use crate::core::sync::TimelineSemaphore;
use crate::error::{Error, Result, VkResultExt};
use crate::pipelines::recorder::Recorder;
use crate::pipelines::render_pass::RenderPass;
use crate::resources::format::{DrmFourcc, FormatInfo, FormatSupport, FormatTable};
use crate::resources::graveyard::Graveyard;
use crate::resources::sampler::{Filter, Sampler};
use crate::resources::staging::{StagingRing, Timeline};
use crate::resources::texture::{Texture, TextureDesc};
use crate::resources::timing::GpuTimer;
use crate::shaders::{passes, Pipelines};

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

/// The render pass and pipelines for one target format.
pub(crate) struct Output {
    pub pass: RenderPass<passes::Output>,
    pub pipelines: Pipelines,
}

/// Renders frames of textured and solid quads into targets.
pub struct Renderer {
    pub(crate) device: Device,
    pub(crate) id: u64,
    formats: FormatTable,
    /// The (format, modifier) pairs of shared buffers.
    pub(crate) modifiers: crate::dmabuf::ModifierTable,
    /// What the CPU copy fallback takes (LINEAR dma-bufs of the shm formats), for drivers
    /// without dma-buf import.
    pub(crate) mapped_dmabufs: crate::dmabuf::ModifierTable,
    /// Imported dmabufs, so that importing one again returns its texture.
    pub(crate) dmabufs: crate::dmabuf::cache::DmabufCache,
    /// Samplers and pipelines of YUV textures.
    pub(crate) yuv: crate::pipelines::yuv::YuvCache,
    pub(crate) timeline: Arc<TimelineSemaphore>,
    /// Objects dropped while the GPU may still use them.
    pub(crate) graveyard: Arc<Graveyard>,
    /// Binary semaphores for sync_file exports and imports, reused once their point passed.
    pub(crate) semaphores: SemaphorePool,
    /// The last point given to a submission.
    pub(crate) submitted: u64,
    staging: StagingRing,
    /// Upload commands for the next submission.
    uploads: Option<Recorder>,
    /// Frame recorders and upload recorders, each used round-robin, with the point their
    /// work was submitted at: every recorder takes the same kind of work, so once each
    /// has been used once nothing more is created.
    frame_ring: RecorderRing,
    upload_ring: RecorderRing,
    outputs: HashMap<vk::Format, Output>,
    nearest: Sampler,
    linear: Sampler,
    pipeline_cache: vk::PipelineCache,
    pub(crate) timer: Option<GpuTimer>,
    /// One descriptor set per texture even where a texture array could be used.
    pub(crate) classic_binding: bool,
    /// Mapped dma-bufs are imported as host memory where the device can.
    pub(crate) dmabuf_host_import: bool,
    /// Readback buffers returned by dropped readbacks.
    pub(crate) readback_spares: Arc<std::sync::Mutex<Vec<crate::resources::buffer::Buffer>>>,
}

static NEXT_RENDERER_ID: AtomicU64 = AtomicU64::new(1);

impl Renderer {
    pub fn new(device: &Device, options: &RendererOptions) -> Result<Renderer> {
        let pipeline_cache = create_pipeline_cache(device, options.pipeline_cache.as_deref())?;
        let timeline = Arc::new(TimelineSemaphore::new(device, 0)?);
        let formats = FormatTable::probe(device);
        let max_extent = device
            .physical_device()
            .info()
            .limits
            .max_image_dimension_2d;
        let mapped_dmabufs =
            crate::dmabuf::ModifierTable::copy_fallback(device.name(), &formats, max_extent);
        Ok(Renderer {
            device: device.clone(),
            id: NEXT_RENDERER_ID.fetch_add(1, Ordering::Relaxed),
            formats,
            modifiers: crate::dmabuf::ModifierTable::probe(device),
            mapped_dmabufs,
            dmabufs: Default::default(),
            yuv: Default::default(),
            graveyard: Graveyard::new(timeline.clone()),
            semaphores: SemaphorePool::new(device, timeline.clone(), IN_FLIGHT),
            timeline,
            submitted: 0,
            staging: StagingRing::new(device, options.staging_size)?,
            uploads: None,
            frame_ring: RecorderRing::default(),
            upload_ring: RecorderRing::default(),
            outputs: HashMap::new(),
            nearest: Sampler::new(device, Filter::Nearest)?,
            linear: Sampler::new(device, Filter::Linear)?,
            pipeline_cache,
            timer: GpuTimer::new(device)?,
            classic_binding: !options.texture_array,
            dmabuf_host_import: options.dmabuf_host_import,
            readback_spares: Arc::default(),
        })
    }

    /// How long the GPU spent on a frame, once it has completed; `None` before that, for
    /// frames older than the last 64 submissions, or where the queue has no timestamps.
    pub fn gpu_time(&self, frame: &crate::render::frame::SyncPoint) -> Result<Option<Duration>> {
        match &self.timer {
            Some(timer) if frame.is_reached()? => timer.elapsed(frame.value()),
            _ => Ok(None),
        }
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Every table format and what the device can do with it.
    pub fn formats(&self) -> &FormatTable {
        &self.formats
    }

    /// The formats to advertise for wl_shm.
    pub fn shm_formats(&self) -> Vec<DrmFourcc> {
        self.formats.shm_formats()
    }

    /// The last point whose work has completed.
    pub fn completed_point(&self) -> Result<u64> {
        self.timeline.value()
    }

    /// The pipeline cache's contents, to save and pass back in [`RendererOptions`].
    pub fn pipeline_cache_data(&self) -> Result<Vec<u8>> {
        // SAFETY: the cache belongs to this device.
        unsafe {
            self.device
                .raw()
                .get_pipeline_cache_data(self.pipeline_cache)
        }
        .or_vk("vkGetPipelineCacheData")
    }

    /// An offscreen target the renderer allocates: renderable, readable back, sampleable.
    pub fn create_target(&mut self, width: u32, height: u32, fourcc: DrmFourcc) -> Result<Texture> {
        let info = self.target_format(fourcc)?;
        self.check_size(width, height)?;
        let texture = Texture::new(
            &self.device,
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
        texture.set_owner(self.id);
        Ok(texture)
    }

    /// Makes a texture the caller built around its own image ([`Texture::from_raw`]) usable
    /// as this renderer's target or source.
    pub fn adopt_texture(&self, texture: &Texture) -> Result<()> {
        if texture.owner() != 0 && texture.owner() != self.id {
            return Err(Error::InvalidArgument(
                "the texture belongs to another renderer".into(),
            ));
        }
        texture.set_owner(self.id);
        Ok(())
    }

    /// An error unless the texture was made by (or adopted into) this renderer.
    pub(crate) fn require_own(&self, texture: &Texture) -> Result<()> {
        if texture.owner() == self.id {
            Ok(())
        } else {
            Err(Error::ForeignTexture)
        }
    }

    /// The largest width or height of a 2D image on this device.
    pub(crate) fn max_extent(&self) -> u32 {
        self.device
            .physical_device()
            .info()
            .limits
            .max_image_dimension_2d
    }

    pub(crate) fn check_size(&self, width: u32, height: u32) -> Result<()> {
        let max = self.max_extent();
        if width == 0 || height == 0 || width > max || height > max {
            return Err(Error::BadBuffer(format!(
                "a {width}x{height} buffer is outside 1x1 to {max}x{max}"
            )));
        }
        Ok(())
    }

    fn target_format(&self, fourcc: DrmFourcc) -> Result<&'static FormatInfo> {
        self.usable_format(fourcc, FormatSupport::target, "render target")
    }

    pub(crate) fn shm_format(&self, fourcc: DrmFourcc) -> Result<&'static FormatInfo> {
        self.usable_format(fourcc, FormatSupport::shm, "shm texture")
    }

    /// The table entry of `fourcc` if the device supports it for `what` (as `usable` says).
    fn usable_format(
        &self,
        fourcc: DrmFourcc,
        usable: fn(&FormatSupport) -> bool,
        what: &'static str,
    ) -> Result<&'static FormatInfo> {
        let supported = self.formats.support(fourcc).is_some_and(|s| usable(&s));
        match crate::resources::format::format_info(fourcc) {
            Some(info) if supported => Ok(info),
            _ => Err(self.unsupported(fourcc, what)),
        }
    }

    /// The error for a format this device cannot use as `what`.
    pub(crate) fn unsupported(&self, fourcc: DrmFourcc, what: &'static str) -> Error {
        Error::UnsupportedFormat {
            device: self.device.name().to_string(),
            fourcc: format!("{fourcc:?}"),
            what,
        }
    }

    pub(crate) fn sampler(&self, filter: Filter) -> &Sampler {
        match filter {
            Filter::Nearest => &self.nearest,
            Filter::Linear => &self.linear,
        }
    }

    /// The render pass and pipelines for `format`, built on first use.
    pub(crate) fn output(&mut self, format: vk::Format) -> Result<&Output> {
        if !self.outputs.contains_key(&format) {
            let pass = RenderPass::<passes::Output>::new(&self.device, format)?;
            let pipelines = Pipelines::new(&self.device, &pass, self.pipeline_cache)?;
            self.outputs.insert(format, Output { pass, pipelines });
        }
        Ok(&self.outputs[&format])
    }

    /// Builds the pipeline drawing YUV textures sampled through `sampler` into targets of
    /// `format`.
    pub(crate) fn build_yuv_pipeline(
        &mut self,
        format: vk::Format,
        sampler: &Sampler,
    ) -> Result<()> {
        self.output(format)?;
        let pass = &self.outputs[&format].pass;
        self.yuv
            .build_pipeline(&self.device, pass, format, sampler, self.pipeline_cache)
    }

    /// The output of `format`; [`Renderer::output`] built it.
    pub(crate) fn built_output(&self, format: vk::Format) -> &Output {
        &self.outputs[&format]
    }

    /// A frame recorder ready to record.
    pub(crate) fn take_recorder(&mut self) -> Result<Recorder> {
        self.collect()?;
        self.frame_ring.take(&self.device, &self.timeline)
    }

    /// Gives back a frame recorder that will not be submitted (recording failed); it is
    /// reset when next taken.
    pub(crate) fn return_unsubmitted(&mut self, recorder: Recorder) {
        self.frame_ring.give_back(recorder, 0);
    }

    /// Frees what completed work no longer needs.
    fn collect(&mut self) -> Result<()> {
        let completed = self.timeline.value()?;
        self.staging.reclaim(completed);
        self.graveyard.collect()
    }

    /// Submits `recorder` (after any pending uploads) as the next point, also signalling
    /// `signal` when given.
    pub(crate) fn submit_with(
        &mut self,
        recorder: Recorder,
        signal: Option<&crate::core::sync::Semaphore>,
    ) -> Result<u64> {
        self.submit_waiting(recorder, &[], signal.as_slice())
    }

    /// [`Renderer::submit_with`], the frame's commands also waiting for `waits` (binary
    /// semaphores, before any stage) and signalling every one of `signals`.
    pub(crate) fn submit_waiting(
        &mut self,
        mut recorder: Recorder,
        waits: &[&crate::core::sync::Semaphore],
        signals: &[&crate::core::sync::Semaphore],
    ) -> Result<u64> {
        let point = self.submitted + 1;
        let mut uploads = self.uploads.take();
        let before = match uploads.as_mut() {
            Some(u) => {
                u.end()?;
                Some(u.command_buffer())
            }
            None => None,
        };
        let result = recorder.submit(before, waits, &self.timeline, point, signals);
        self.submitted = point;
        self.frame_ring.give_back(recorder, point);
        if let Some(u) = uploads {
            self.upload_ring.give_back(u, point);
        }
        result.map(|()| point)
    }

    /// Submits a batch of no commands that only waits for `waits`, as the next point: a
    /// frame that failed before its submission still consumes the semaphores it was
    /// given, so that their owners can reuse them once the point is reached.
    pub(crate) fn submit_waits_only(
        &mut self,
        waits: &[&crate::core::sync::Semaphore],
    ) -> Result<u64> {
        let point = self.submitted + 1;
        let waits = crate::core::submit::binary_waits(waits);
        let signals = [crate::core::submit::SemaphorePoint::Timeline(
            &self.timeline,
            point,
        )];
        let result = self
            .device
            .graphics_queue()
            .submit(&crate::core::submit::Submission {
                waits: &waits,
                signals: &signals,
                ..Default::default()
            });
        self.submitted = point;
        result.map(|()| point)
    }

    /// The recorder collecting upload commands for the next submission.
    pub(crate) fn uploads(&mut self) -> Result<&mut Recorder> {
        if self.uploads.is_none() {
            self.collect()?;
            let recorder = self.upload_ring.take(&self.device, &self.timeline)?;
            self.uploads = Some(recorder);
        }
        Ok(self.uploads.as_mut().expect("set above"))
    }

    /// Submits pending uploads on their own.
    pub fn flush(&mut self) -> Result<u64> {
        let (_, mut timeline) = self.staging_parts();
        timeline.flush()?;
        Ok(self.submitted)
    }

    /// Submits pending uploads on their own, also signalling `signal` (a binary semaphore
    /// that is unsignaled, with no signal pending). Returns the point they were given.
    pub(crate) fn flush_signalling(
        &mut self,
        signal: &crate::core::sync::Semaphore,
    ) -> Result<u64> {
        let Some(mut uploads) = self.uploads.take() else {
            return Err(Error::InvalidArgument("no uploads to submit".into()));
        };
        let point = self.submitted + 1;
        let result = uploads.submit(None, &[], &self.timeline, point, &[signal]);
        self.submitted = point;
        self.upload_ring.give_back(uploads, point);
        result.map(|()| point)
    }

    /// Waits until everything submitted so far has completed.
    pub fn wait_idle(&mut self) -> Result<()> {
        self.flush()?;
        self.timeline
            .wait(self.submitted, Duration::MAX)
            .map(|_| ())
    }

    pub(crate) fn staging_parts(&mut self) -> (&mut StagingRing, RendererTimeline<'_>) {
        let Renderer {
            staging,
            timeline,
            submitted,
            uploads,
            upload_ring,
            ..
        } = self;
        (
            staging,
            RendererTimeline {
                timeline,
                submitted,
                uploads,
                upload_ring,
            },
        )
    }
}

/// Recorders per ring: frames (or upload batches) in flight before the next waits for the
/// oldest.
const IN_FLIGHT: usize = 3;

/// Recorders used in turn.
#[derive(Default)]
struct RecorderRing {
    /// Oldest submission first.
    idle: std::collections::VecDeque<(Recorder, u64)>,
    /// How many exist (idle or recording).
    count: usize,
}

impl RecorderRing {
    /// The oldest recorder once its work has completed, or a new one while fewer than
    /// `IN_FLIGHT` exist.
    fn take(&mut self, device: &Device, timeline: &TimelineSemaphore) -> Result<Recorder> {
        if self.count < IN_FLIGHT {
            self.count += 1;
            return Recorder::new(device).inspect_err(|_| self.count -= 1);
        }
        let (mut recorder, point) = self
            .idle
            .pop_front()
            .ok_or_else(|| Error::InvalidArgument("every recorder is in use".into()))?;
        timeline.wait(point, Duration::MAX)?;
        recorder.reset()?;
        Ok(recorder)
    }

    fn give_back(&mut self, recorder: Recorder, point: u64) {
        self.idle.push_back((recorder, point));
    }
}

/// The renderer's timeline as the staging ring sees it.
pub(crate) struct RendererTimeline<'a> {
    timeline: &'a Arc<TimelineSemaphore>,
    submitted: &'a mut u64,
    uploads: &'a mut Option<Recorder>,
    upload_ring: &'a mut RecorderRing,
}

impl Timeline for RendererTimeline<'_> {
    fn completed(&self) -> Result<u64> {
        self.timeline.value()
    }

    fn wait(&self, point: u64) -> Result<()> {
        self.timeline.wait(point, Duration::MAX).map(|_| ())
    }

    fn pending_point(&self) -> u64 {
        *self.submitted + 1
    }

    fn flush(&mut self) -> Result<()> {
        if let Some(mut uploads) = self.uploads.take() {
            let point = *self.submitted + 1;
            let result = uploads.submit(None, &[], self.timeline, point, &[]);
            *self.submitted = point;
            self.upload_ring.give_back(uploads, point);
            result?;
        }
        Ok(())
    }
}

impl Drop for Renderer {
    fn drop(&mut self) {
        let _ = self.wait_idle();
        let _ = self.graveyard.collect();
        let device = self.device.raw();
        // SAFETY: every submission has completed (waited above), so nothing uses the cached
        // objects.
        unsafe {
            device.destroy_pipeline_cache(self.pipeline_cache, None);
        }
    }
}

fn create_pipeline_cache(device: &Device, data: Option<&[u8]>) -> Result<vk::PipelineCache> {
    let info = vk::PipelineCacheCreateInfo::default().initial_data(data.unwrap_or(&[]));
    // SAFETY: drivers validate the header of initial data and ignore a mismatching cache.
    let cache = unsafe { device.raw().create_pipeline_cache(&info, None) }
        .or_vk("vkCreatePipelineCache")?;
    device.count_created();
    Ok(cache)
}
