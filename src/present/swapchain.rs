//! Swapchains: a window surface's presentable images as render targets.
//!
//! [`Swapchain::begin_frame`] acquires an image and starts a renderer [`Frame`] on it that
//! waits for the acquire; [`PresentFrame::present`] finishes that frame, which leaves the
//! image presentable and signals the image's own semaphore, and queues the presentation.
//! The swapchain is rebuilt, never panicking, when the window's size or the present mode
//! changes, or the window system reports it out of date or suboptimal; while the window
//! has no area (minimised) there is nothing to draw and `begin_frame` returns `None`.
//!
//! Semaphores: an acquire needs one with no pending operation, known only after the fact
//! to belong to an image, so each image keeps the semaphore of its last acquire until it
//! is acquired again, and the one it gives back becomes the next acquire's once the frame
//! that waited for it is done (one more than the image count in all). Each image has its
//! own semaphore for presentation: a presentation holds it until the image comes back.

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use ash::{khr, vk};
use drm_fourcc::DrmFourcc;

use crate::core::device::Device;
use crate::core::submit::{SemaphorePoint, Submission};
use crate::core::sync::{Fence, Semaphore};
use crate::error::{Error, Result, VkResultExt};
use crate::geometry::Transform;
use crate::present::surface::Surface;
use crate::render::frame::{Frame, SyncPoint};
use crate::render::renderer::Renderer;
use crate::resources::texture::{Texture, TextureDesc};

/// How presented images reach the screen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PresentMode {
    /// Every presented image is shown, in order, each for at least one refresh; acquiring
    /// waits while all images are queued. Every surface has it.
    #[default]
    Fifo,
    /// The newest image replaces one still waiting to be shown: no tearing and no
    /// waiting. Where the surface lacks it, swapchains use [`PresentMode::Fifo`] instead.
    Mailbox,
}

impl PresentMode {
    fn raw(self) -> vk::PresentModeKHR {
        match self {
            PresentMode::Fifo => vk::PresentModeKHR::FIFO,
            PresentMode::Mailbox => vk::PresentModeKHR::MAILBOX,
        }
    }
}

/// How to make a swapchain.
#[derive(Clone, Copy, Debug, Default)]
pub struct SwapchainOptions {
    /// The window's size in pixels. Where the window system decides the size itself (X11)
    /// its size wins; where it leaves it to the swapchain (Wayland) this is used. Keep it
    /// current with [`Swapchain::resize`]; a zero side means there is nothing to draw.
    pub width: u32,
    pub height: u32,
    pub present_mode: PresentMode,
}

/// The presentable images of a window's surface, as render targets of one [`Renderer`].
pub struct Swapchain {
    images: Vec<SwapImage>,
    state: State,
}

/// One presentable image.
struct SwapImage {
    /// The image as a render target (the swapchain owns the image itself).
    texture: Texture,
    /// Signalled by the frame rendering into the image; waited for by its presentation.
    rendered: Semaphore,
    /// The semaphore of the acquire that returned the image last.
    acquired: Option<Semaphore>,
}

/// Everything but the images, so that a frame can borrow an image while this changes.
struct State {
    device: Device,
    fns: khr::swapchain::Device,
    surface: Surface,
    /// The renderer whose targets the images are.
    renderer: u64,
    format: vk::SurfaceFormatKHR,
    fourcc: DrmFourcc,
    raw: vk::SwapchainKHR,
    extent: vk::Extent2D,
    mode: PresentMode,
    wanted_mode: PresentMode,
    wanted_size: (u32, u32),
    /// Rebuild before the next acquire.
    stale: bool,
    /// The semaphore the next acquire uses, with the frame that last waited for it.
    spare: Option<(Semaphore, Option<SyncPoint>)>,
    /// Per image, the last frame that drew into it (and waited for its acquire).
    last_frames: Vec<Option<SyncPoint>>,
    /// How many `VkSwapchainKHR`s have been made.
    generation: u64,
}

/// How long an acquire may wait for an image before the frame is skipped. Generous: with
/// FIFO it waits for the display's refresh.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);

/// Acquires tried per frame when the window system keeps reporting the swapchain out of
/// date (a window being resized).
const ACQUIRE_ATTEMPTS: usize = 3;

impl Swapchain {
    /// A swapchain presenting `surface` with images `renderer` draws into. The device
    /// must have been built with [`DeviceBuilder::present_to`](crate::DeviceBuilder) for
    /// this surface. The format is ARGB8888 (`B8G8R8A8_UNORM`) where the surface offers
    /// it, else ABGR8888, else the first the renderer can draw into.
    pub fn new(
        renderer: &Renderer,
        surface: Surface,
        options: &SwapchainOptions,
    ) -> Result<Swapchain> {
        let device = renderer.device().clone();
        let fns = device.swapchain_fns()?.clone();
        let physical = device.physical_device();
        if !surface.supports_family(physical, device.queue_family())? {
            return Err(Error::Unsupported {
                device: device.name().to_string(),
                what: format!(
                    "presentation to this window from queue family {}, its graphics queue's",
                    device.queue_family()
                ),
            });
        }
        let (format, fourcc) = choose_format(&surface.formats(physical)?, renderer)?;
        let mut swapchain = Swapchain {
            images: Vec::new(),
            state: State {
                device,
                fns,
                surface,
                renderer: renderer.id(),
                format,
                fourcc,
                raw: vk::SwapchainKHR::null(),
                extent: vk::Extent2D::default(),
                mode: options.present_mode,
                wanted_mode: options.present_mode,
                wanted_size: (options.width, options.height),
                stale: true,
                spare: None,
                last_frames: Vec::new(),
                generation: 0,
            },
        };
        swapchain.rebuild()?;
        Ok(swapchain)
    }

    /// Tells the swapchain the window's new size (from winit's `Resized`); it is rebuilt
    /// before the next frame. A zero side (a minimised window) means no frames until the
    /// next resize.
    pub fn resize(&mut self, width: u32, height: u32) {
        if self.state.wanted_size != (width, height) {
            self.state.wanted_size = (width, height);
            self.state.stale = true;
        }
    }

    /// Switches the present mode from the next frame on.
    pub fn set_present_mode(&mut self, mode: PresentMode) {
        if self.state.wanted_mode != mode {
            self.state.wanted_mode = mode;
            self.state.stale = true;
        }
    }

    /// The present mode the images use now ([`PresentMode::Fifo`] when Mailbox was asked
    /// for and the surface lacks it).
    pub fn present_mode(&self) -> PresentMode {
        self.state.mode
    }

    /// The images' size, or `None` while there are none (a window without area).
    pub fn extent(&self) -> Option<(u32, u32)> {
        let e = self.state.extent;
        (!self.images.is_empty()).then_some((e.width, e.height))
    }

    pub fn format(&self) -> vk::Format {
        self.state.format.format
    }

    /// The images' format as a DRM fourcc (how a readback of them is laid out).
    pub fn fourcc(&self) -> DrmFourcc {
        self.state.fourcc
    }

    pub fn image_count(&self) -> usize {
        self.images.len()
    }

    pub fn surface(&self) -> &Surface {
        &self.state.surface
    }

    /// How many `VkSwapchainKHR`s this swapchain has made: one, plus one per rebuild.
    pub fn generation(&self) -> u64 {
        self.state.generation
    }

    /// Acquires an image and begins a frame on it (a frame of `renderer`, which must be
    /// the one the swapchain was made with). `None` when there is nothing to draw into
    /// now: the window has no area, or no image came within a second, or the window
    /// system kept reporting the swapchain out of date. The image's earlier contents are
    /// gone: draw all of it. Present the frame with [`PresentFrame::present`]; a frame
    /// dropped instead is still finished (not shown), and the swapchain is rebuilt.
    pub fn begin_frame<'r>(
        &'r mut self,
        renderer: &'r mut Renderer,
        transform: Transform,
    ) -> Result<Option<PresentFrame<'r>>> {
        if renderer.id() != self.state.renderer {
            return Err(Error::InvalidArgument(
                "this swapchain's images are targets of another renderer".into(),
            ));
        }
        let Some(index) = self.acquire()? else {
            return Ok(None);
        };
        let Swapchain { images, state } = self;
        let image = &images[index];
        let acquired = image.acquired.as_ref().expect("stored by the acquire");
        // An acquired image's contents are undefined; saying so lets the first barrier
        // skip keeping them.
        image.texture.record_layout(vk::ImageLayout::UNDEFINED);
        let frame = renderer
            .render(&image.texture, transform)
            .and_then(|mut frame| {
                frame.set_final_layout(vk::ImageLayout::PRESENT_SRC_KHR)?;
                Ok(frame)
            });
        let mut frame = match frame {
            Ok(frame) => frame,
            Err(e) => {
                state.consume_acquire(acquired)?;
                return Err(e);
            }
        };
        frame.wait_semaphore(acquired);
        Ok(Some(PresentFrame {
            frame: Some(frame),
            image,
            index,
            state,
        }))
    }

    /// The index of an acquired image whose acquire semaphore is stored with it, rebuilding
    /// the swapchain first where needed.
    fn acquire(&mut self) -> Result<Option<usize>> {
        for _ in 0..ACQUIRE_ATTEMPTS {
            if self.state.stale || self.images.is_empty() {
                self.rebuild()?;
            }
            if self.images.is_empty() {
                return Ok(None);
            }
            match self.state.acquire_next()? {
                Acquired::Image(index, semaphore) => {
                    return Ok(Some(self.keep_acquire_semaphore(index, semaphore)));
                }
                Acquired::OutOfDate => self.state.stale = true,
                Acquired::NotNow => return Ok(None),
            }
        }
        tracing::debug!(
            "the swapchain stayed out of date for {ACQUIRE_ATTEMPTS} acquires; skipping a frame"
        );
        Ok(None)
    }

    /// Stores the semaphore the acquire of image `index` used with it, and makes the one
    /// the image held the next spare.
    fn keep_acquire_semaphore(&mut self, index: u32, used: Semaphore) -> usize {
        let index = index as usize;
        let previous = self.images[index].acquired.replace(used);
        if let Some(semaphore) = previous {
            let waited_by = self.state.last_frames[index].take();
            self.state.spare = Some((semaphore, waited_by));
        }
        index
    }

    /// Replaces the swapchain with one for the current size, mode and surface state; none
    /// while the window has no area.
    fn rebuild(&mut self) -> Result<()> {
        // Frames may still draw into the old images and presentations wait for them.
        self.state.device.wait_idle()?;
        let physical = self.state.device.physical_device();
        let caps = self.state.surface.capabilities(physical)?;
        let old = std::mem::replace(&mut self.state.raw, vk::SwapchainKHR::null());
        self.images.clear();
        self.state.last_frames.clear();
        self.state.stale = false;
        let built = match choose_extent(&caps, self.state.wanted_size) {
            Some(extent) => self.build(&caps, extent, old),
            None => Ok(()),
        };
        if old != vk::SwapchainKHR::null() {
            // SAFETY: the queue is idle and the old images' textures are gone; the new
            // swapchain, made from it, no longer needs it.
            unsafe { self.state.fns.destroy_swapchain(old, None) };
        }
        if built.is_err() {
            self.state.stale = true;
        }
        built
    }

    fn build(
        &mut self,
        caps: &vk::SurfaceCapabilitiesKHR,
        extent: vk::Extent2D,
        old: vk::SwapchainKHR,
    ) -> Result<()> {
        let physical = self.state.device.physical_device();
        let modes = self.state.surface.present_modes(physical)?;
        let mode = usable_mode(self.state.wanted_mode, &modes);
        let usage = vk::ImageUsageFlags::COLOR_ATTACHMENT
            | (caps.supported_usage_flags
                & (vk::ImageUsageFlags::TRANSFER_SRC | vk::ImageUsageFlags::TRANSFER_DST));
        let family = [self.state.device.queue_family()];
        let info = vk::SwapchainCreateInfoKHR::default()
            .surface(self.state.surface.raw())
            .min_image_count(image_count(caps, mode))
            .image_format(self.state.format.format)
            .image_color_space(self.state.format.color_space)
            .image_extent(extent)
            .image_array_layers(1)
            .image_usage(usage)
            .image_sharing_mode(vk::SharingMode::EXCLUSIVE)
            .queue_family_indices(&family)
            .pre_transform(pre_transform(caps))
            .composite_alpha(composite_alpha(caps))
            .present_mode(mode.raw())
            .clipped(true)
            .old_swapchain(old);
        // SAFETY: the surface is live and supported by the device's graphics family
        // (checked in `new`); every value comes from its capabilities; `old` is a
        // swapchain of the same surface or null.
        let raw = unsafe { self.state.fns.create_swapchain(&info, None) }
            .or_vk("vkCreateSwapchainKHR")?;
        self.state.device.count_created();
        self.state.raw = raw;
        self.state.extent = extent;
        self.state.mode = mode;
        self.state.generation += 1;
        self.wrap_images(usage)?;
        tracing::info!(
            "swapchain {}x{} {:?}, {mode:?}, {} images",
            extent.width,
            extent.height,
            self.state.format.format,
            self.images.len()
        );
        Ok(())
    }

    /// Makes each image of the new swapchain a render target of the renderer.
    fn wrap_images(&mut self, usage: vk::ImageUsageFlags) -> Result<()> {
        let state = &self.state;
        // SAFETY: the swapchain was just made from this device.
        let raws = unsafe { state.fns.get_swapchain_images(state.raw) }
            .or_vk("vkGetSwapchainImagesKHR")?;
        let desc = TextureDesc {
            width: state.extent.width,
            height: state.extent.height,
            format: state.format.format,
            usage,
            // Rendering writes alpha; whether the window system uses it is the composite
            // alpha mode's business.
            has_alpha: true,
            swizzle: vk::ComponentMapping::default(),
            fourcc: Some(state.fourcc),
        };
        for raw in raws {
            // SAFETY: a 2D, one-level, one-layer color image of this device made with
            // `desc`'s format, size and usage, in no layout yet; the swapchain outlives
            // the texture (`rebuild` and `drop` drop the textures first, after waiting for
            // the queue).
            let texture =
                unsafe { Texture::from_raw(&state.device, raw, desc, vk::ImageLayout::UNDEFINED) }?;
            texture.set_owner(state.renderer);
            let rendered = Semaphore::new(&state.device)?;
            self.images.push(SwapImage {
                texture,
                rendered,
                acquired: None,
            });
        }
        self.state.last_frames = vec![None; self.images.len()];
        Ok(())
    }
}

impl Drop for Swapchain {
    fn drop(&mut self) {
        // Frames in flight draw into the images and presentations wait for them.
        if let Err(e) = self.state.device.wait_idle() {
            tracing::warn!("waiting for the swapchain's frames failed: {e}");
        }
        self.images.clear();
        if self.state.raw != vk::SwapchainKHR::null() {
            // SAFETY: the queue is idle and the images' textures are gone; the surface
            // (dropped after this) is still alive.
            unsafe { self.state.fns.destroy_swapchain(self.state.raw, None) };
        }
    }
}

/// What one acquire gave.
enum Acquired {
    /// The image's index, and the semaphore its acquire signals.
    Image(u32, Semaphore),
    /// The swapchain no longer matches the surface: rebuild and try again.
    OutOfDate,
    /// No image within the timeout.
    NotNow,
}

impl State {
    /// Acquires the next image with the spare semaphore.
    fn acquire_next(&mut self) -> Result<Acquired> {
        let semaphore = self.take_spare()?;
        let timeout = ACQUIRE_TIMEOUT.as_nanos() as u64;
        // SAFETY: the swapchain is live; the semaphore has no pending signal or wait
        // (`take_spare` waited for the frame that last waited for it).
        let result = unsafe {
            self.fns
                .acquire_next_image(self.raw, timeout, semaphore.raw(), vk::Fence::null())
        };
        match result {
            Ok((index, suboptimal)) => {
                // Still usable: draw and present it, and rebuild before the next one.
                self.stale |= suboptimal;
                Ok(Acquired::Image(index, semaphore))
            }
            // A failed acquire leaves the semaphore untouched.
            Err(result) => {
                self.spare = Some((semaphore, None));
                match result {
                    vk::Result::ERROR_OUT_OF_DATE_KHR => Ok(Acquired::OutOfDate),
                    vk::Result::TIMEOUT | vk::Result::NOT_READY => Ok(Acquired::NotNow),
                    other => Err(other).or_vk("vkAcquireNextImageKHR"),
                }
            }
        }
    }

    /// A semaphore with no pending operation: the spare once the frame that waited for
    /// it is done, else a new one (only until every image has been acquired once).
    fn take_spare(&mut self) -> Result<Semaphore> {
        match self.spare.take() {
            Some((semaphore, waited_by)) => {
                if let Some(frame) = waited_by {
                    frame.wait(Duration::MAX)?;
                }
                Ok(semaphore)
            }
            None => Semaphore::new(&self.device),
        }
    }

    /// Waits for an acquire no frame will wait for, so that its semaphore is free again,
    /// and rebuilds the swapchain (the image stays acquired until then).
    fn consume_acquire(&mut self, acquired: &Semaphore) -> Result<()> {
        self.stale = true;
        let fence = Fence::new(&self.device, false)?;
        self.device.graphics_queue().submit(&Submission {
            waits: &[(
                SemaphorePoint::Binary(acquired),
                vk::PipelineStageFlags::ALL_COMMANDS,
            )],
            fence: Some(&fence),
            ..Default::default()
        })?;
        fence.wait(Duration::MAX).map(|_| ())
    }

    /// Queues the presentation of image `index` once `rendered` is signalled.
    fn present(&mut self, index: usize, rendered: &Semaphore) -> Result<()> {
        let swapchains = [self.raw];
        let indices = [index as u32];
        let waits = [rendered.raw()];
        let info = vk::PresentInfoKHR::default()
            .wait_semaphores(&waits)
            .swapchains(&swapchains)
            .image_indices(&indices);
        let fns = &self.fns;
        // SAFETY: the image was acquired from this swapchain and its frame, submitted on
        // this queue, signals `rendered` and leaves it in PRESENT_SRC_KHR; the queue's lock
        // keeps other submissions out; the graphics family presents to the surface.
        let result = self
            .device
            .graphics_queue()
            .with_raw(|queue| unsafe { fns.queue_present(queue, &info) });
        match result {
            Ok(suboptimal) => {
                self.stale |= suboptimal;
                Ok(())
            }
            // The presentation's wait still happens; only the image is not shown.
            Err(vk::Result::ERROR_OUT_OF_DATE_KHR) => {
                self.stale = true;
                Ok(())
            }
            Err(other) => {
                self.stale = true;
                Err(other).or_vk("vkQueuePresentKHR")
            }
        }
    }
}

/// A frame drawing into an acquired swapchain image: a [`Frame`] (through `Deref`) that
/// [`PresentFrame::present`] finishes and presents.
pub struct PresentFrame<'r> {
    /// Always `Some` until `present` or drop takes it.
    frame: Option<Frame<'r>>,
    image: &'r SwapImage,
    index: usize,
    state: &'r mut State,
}

impl<'r> Deref for PresentFrame<'r> {
    type Target = Frame<'r>;

    fn deref(&self) -> &Frame<'r> {
        self.frame
            .as_ref()
            .expect("only present and drop take the frame")
    }
}

impl DerefMut for PresentFrame<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.frame
            .as_mut()
            .expect("only present and drop take the frame")
    }
}

impl PresentFrame<'_> {
    /// Which of the swapchain's images this frame draws into.
    pub fn image_index(&self) -> usize {
        self.index
    }

    /// Finishes the frame and queues the image's presentation; returns the frame's point
    /// on the renderer's timeline. An out-of-date or suboptimal swapchain is rebuilt before
    /// the next frame, not reported.
    pub fn present(mut self) -> Result<SyncPoint> {
        let Some(mut frame) = self.frame.take() else {
            return Err(Error::OutsideFrame("the frame was already presented"));
        };
        frame.signal_semaphore(&self.image.rendered);
        let point = frame.finish().inspect_err(|_| self.state.stale = true)?;
        self.state.last_frames[self.index] = Some(point.clone());
        self.state.present(self.index, &self.image.rendered)?;
        Ok(point)
    }
}

impl Drop for PresentFrame<'_> {
    fn drop(&mut self) {
        let Some(frame) = self.frame.take() else {
            return;
        };
        // Not presented: finishing still waits for the acquire, which frees its
        // semaphore; the image stays acquired until the rebuild lets go of it.
        match frame.finish() {
            Ok(point) => self.state.last_frames[self.index] = Some(point),
            Err(e) => tracing::warn!("finishing an unpresented swapchain frame failed: {e}"),
        }
        self.state.stale = true;
    }
}

/// The surface format to render in, and its fourcc.
fn choose_format(
    formats: &[vk::SurfaceFormatKHR],
    renderer: &Renderer,
) -> Result<(vk::SurfaceFormatKHR, DrmFourcc)> {
    const PREFERRED: [vk::Format; 2] = [vk::Format::B8G8R8A8_UNORM, vk::Format::R8G8B8A8_UNORM];
    let srgb = vk::ColorSpaceKHR::SRGB_NONLINEAR;
    // A surface that leaves the format open reports one UNDEFINED entry.
    if let [only] = formats {
        if only.format == vk::Format::UNDEFINED {
            let format = vk::SurfaceFormatKHR {
                format: PREFERRED[0],
                color_space: srgb,
            };
            return Ok((format, DrmFourcc::Argb8888));
        }
    }
    let renderable = |f: &vk::SurfaceFormatKHR| {
        let fourcc = crate::resources::format::fourcc_for(f.format)?;
        let target = renderer
            .formats()
            .support(fourcc)
            .is_some_and(|s| s.target());
        (f.color_space == srgb && target).then_some((*f, fourcc))
    };
    let preferred = PREFERRED.iter().find_map(|&p| {
        formats
            .iter()
            .filter(|f| f.format == p)
            .find_map(renderable)
    });
    preferred
        .or_else(|| formats.iter().find_map(renderable))
        .ok_or_else(|| Error::Unsupported {
            device: renderer.device().name().to_string(),
            what: format!(
                "a format it can render to among the window's: {:?}",
                formats.iter().map(|f| f.format).collect::<Vec<_>>()
            ),
        })
}

/// The images' size: the surface's where it has one, else the window's clamped to what
/// the surface allows; `None` when either side is zero.
fn choose_extent(caps: &vk::SurfaceCapabilitiesKHR, wanted: (u32, u32)) -> Option<vk::Extent2D> {
    if wanted.0 == 0 || wanted.1 == 0 {
        return None;
    }
    let extent = if caps.current_extent.width == u32::MAX {
        let (min, max) = (caps.min_image_extent, caps.max_image_extent);
        vk::Extent2D {
            width: wanted.0.clamp(min.width, max.width.max(min.width)),
            height: wanted.1.clamp(min.height, max.height.max(min.height)),
        }
    } else {
        caps.current_extent
    };
    (extent.width > 0 && extent.height > 0).then_some(extent)
}

/// `wanted` where the surface offers it, else FIFO (which every surface has).
fn usable_mode(wanted: PresentMode, offered: &[vk::PresentModeKHR]) -> PresentMode {
    if offered.contains(&wanted.raw()) {
        return wanted;
    }
    tracing::info!("the surface has no {wanted:?} present mode; using Fifo");
    PresentMode::Fifo
}

/// One image more than the surface's minimum, so that one can be drawn while the others
/// are queued or shown; mailbox needs at least three to never wait.
fn image_count(caps: &vk::SurfaceCapabilitiesKHR, mode: PresentMode) -> u32 {
    let floor = if mode == PresentMode::Mailbox { 3 } else { 2 };
    let wanted = (caps.min_image_count + 1).max(floor);
    if caps.max_image_count == 0 {
        wanted
    } else {
        wanted.min(caps.max_image_count)
    }
}

fn pre_transform(caps: &vk::SurfaceCapabilitiesKHR) -> vk::SurfaceTransformFlagsKHR {
    if caps
        .supported_transforms
        .contains(vk::SurfaceTransformFlagsKHR::IDENTITY)
    {
        vk::SurfaceTransformFlagsKHR::IDENTITY
    } else {
        caps.current_transform
    }
}

/// Opaque where possible: the renderer's output is a whole, opaque desktop.
fn composite_alpha(caps: &vk::SurfaceCapabilitiesKHR) -> vk::CompositeAlphaFlagsKHR {
    [
        vk::CompositeAlphaFlagsKHR::OPAQUE,
        vk::CompositeAlphaFlagsKHR::INHERIT,
        vk::CompositeAlphaFlagsKHR::PRE_MULTIPLIED,
        vk::CompositeAlphaFlagsKHR::POST_MULTIPLIED,
    ]
    .into_iter()
    .find(|&a| caps.supported_composite_alpha.contains(a))
    .unwrap_or(vk::CompositeAlphaFlagsKHR::OPAQUE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(current: (u32, u32)) -> vk::SurfaceCapabilitiesKHR {
        vk::SurfaceCapabilitiesKHR {
            min_image_count: 2,
            max_image_count: 0,
            current_extent: vk::Extent2D {
                width: current.0,
                height: current.1,
            },
            min_image_extent: vk::Extent2D {
                width: 1,
                height: 1,
            },
            max_image_extent: vk::Extent2D {
                width: 4096,
                height: 4096,
            },
            ..Default::default()
        }
    }

    #[test]
    fn the_surface_size_wins_where_it_has_one() {
        let extent = choose_extent(&caps((640, 480)), (800, 600)).unwrap();
        assert_eq!((extent.width, extent.height), (640, 480));
    }

    #[test]
    fn the_window_size_is_clamped_where_the_surface_has_none() {
        let extent = choose_extent(&caps((u32::MAX, u32::MAX)), (8000, 300)).unwrap();
        assert_eq!((extent.width, extent.height), (4096, 300));
    }

    #[test]
    fn a_window_without_area_has_no_extent() {
        assert!(choose_extent(&caps((u32::MAX, u32::MAX)), (0, 300)).is_none());
        assert!(choose_extent(&caps((640, 480)), (640, 0)).is_none());
        assert!(choose_extent(&caps((0, 0)), (640, 480)).is_none());
    }

    #[test]
    fn mailbox_falls_back_to_fifo() {
        let fifo_only = [vk::PresentModeKHR::FIFO];
        assert_eq!(
            usable_mode(PresentMode::Mailbox, &fifo_only),
            PresentMode::Fifo
        );
        let both = [vk::PresentModeKHR::FIFO, vk::PresentModeKHR::MAILBOX];
        assert_eq!(
            usable_mode(PresentMode::Mailbox, &both),
            PresentMode::Mailbox
        );
    }

    #[test]
    fn image_counts_respect_the_surface_limits() {
        let mut c = caps((1, 1));
        assert_eq!(image_count(&c, PresentMode::Fifo), 3);
        c.max_image_count = 2;
        assert_eq!(image_count(&c, PresentMode::Mailbox), 2);
        c.min_image_count = 1;
        c.max_image_count = 0;
        assert_eq!(image_count(&c, PresentMode::Fifo), 2);
        assert_eq!(image_count(&c, PresentMode::Mailbox), 3);
    }
}
