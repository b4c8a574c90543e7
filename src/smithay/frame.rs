//! Smithay's `Frame`: each draw goes straight into one vkcompose frame, which is submitted
//! when Smithay finishes (or drops) it. Beyond Smithay's trait, a frame offers the passes
//! of vkcompose's frames to render elements: offscreen groups, captures and blur behind.

use std::sync::Once;

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::sync::SyncPoint;
use smithay::backend::renderer::{Color32F, ContextId, DebugFlags, Frame};
use smithay::utils::{Buffer, Physical, Rectangle, Size, Transform as SmithayTransform};

use super::convert;
use super::fence::{self, VulkanFence};
use super::texture::{VulkanFramebuffer, VulkanTexture};
use super::VulkanRenderer;
use crate::error::{Error, Result};
use crate::render::frame::{Blur, PassTexture, TextureDraw};
use crate::resources::sampler::Filter;
use crate::sync::SyncFile;

static NO_FD: Once = Once::new();
static NO_IMPORT: Once = Once::new();

/// `DebugFlags::TINT`'s colour, premultiplied, laid over what was drawn: the same result
/// as tinting the texels before blending (`0.8 * colour + tint`).
const TINT: [f32; 4] = [0.0, 0.2, 0.0, 0.2];

/// A frame on a bound framebuffer.
pub struct VulkanFrame<'frame, 'buffer> {
    /// `None` once submitted.
    frame: Option<crate::Frame<'frame>>,
    transform: SmithayTransform,
    context: ContextId<VulkanTexture>,
    tint: bool,
    /// The filters for draws that scale up and down.
    upscale: Filter,
    downscale: Filter,
    _framebuffer: std::marker::PhantomData<&'frame mut VulkanFramebuffer<'buffer>>,
}

impl<'frame, 'buffer> VulkanFrame<'frame, 'buffer> {
    pub(super) fn new(
        renderer: &'frame mut VulkanRenderer,
        framebuffer: &'frame mut VulkanFramebuffer<'buffer>,
        transform: SmithayTransform,
    ) -> Result<VulkanFrame<'frame, 'buffer>> {
        let (context, tint) = (
            renderer.context.clone(),
            renderer.debug.contains(DebugFlags::TINT),
        );
        let (upscale, downscale) = (renderer.upscale, renderer.downscale);
        let target: &'frame crate::Texture = framebuffer.texture();
        let frame = renderer
            .renderer
            .render(target, convert::transform(transform))?;
        Ok(VulkanFrame {
            frame: Some(frame),
            transform,
            context,
            tint,
            upscale,
            downscale,
            _framebuffer: std::marker::PhantomData,
        })
    }

    /// Smithay's colour (premultiplied sRGB) in the target's encoding.
    fn target_color(&mut self, color: Color32F) -> Result<[f32; 4]> {
        let target = self.core()?.color_description();
        let color = convert::color(color);
        Ok(crate::color::convert_premultiplied(
            &crate::color::ColorDescription::srgb(),
            &target,
            color,
        )?)
    }

    /// Blends the frame in linear light; see [`crate::Frame::set_linear_blending`].
    pub fn set_linear_blending(&mut self, linear: bool) -> Result<()> {
        self.core()?.set_linear_blending(linear);
        Ok(())
    }

    /// How the linear path encodes this frame; see [`crate::Frame::set_encode_options`].
    pub fn set_encode_options(&mut self, options: crate::color::EncodeOptions) -> Result<()> {
        self.core()?.set_encode_options(options)
    }

    /// The vkcompose frame draws go into.
    fn core(&mut self) -> Result<&mut crate::Frame<'frame>> {
        self.frame
            .as_mut()
            .ok_or(Error::OutsideFrame("the frame was already submitted"))
    }

    /// Submits everything drawn, once.
    fn submit(&mut self) -> Result<SyncPoint> {
        let frame = self
            .frame
            .take()
            .ok_or(Error::OutsideFrame("the frame was already submitted"))?;
        let (point, sync_file) = if frame.renderer().device().capabilities().sync_file.export {
            let (point, file) = frame.finish_with_sync_file()?;
            (point, Some(file))
        } else {
            (frame.finish()?, None)
        };
        Ok(SyncPoint::from(VulkanFence::new(point, sync_file)))
    }

    /// Blurs what the frame holds behind `dst` and draws it there, within `damage`
    /// (relative to `dst`, as Smithay's draws take it), with rounded corners and faded by
    /// `alpha`; see [`crate::Frame::blur_behind`].
    pub fn blur_behind(
        &mut self,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
        corner_radius: f32,
        alpha: f32,
        blur: &Blur,
    ) -> Result<()> {
        let damage = convert::offset_rects(damage, dst.loc);
        self.core()?
            .blur_behind(convert::rect(dst), &damage, blur, corner_radius, alpha)
    }

    /// What the frame's target (or the current offscreen group) holds in `region` now;
    /// see [`crate::Frame::capture`].
    pub fn capture(&mut self, region: Rectangle<i32, Physical>) -> Result<PassTexture> {
        self.core()?.capture(convert::rect(region))
    }

    /// Begins an offscreen group of `size` in `format`, cleared to `clear`: every draw
    /// (render elements' included) goes into it until [`VulkanFrame::end_offscreen`].
    pub fn begin_offscreen(
        &mut self,
        size: Size<i32, Physical>,
        format: Fourcc,
        clear: Color32F,
    ) -> Result<()> {
        let (w, h) = (convert::dimension(size.w)?, convert::dimension(size.h)?);
        self.core()?
            .begin_group(w, h, format, convert::color(clear))
    }

    /// Ends the innermost offscreen group, giving its texture for later draws of this frame.
    pub fn end_offscreen(&mut self) -> Result<PassTexture> {
        self.core()?.end_group()
    }

    /// Draws a texture of one of this frame's passes, like Smithay's
    /// `render_texture_from_to`.
    #[allow(clippy::too_many_arguments)]
    pub fn draw_pass_texture(
        &mut self,
        texture: &PassTexture,
        src: Rectangle<f64, Buffer>,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
        src_transform: SmithayTransform,
        alpha: f32,
    ) -> Result<()> {
        let draw = self.texture_draw(src, dst, damage, &[], src_transform, alpha);
        self.core()?.draw_pass_texture(texture, &draw.borrowed())
    }

    /// Smithay's `render_texture_from_to` with the corners of `dst` rounded by `corners`
    /// (physical pixels), anti-aliased by area: how a compositor clips its windows. See
    /// [`crate::Frame::render_texture_rounded`].
    #[allow(clippy::too_many_arguments)] // Smithay's texture draw and the corners
    pub fn render_texture_rounded(
        &mut self,
        texture: &VulkanTexture,
        src: Rectangle<f64, Buffer>,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
        src_transform: SmithayTransform,
        alpha: f32,
        corners: crate::geometry::CornerRadii,
    ) -> Result<()> {
        if src.is_empty() || dst.is_empty() {
            return Ok(());
        }
        let draw = self.texture_draw(src, dst, damage, &[], src_transform, alpha);
        self.core()?
            .render_shared_rounded(texture.texture().clone(), &draw.borrowed(), corners)
    }

    /// Draws with any generated pipeline (vkcompose's, or a downstream crate's from its own
    /// manifest) in order with the frame's other draws: the typed counterpart of Smithay's
    /// GLES `render_pixel_shader_to`, for render elements. The pipeline is built for
    /// [`VulkanFrame::format`]; `resources` (textures as `Arc`s, samplers) are what `sets`
    /// makes its descriptor sets from; the frame keeps both until its GPU work is done.
    /// `damage` is relative to `dst`, as Smithay's draws take it, and limits the draw
    /// like theirs; the instances are target pixels, made with [`VulkanFrame::quad`].
    #[allow(clippy::too_many_arguments)] // Smithay's draw arguments, the pipeline's parts
    pub fn draw_pipeline<Pl, R>(
        &mut self,
        pipeline: std::sync::Arc<Pl>,
        push: Pl::Push,
        resources: R,
        sets: for<'a> fn(&'a R) -> Pl::Sets<'a>,
        instances: &[Pl::Instance],
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
    ) -> Result<()>
    where
        Pl: crate::pipelines::Pipeline<Pass = crate::shaders::passes::Output, Vertex = ()>
            + Send
            + Sync
            + 'static,
        R: Send + Sync + 'static,
    {
        let damage: Vec<_> = convert::offset_rects(damage, dst.loc)
            .into_iter()
            .filter_map(|r| r.intersect(&convert::rect(dst)))
            .collect();
        let frame = self.core()?;
        let damage = frame.target_rects(&damage);
        frame.draw_owned(pipeline, push, resources, sets, instances, &damage)
    }

    /// A custom draw recorded when the frame is submitted, told the pass's format and
    /// colour encoding; see [`crate::Frame::draw_with`].
    pub fn draw_with(
        &mut self,
        draw: impl FnOnce(
                &mut crate::PassRecorder<'_, crate::shaders::passes::Output>,
                &crate::PassInfo,
            ) -> Result<()>
            + 'frame,
    ) -> Result<()> {
        self.core()?.draw_with(draw);
        Ok(())
    }

    /// Keeps `value` until the frame's GPU work is done; see [`crate::Frame::keep`].
    pub fn keep(&mut self, value: impl std::any::Any + Send) -> Result<()> {
        self.core()?.keep(value);
        Ok(())
    }

    /// Output rectangles (damage, relative to nothing: absolute) in target pixels, clipped
    /// to the output; see [`crate::Frame::target_rects`].
    pub fn target_rects(
        &mut self,
        rects: &[Rectangle<i32, Physical>],
    ) -> Result<Vec<crate::geometry::Rect>> {
        Ok(self.core()?.target_rects(&convert::rects(rects)))
    }

    /// The quad a pipeline draws over `dst` with the coordinates `local` across it, in
    /// target pixels with the output's transform applied; see [`crate::Frame::quad`].
    pub fn quad(
        &mut self,
        dst: Rectangle<i32, Physical>,
        local: crate::geometry::RectF,
    ) -> Result<crate::geometry::Quad> {
        Ok(self.core()?.quad(convert::rect(dst), local))
    }

    /// The size of the pass the frame draws in now; see [`crate::Frame::target_size`].
    pub fn target_size(&mut self) -> Result<[f32; 2]> {
        Ok(self.core()?.target_size())
    }

    /// The attachment format the frame draws in now: what a pipeline given to
    /// [`VulkanFrame::draw_pipeline`] must be built for.
    pub fn format(&mut self) -> Result<crate::vk::Format> {
        Ok(self.core()?.format())
    }

    /// A texture draw in vkcompose's terms: damage and opaque regions made absolute, the
    /// filter chosen by scale, alpha clamped (rounding in callers may leave it a hair
    /// outside 0..=1).
    fn texture_draw(
        &self,
        src: Rectangle<f64, Buffer>,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
        opaque: &[Rectangle<i32, Physical>],
        src_transform: SmithayTransform,
        alpha: f32,
    ) -> OwnedDraw {
        let src = convert::rect_f(src);
        let transform = convert::buffer_transform(src_transform);
        let dst_rect = convert::rect(dst);
        let filter = if convert::scales_up(&src, &dst_rect, transform) {
            self.upscale
        } else {
            self.downscale
        };
        OwnedDraw {
            src,
            dst: dst_rect,
            damage: convert::offset_rects(damage, dst.loc),
            opaque: convert::offset_rects(opaque, dst.loc),
            transform,
            alpha: alpha.clamp(0.0, 1.0),
            filter,
        }
    }
}

/// A [`TextureDraw`] owning its rectangle lists.
struct OwnedDraw {
    src: crate::geometry::RectF,
    dst: crate::geometry::Rect,
    damage: Vec<crate::geometry::Rect>,
    opaque: Vec<crate::geometry::Rect>,
    transform: crate::geometry::Transform,
    alpha: f32,
    filter: Filter,
}

impl OwnedDraw {
    fn borrowed(&self) -> TextureDraw<'_> {
        TextureDraw {
            src: self.src,
            dst: self.dst,
            damage: &self.damage,
            opaque: &self.opaque,
            transform: self.transform,
            alpha: self.alpha,
            filter: self.filter,
        }
    }
}

impl Frame for VulkanFrame<'_, '_> {
    type Error = Error;
    type TextureId = VulkanTexture;

    fn context_id(&self) -> ContextId<VulkanTexture> {
        self.context.clone()
    }

    fn clear(&mut self, color: Color32F, at: &[Rectangle<i32, Physical>]) -> Result<()> {
        let color = self.target_color(color)?;
        self.core()?.clear(color, &convert::rects(at))
    }

    fn draw_solid(
        &mut self,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
        color: Color32F,
    ) -> Result<()> {
        let damage = convert::offset_rects(damage, dst.loc);
        let dst = convert::rect(dst);
        let tint = self.tint;
        let color = self.target_color(color)?;
        let frame = self.core()?;
        frame.draw_solid(dst, &damage, color)?;
        if tint {
            frame.draw_solid(dst, &damage, TINT)?;
        }
        Ok(())
    }

    fn render_texture_from_to(
        &mut self,
        texture: &VulkanTexture,
        src: Rectangle<f64, Buffer>,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
        opaque_regions: &[Rectangle<i32, Physical>],
        src_transform: SmithayTransform,
        alpha: f32,
    ) -> Result<()> {
        if src.is_empty() || dst.is_empty() {
            return Ok(());
        }
        let draw = self.texture_draw(src, dst, damage, opaque_regions, src_transform, alpha);
        let tint = self.tint;
        let frame = self.core()?;
        frame.render_shared(texture.texture().clone(), &draw.borrowed())?;
        if tint {
            frame.draw_solid(draw.dst, &draw.damage, TINT)?;
        }
        Ok(())
    }

    fn transformation(&self) -> SmithayTransform {
        self.transform
    }

    fn wait(&mut self, sync: &SyncPoint) -> Result<()> {
        // This renderer's own points are ordered by its queue already, and a fence that
        // has signalled needs no wait.
        let frame = self.core()?;
        let own = sync
            .get::<VulkanFence>()
            .is_some_and(|f| f.point().belongs_to(frame.renderer()));
        if own || sync.is_reached() {
            return Ok(());
        }
        // Anything else becomes a wait of the frame's submission where its sync_file can
        // be imported, so that neither this call nor `finish` blocks on it.
        if frame.renderer().device().capabilities().sync_file.import {
            if let Some(fd) = sync.export() {
                return frame.wait_sync_file(SyncFile::from_fd(fd));
            }
            NO_FD.call_once(|| tracing::info!("a fence given to Frame::wait exports no sync_file: such fences are waited for on the CPU"));
        } else {
            NO_IMPORT.call_once(|| tracing::info!("the driver cannot import sync_files: fences given to Frame::wait are waited for on the CPU"));
        }
        fence::wait_on_cpu(sync)
    }

    fn finish(mut self) -> Result<SyncPoint> {
        self.submit()
    }
}

impl Drop for VulkanFrame<'_, '_> {
    fn drop(&mut self) {
        // Smithay lets a frame be dropped instead of finished: what it drew still lands.
        if self.frame.is_some() {
            if let Err(e) = self.submit() {
                tracing::warn!("submitting a dropped frame: {e}");
            }
        }
    }
}
