//! Textures: a 2D image, its view and its memory, with the image layout tracked so that
//! recording code can insert the right barriers.

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ash::vk;

use crate::color::ColorDescription;
use crate::core::barrier::color_range;
use crate::core::device::Device;
use crate::core::memory::{Allocation, DedicatedMemory, MemoryUse};
use crate::error::{Error, Result, VkResultExt};
use crate::resources::graveyard::Graveyard;

/// What a texture is created for.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextureDesc {
    pub width: u32,
    pub height: u32,
    pub format: vk::Format,
    pub usage: vk::ImageUsageFlags,
    /// Whether the alpha channel holds alpha. When not (XRGB-style formats), the view
    /// swizzles alpha to one so shaders never read the undefined byte.
    pub has_alpha: bool,
    /// The sampling view's swizzle, for formats whose memory order differs from every
    /// Vulkan format's (RGBA8888 and friends). Identity by default.
    pub swizzle: vk::ComponentMapping,
    /// The DRM format the texture holds, when it came from a client buffer.
    pub fourcc: Option<drm_fourcc::DrmFourcc>,
}

/// Where a texture's memory comes from. The memory is only held: it is freed after the
/// image is destroyed.
#[allow(dead_code)]
enum Backing {
    /// A sub-allocation: the image is ours.
    Allocated(Allocation),
    /// Dedicated memories (one per disjoint plane), imported or exportable: the image is ours.
    Dedicated(Vec<DedicatedMemory>),
    /// The caller's image ([`Texture::from_raw`]): neither image nor memory is ours.
    Borrowed,
}

/// How a shared texture is handed over between this queue and its other users.
#[derive(Clone, Debug)]
pub(crate) struct External {
    /// The queue family that stands for the other side of each ownership transfer.
    pub foreign_family: u32,
    /// The buffer's fds, for implicit synchronization (dma-bufs only).
    pub dmabuf_fds: Vec<std::sync::Arc<std::os::fd::OwnedFd>>,
}

impl External {
    /// A texture over memory shared as `kind` through `fds`: only dma-bufs carry kernel
    /// fences, so only their fds are kept.
    pub fn new(
        device: &Device,
        kind: crate::drm_types::HandleKind,
        fds: impl IntoIterator<Item = std::sync::Arc<std::os::fd::OwnedFd>>,
    ) -> External {
        External {
            foreign_family: kind.foreign_family(device),
            dmabuf_fds: match kind {
                crate::drm_types::HandleKind::DmaBuf => fds.into_iter().collect(),
                crate::drm_types::HandleKind::OpaqueFd => Vec::new(),
            },
        }
    }
}

/// A 2D texture in device-local memory.
pub struct Texture {
    device: Device,
    image: vk::Image,
    view: vk::ImageView,
    memory: Backing,
    /// Set for images whose memory another driver or process also uses (imported or
    /// exported buffers): frames acquire them from and release them to that owner.
    external: Option<External>,
    /// For YUV images: the sampler (and conversion) every view and draw must use.
    ycbcr: Option<crate::resources::sampler::Sampler>,
    desc: TextureDesc,
    layout: AtomicI32,
    /// The renderer that made it (0: none), so frames can refuse another renderer's.
    owner: AtomicU64,
    /// The last timeline point of submitted work that uses the texture: drop waits for it,
    /// so dropping a texture a frame still reads is safe.
    last_use: Mutex<Option<(Arc<Graveyard>, u64)>>,
    /// Framebuffers with this texture as the target, per render pass; destroyed with it,
    /// before its view, so that no framebuffer outlives the view it names.
    framebuffers: Mutex<Vec<(vk::RenderPass, vk::Framebuffer)>>,
    /// How its pixel values encode light; frames compare it with their target's to choose
    /// between drawing directly and the linear path.
    color: Mutex<ColorDescription>,
    /// Views in the sRGB twin of the format, for textures made here whose format has one.
    srgb: SrgbViews,
    /// `color`'s fingerprint, read without the lock.
    color_fingerprint: AtomicU64,
    /// For targets drawn through the linear path: their float blend buffer, kept so that
    /// damage-only frames redraw only the damage. Dropped with the target.
    blend_buffer: Mutex<Option<BlendBuffer>>,
}

/// A texture's views in the sRGB twin of its format: the hardware decodes sRGB on sampling
/// and encodes on writing (and blends in between in linear light), the linear path's
/// cheap route for sRGB content on sRGB outputs.
#[derive(Clone, Copy, Default)]
struct SrgbViews {
    /// For rendering: the identity swizzle attachments need (render targets only).
    render: Option<vk::ImageView>,
    /// For sampling: the texture's own swizzle (alpha 1 for formats without alpha).
    sample: Option<vk::ImageView>,
}

impl SrgbViews {
    /// The views of `image` in `twin` its usage allows; none without a twin.
    fn new(
        device: &Device,
        image: vk::Image,
        desc: &TextureDesc,
        twin: Option<vk::Format>,
    ) -> Result<SrgbViews> {
        let Some(format) = twin else {
            return Ok(SrgbViews::default());
        };
        let mut views = SrgbViews::default();
        if desc.usage.contains(vk::ImageUsageFlags::COLOR_ATTACHMENT) {
            let attachment = TextureDesc {
                format,
                swizzle: vk::ComponentMapping::default(),
                has_alpha: true,
                ..*desc
            };
            views.render = Some(create_view(device, image, &attachment)?);
        }
        if desc.usage.contains(vk::ImageUsageFlags::SAMPLED) {
            let sampled = TextureDesc { format, ..*desc };
            match create_view(device, image, &sampled) {
                Ok(view) => views.sample = Some(view),
                Err(e) => {
                    views.destroy(device);
                    return Err(e);
                }
            }
        }
        Ok(views)
    }

    fn destroy(self, device: &Device) {
        for view in [self.render, self.sample].into_iter().flatten() {
            // SAFETY: the caller guarantees no pending work uses the views (see
            // `Texture::drop`, or views never used).
            unsafe { device.raw().destroy_image_view(view, None) };
        }
    }
}

/// A target's blend buffer (linear light, 16-bit float) and what it holds.
pub(crate) struct BlendBuffer {
    pub texture: Arc<Texture>,
    /// Whether it holds what the target shows: false after a frame drew into the target
    /// directly, and for a new buffer.
    pub current: bool,
    /// The content peak (cd/m^2) its encoding into the target was tone mapped from.
    pub peak_nits: f64,
    /// Its units per unit of the output's linear scale (`color::PQ_BLEND_GAIN` or 1).
    pub gain: f64,
}

impl std::fmt::Debug for Texture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Texture")
            .field("width", &self.desc.width)
            .field("height", &self.desc.height)
            .field("format", &self.desc.format)
            .field("fourcc", &self.desc.fourcc)
            .field("shared", &self.external.is_some())
            .finish_non_exhaustive()
    }
}

impl Texture {
    pub fn new(device: &Device, desc: TextureDesc) -> Result<Texture> {
        if desc.width == 0 || desc.height == 0 {
            return Err(Error::InvalidArgument(format!(
                "a texture of {}x{} has no pixels",
                desc.width, desc.height
            )));
        }
        let raw = device.raw();
        // Textures with an sRGB twin format may also be viewed in it (the linear path's
        // hardware decoding and blending).
        let twin = crate::resources::format::srgb_twin(desc.format);
        let image = create_image(device, &desc, twin)?;
        let destroy_image = || {
            // SAFETY: the image was never used.
            unsafe { raw.destroy_image(image, None) }
        };
        // SAFETY: `image` belongs to this device.
        let requirements = unsafe { raw.get_image_memory_requirements(image) };
        let memory = Allocation::new(device, "texture", requirements, MemoryUse::GpuOnly, false)
            .inspect_err(|_| destroy_image())?;
        // SAFETY: a fresh sub-allocation meeting the image's requirements, bound once.
        unsafe { raw.bind_image_memory(image, memory.memory(), memory.offset()) }
            .or_vk("vkBindImageMemory")
            .inspect_err(|_| destroy_image())?;
        let view = create_view(device, image, &desc).inspect_err(|_| destroy_image())?;
        let srgb = SrgbViews::new(device, image, &desc, twin).inspect_err(|_| {
            // SAFETY: the view was never used.
            unsafe { raw.destroy_image_view(view, None) };
            destroy_image();
        })?;
        Ok(Texture {
            device: device.clone(),
            image,
            view,
            srgb,
            memory: Backing::Allocated(memory),
            external: None,
            ycbcr: None,
            desc,
            layout: AtomicI32::new(vk::ImageLayout::UNDEFINED.as_raw()),
            owner: AtomicU64::new(0),
            last_use: Mutex::new(None),
            framebuffers: Mutex::new(Vec::new()),
            color: Mutex::new(ColorDescription::srgb()),
            color_fingerprint: AtomicU64::new(srgb_fingerprint()),
            blend_buffer: Mutex::new(None),
        })
    }

    /// Wraps an image the caller created and keeps alive (a swapchain image, an image
    /// imported elsewhere), with a view made here. vkcompose destroys the view, never the
    /// image.
    ///
    /// # Safety
    /// `image` is a 2D, single-level, single-layer color image of `device` created with
    /// `desc`'s format, size and usage; it is in `layout` now; it outlives the returned
    /// texture and all work recorded with it.
    pub unsafe fn from_raw(
        device: &Device,
        image: vk::Image,
        desc: TextureDesc,
        layout: vk::ImageLayout,
    ) -> Result<Texture> {
        if desc.width == 0 || desc.height == 0 {
            return Err(Error::InvalidArgument(format!(
                "a texture of {}x{} has no pixels",
                desc.width, desc.height
            )));
        }
        let view = create_view(device, image, &desc)?;
        Ok(Texture {
            device: device.clone(),
            image,
            view,
            memory: Backing::Borrowed,
            external: None,
            ycbcr: None,
            desc,
            layout: AtomicI32::new(layout.as_raw()),
            owner: AtomicU64::new(0),
            last_use: Mutex::new(None),
            framebuffers: Mutex::new(Vec::new()),
            srgb: SrgbViews::default(),
            color: Mutex::new(ColorDescription::srgb()),
            color_fingerprint: AtomicU64::new(srgb_fingerprint()),
            blend_buffer: Mutex::new(None),
        })
    }

    /// Wraps an image created here whose dedicated memories (imported or exportable) are
    /// already bound; the texture destroys image, view and memories.
    pub(crate) fn from_dedicated(
        device: &Device,
        image: vk::Image,
        memories: Vec<DedicatedMemory>,
        desc: TextureDesc,
        external: External,
        ycbcr: Option<crate::resources::sampler::Sampler>,
    ) -> Result<Texture> {
        let conversion = ycbcr
            .as_ref()
            .and_then(|s| s.ycbcr_conversion())
            .map(|c| c.raw());
        let view = create_view_with(device, image, &desc, conversion)?;
        Ok(Texture {
            device: device.clone(),
            image,
            view,
            memory: Backing::Dedicated(memories),
            external: Some(external),
            ycbcr,
            desc,
            layout: AtomicI32::new(vk::ImageLayout::UNDEFINED.as_raw()),
            owner: AtomicU64::new(0),
            last_use: Mutex::new(None),
            framebuffers: Mutex::new(Vec::new()),
            srgb: SrgbViews::default(),
            color: Mutex::new(ColorDescription::srgb()),
            color_fingerprint: AtomicU64::new(srgb_fingerprint()),
            blend_buffer: Mutex::new(None),
        })
    }

    /// The sampler a YUV texture is read through (`None` for RGB textures).
    pub(crate) fn ycbcr(&self) -> Option<&crate::resources::sampler::Sampler> {
        self.ycbcr.as_ref()
    }

    /// How the texture is shared, when it is.
    pub(crate) fn external(&self) -> Option<&External> {
        self.external.as_ref()
    }

    /// Whether the device it lives on was lost (it is then of no use, only safe to drop).
    pub fn device_lost(&self) -> bool {
        self.device.is_lost()
    }

    pub fn width(&self) -> u32 {
        self.desc.width
    }

    pub fn height(&self) -> u32 {
        self.desc.height
    }

    pub fn format(&self) -> vk::Format {
        self.desc.format
    }

    pub fn has_alpha(&self) -> bool {
        self.desc.has_alpha
    }

    pub fn usage(&self) -> vk::ImageUsageFlags {
        self.desc.usage
    }

    /// An error unless the texture was created with `usage`; `what` names the use, for the
    /// message ("a sampled texture", "an upload target").
    pub(crate) fn require_usage(&self, usage: vk::ImageUsageFlags, what: &str) -> Result<()> {
        if self.desc.usage.contains(usage) {
            Ok(())
        } else {
            Err(Error::InvalidArgument(format!(
                "a texture used as {what} needs {usage:?} usage, it has {:?}",
                self.desc.usage
            )))
        }
    }

    /// The raw image, for interop.
    pub fn image(&self) -> vk::Image {
        self.image
    }

    /// The raw view, for interop.
    pub fn image_view(&self) -> vk::ImageView {
        self.view
    }

    /// The layout the image will be in once all recorded work has executed.
    pub fn layout(&self) -> vk::ImageLayout {
        vk::ImageLayout::from_raw(self.layout.load(Ordering::Acquire))
    }

    /// Tells vkcompose that the caller moved the image to `layout` with its own commands
    /// (as Skia's `updateImageLayout`).
    ///
    /// # Safety
    /// The caller's commands that change the layout must execute before any work vkcompose
    /// records afterwards that uses this texture, and must leave it in `layout`.
    pub unsafe fn set_layout(&self, layout: vk::ImageLayout) {
        self.layout.store(layout.as_raw(), Ordering::Release);
    }

    /// How the texture's pixel values encode light: sRGB unless set. For a target, the
    /// encoding frames write; for a source, the one draws decode.
    pub fn color_description(&self) -> ColorDescription {
        *self.color.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets how the texture's values encode light, for the frames recorded after this
    /// (a client's new image description, an output switched to HDR). Refused, and the
    /// description kept, when `description` does not validate.
    pub fn set_color_description(&self, description: ColorDescription) -> Result<()> {
        description.validate()?;
        let mut color = self.color.lock().unwrap_or_else(|p| p.into_inner());
        *color = description;
        self.color_fingerprint
            .store(description.fingerprint(), Ordering::Relaxed);
        Ok(())
    }

    /// [`ColorDescription::fingerprint`] of the texture's description.
    pub(crate) fn color_fingerprint(&self) -> u64 {
        self.color_fingerprint.load(Ordering::Relaxed)
    }

    /// The target's blend buffer slot (see the field).
    pub(crate) fn blend_buffer(&self) -> std::sync::MutexGuard<'_, Option<BlendBuffer>> {
        self.blend_buffer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The DRM format, for textures made from client buffers.
    pub fn fourcc(&self) -> Option<drm_fourcc::DrmFourcc> {
        self.desc.fourcc
    }

    pub(crate) fn owner(&self) -> u64 {
        self.owner.load(Ordering::Relaxed)
    }

    pub(crate) fn set_owner(&self, renderer: u64) {
        self.owner.store(renderer, Ordering::Relaxed);
    }

    /// Records that the renderer's work at `point` uses the texture.
    pub(crate) fn mark_used(&self, graveyard: &Arc<Graveyard>, point: u64) {
        let mut last = self.last_use.lock().unwrap_or_else(|p| p.into_inner());
        // Frames mark a texture once per draw: the same point again changes nothing.
        if let Some((known, at)) = &*last {
            if *at == point && Arc::ptr_eq(known, graveyard) {
                return;
            }
        }
        *last = Some((graveyard.clone(), point));
    }

    /// The framebuffer rendering into this texture with `pass`, created on first use.
    pub(crate) fn framebuffer(&self, pass: vk::RenderPass) -> Result<vk::Framebuffer> {
        let mut framebuffers = self.framebuffers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(&(_, framebuffer)) = framebuffers.iter().find(|(p, _)| *p == pass) {
            return Ok(framebuffer);
        }
        let framebuffer = create_framebuffer(&self.device, pass, self)?;
        framebuffers.push((pass, framebuffer));
        Ok(framebuffer)
    }

    /// The framebuffer rendering into this texture's sRGB view with `pass` (a pass of the
    /// sRGB twin format), created on first use; `None` for textures without that view.
    pub(crate) fn srgb_framebuffer(&self, pass: vk::RenderPass) -> Result<Option<vk::Framebuffer>> {
        let Some(view) = self.srgb.render else {
            return Ok(None);
        };
        let mut framebuffers = self.framebuffers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(&(_, framebuffer)) = framebuffers.iter().find(|(p, _)| *p == pass) {
            return Ok(Some(framebuffer));
        }
        let framebuffer = create_framebuffer_of(&self.device, pass, self, view)?;
        framebuffers.push((pass, framebuffer));
        Ok(Some(framebuffer))
    }

    /// Whether the texture has an sRGB view to render through.
    pub(crate) fn has_srgb_view(&self) -> bool {
        self.srgb.render.is_some()
    }

    /// The texture's view in the sRGB twin of its format for sampling, if it has one.
    pub(crate) fn srgb_sampled_view(&self) -> Option<vk::ImageView> {
        self.srgb.sample
    }

    pub(crate) fn record_layout(&self, layout: vk::ImageLayout) {
        self.layout.store(layout.as_raw(), Ordering::Release);
    }
}

impl Drop for Texture {
    fn drop(&mut self) {
        let (device, view, image, memory) = (
            self.device.clone(),
            self.view,
            self.image,
            std::mem::replace(&mut self.memory, Backing::Borrowed),
        );
        let srgb = self.srgb;
        let framebuffers = std::mem::take(
            self.framebuffers
                .get_mut()
                .unwrap_or_else(|p| p.into_inner()),
        );
        let destroy = move || {
            // SAFETY: runs once the work using the texture has completed (the graveyard
            // waits for its point; work recorded by hand with a `Recorder` is waited for by
            // `finish`, which borrows the texture). Framebuffers go before the view they
            // name.
            unsafe {
                for (_, framebuffer) in framebuffers {
                    device.raw().destroy_framebuffer(framebuffer, None);
                }
                device.raw().destroy_image_view(view, None);
                srgb.destroy(&device);
                // Only images with memory from here are ours; the caller owns the others.
                if !matches!(memory, Backing::Borrowed) {
                    device.raw().destroy_image(image, None);
                }
            }
            drop(memory);
        };
        let last = self.last_use.get_mut().unwrap_or_else(|p| p.into_inner());
        match last.take() {
            // Later frames keep running; the objects go when this texture's point passes.
            Some((graveyard, point)) => graveyard.bury(point, Box::new(destroy)),
            None => destroy(),
        }
    }
}

/// A 2D optimal-tiling image for `desc`; mutable into `twin` (with the format list that
/// keeps it as compressible as before) when one is given.
fn create_image(
    device: &Device,
    desc: &TextureDesc,
    twin: Option<vk::Format>,
) -> Result<vk::Image> {
    let formats = [desc.format, twin.unwrap_or(desc.format)];
    let mut format_list = vk::ImageFormatListCreateInfo::default().view_formats(&formats);
    let mut info = vk::ImageCreateInfo::default()
        .image_type(vk::ImageType::TYPE_2D)
        .format(desc.format)
        .extent(vk::Extent3D {
            width: desc.width,
            height: desc.height,
            depth: 1,
        })
        .mip_levels(1)
        .array_layers(1)
        .samples(vk::SampleCountFlags::TYPE_1)
        .tiling(vk::ImageTiling::OPTIMAL)
        .usage(desc.usage)
        .sharing_mode(vk::SharingMode::EXCLUSIVE)
        .initial_layout(vk::ImageLayout::UNDEFINED);
    if twin.is_some() {
        info = info
            .flags(vk::ImageCreateFlags::MUTABLE_FORMAT)
            .push_next(&mut format_list);
    }
    // SAFETY: a valid create info for this device.
    let image = unsafe { device.raw().create_image(&info, None) }.or_vk("vkCreateImage")?;
    device.count_created();
    Ok(image)
}

fn create_view(device: &Device, image: vk::Image, desc: &TextureDesc) -> Result<vk::ImageView> {
    create_view_with(device, image, desc, None)
}

/// A view of the whole image; YUV images' views carry their sampler's conversion (and,
/// as Vulkan requires then, the identity swizzle).
fn create_view_with(
    device: &Device,
    image: vk::Image,
    desc: &TextureDesc,
    conversion: Option<vk::SamplerYcbcrConversion>,
) -> Result<vk::ImageView> {
    let mut ycbcr = conversion.map(|c| vk::SamplerYcbcrConversionInfo::default().conversion(c));
    let alpha = if desc.has_alpha {
        desc.swizzle.a
    } else {
        vk::ComponentSwizzle::ONE
    };
    let components = if ycbcr.is_some() {
        vk::ComponentMapping::default()
    } else {
        vk::ComponentMapping {
            a: alpha,
            ..desc.swizzle
        }
    };
    let mut info = vk::ImageViewCreateInfo::default()
        .image(image)
        .view_type(vk::ImageViewType::TYPE_2D)
        .format(desc.format)
        .components(components)
        .subresource_range(color_range());
    if let Some(ycbcr) = ycbcr.as_mut() {
        info = info.push_next(ycbcr);
    }
    // SAFETY: `image` is a live image of this device created with `desc.format`.
    let view = unsafe { device.raw().create_image_view(&info, None) }.or_vk("vkCreateImageView")?;
    device.count_created();
    Ok(view)
}

/// The color aspect of the one mip level and layer, as copies name it.
pub(crate) fn color_layers() -> vk::ImageSubresourceLayers {
    vk::ImageSubresourceLayers {
        aspect_mask: vk::ImageAspectFlags::COLOR,
        mip_level: 0,
        base_array_layer: 0,
        layer_count: 1,
    }
}

/// A buffer-image copy of the `w`x`h` texels at (`x`, `y`), the buffer's rows
/// `row_length` texels apart (0: tightly packed) from `buffer_offset`.
pub(crate) fn buffer_image_copy(
    buffer_offset: u64,
    row_length: u32,
    (x, y, w, h): (i32, i32, u32, u32),
) -> vk::BufferImageCopy {
    vk::BufferImageCopy {
        buffer_offset,
        buffer_row_length: row_length,
        buffer_image_height: 0,
        image_subresource: color_layers(),
        image_offset: vk::Offset3D { x, y, z: 0 },
        image_extent: vk::Extent3D {
            width: w,
            height: h,
            depth: 1,
        },
    }
}

/// Creates a framebuffer with `target` as the only attachment of `pass`.
pub(crate) fn create_framebuffer(
    device: &Device,
    pass: vk::RenderPass,
    target: &Texture,
) -> Result<vk::Framebuffer> {
    create_framebuffer_of(device, pass, target, target.image_view())
}

/// Creates a framebuffer with `view` of `target` as the only attachment of `pass`.
fn create_framebuffer_of(
    device: &Device,
    pass: vk::RenderPass,
    target: &Texture,
    view: vk::ImageView,
) -> Result<vk::Framebuffer> {
    let views = [view];
    let info = vk::FramebufferCreateInfo::default()
        .render_pass(pass)
        .attachments(&views)
        .width(target.width())
        .height(target.height())
        .layers(1);
    // SAFETY: the view and pass belong to this device and match in format.
    let raw =
        unsafe { device.raw().create_framebuffer(&info, None) }.or_vk("vkCreateFramebuffer")?;
    device.count_created();
    Ok(raw)
}

/// The fingerprint of the default description, computed once.
fn srgb_fingerprint() -> u64 {
    static FINGERPRINT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *FINGERPRINT.get_or_init(|| ColorDescription::srgb().fingerprint())
}
