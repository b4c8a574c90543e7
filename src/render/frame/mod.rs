//! Frames: what is drawn into one target between [`Renderer::render`] and
//! [`Frame::finish`]. Draw calls are collected, then recorded at `finish` so that
//! consecutive draws of one texture merge into one instanced draw and opaque, unblended
//! copies can leave the render pass for `vkCmdCopyImage`.
//!
//! Coordinates: every rectangle a frame takes (destinations, damage, opaque regions, clear
//! rectangles) is in output pixels, y down; the output is the target turned by the frame's
//! transform (so a 90-degree output on a 1080x1920 target is 1920x1080).

mod blur;
mod custom;
mod groups;
mod linear;
mod rounded;
mod tiles;

use std::time::Duration;

use blur::KawaseDraw;
pub use blur::{Blur, MAX_BLUR_PASSES};
pub use custom::PassInfo;
pub use groups::{Offscreen, PassTexture};

use ash::vk;

use crate::color::EncodeOptions;
use crate::core::sync::{Semaphore, SyncFile, TimelineSemaphore};
use crate::dmabuf::handover::Handover;
use crate::error::{Error, Result};
use crate::geometry::{self, Quad, Rect, RectF, Transform};
use crate::pipelines::recorder::{PassRecorder, Recorder};
use crate::pipelines::SampledTexture;
use std::sync::Arc;

use crate::core::device::Device;
use crate::gpu::submitter::{Held, Submitter};
use crate::render::drawing::{Drawing, Output};
use crate::render::renderer::Renderer;
use crate::resources::graveyard::Graveyard;
use crate::resources::sampler::Filter;
use crate::resources::texture::Texture;
use crate::shaders::{
    passes, sets, solid, texture, texture_indexed, texture_opaque, texture_ycbcr,
};

/// One frame being drawn into a target.
pub struct Frame<'r> {
    renderer: &'r mut Renderer,
    /// The frame's passes in recording order: the target's first, then one per offscreen
    /// group, blur level or resumption of an outer target. Draws go into the last.
    segments: Vec<Segment<'r>>,
    /// The targets (and transforms) of the offscreen groups' outer passes, innermost last:
    /// where drawing resumes when a group ends.
    outer: Vec<(Src<'r>, Transform)>,
    /// Custom draws, which an `Op::Custom` names by index (they are called once).
    customs: Vec<Option<CustomDraw<'r>>>,
    /// What owned custom draws ([`Frame::draw_owned`]) use: kept until the frame's work
    /// is done, then dropped.
    kept: Vec<custom::Kept>,
    /// Pooled textures the frame draws into or captures into; back to the pool after it.
    pooled: Vec<Arc<Texture>>,
    /// Which frame of the renderer this is: textures of its passes belong to it only.
    serial: u64,
    /// The textures of groups begun by `begin_group` (not through an `Offscreen`).
    #[cfg_attr(not(feature = "smithay"), allow(dead_code))] // used by the Smithay frame
    groups: Vec<Arc<Texture>>,
    /// Whether textured quads go through the texture array (descriptor indexing).
    indexed: bool,
    /// What the caller adds to the submission (for presenting).
    sync: FrameSync<'r>,
    /// What the frame asks of the linear path (colour management).
    linear: linear::LinearRequest<'r>,
    /// The instances of every `Op::Texture`, in one list (kept across frames by
    /// `Drawing`): a frame of many draws allocates nothing for them, and recording reads
    /// them in order.
    instances: Vec<texture::Instance>,
}

/// Semaphores and a final layout the caller adds to a frame's submission: how a swapchain
/// image is waited for, handed to presentation and left presentable.
#[derive(Default)]
struct FrameSync<'r> {
    waits: Vec<&'r Semaphore>,
    /// Semaphores of the renderer's pool holding imported sync_files
    /// ([`Frame::wait_sync_file`]): the frame owns them until its submission, which
    /// consumes the imports, then they go back to the pool.
    imported: Vec<Semaphore>,
    signals: Vec<&'r Semaphore>,
    final_layout: Option<vk::ImageLayout>,
}

/// A texture draw: where it comes from, where it goes, and how.
#[derive(Clone, Copy, Debug)]
pub struct TextureDraw<'a> {
    /// The source rectangle in buffer pixels (fractional allowed, as from wp_viewporter).
    pub src: RectF,
    /// The destination in output pixels.
    pub dst: Rect,
    /// What to redraw, in output pixels; parts of `dst` outside it keep the target's
    /// contents.
    pub damage: &'a [Rect],
    /// Parts of the destination the client promises are opaque (output pixels): drawn
    /// without blending when `alpha` is 1.
    pub opaque: &'a [Rect],
    /// The buffer transform (how the buffer content is turned before it is shown).
    pub transform: Transform,
    pub alpha: f32,
    pub filter: Filter,
}

/// A texture an operation reads or writes: borrowed for the frame, or shared (a pooled
/// intermediate of the frame's passes, a Smithay texture).
#[derive(Clone)]
pub(crate) enum Src<'f> {
    Borrowed(&'f Texture),
    Shared(Arc<Texture>),
}

impl std::ops::Deref for Src<'_> {
    type Target = Texture;
    fn deref(&self) -> &Texture {
        match self {
            Src::Borrowed(t) => t,
            Src::Shared(t) => t,
        }
    }
}

impl Src<'_> {
    fn is(&self, other: &Texture) -> bool {
        std::ptr::eq(&**self, other)
    }
}

/// One render pass of a frame: a target, how its output is turned, and what is drawn.
struct Segment<'f> {
    target: Src<'f>,
    transform: Transform,
    ops: Vec<Op<'f>>,
}

enum Op<'f> {
    Clear {
        color: [f32; 4],
        rects: Vec<Rect>,
    },
    Solid(Vec<solid::Instance>),
    /// Quads of one texture; `instances` index the frame's instance list.
    Texture {
        texture: Src<'f>,
        filter: Filter,
        blend: bool,
        instances: std::ops::Range<usize>,
    },
    /// Texels moved without the shader (boxed: rare, and large beside the draws).
    Copy(Box<CopyOp<'f>>),
    /// Quads of many textures in one draw through the frame's texture array.
    Indexed {
        textures: Vec<(Src<'f>, Filter)>,
        instances: Vec<texture_indexed::Instance>,
    },
    /// Quads of a YUV texture, through its conversion's pipeline.
    Yuv {
        texture: Src<'f>,
        instances: Vec<texture::Instance>,
    },
    /// Quads of one texture with rounded corners (boxed: large beside the draws).
    Rounded(Box<rounded::RoundedOp<'f>>),
    /// The custom draw of this index in `Frame::customs`.
    Custom(usize),
    /// What the target holds in `region` (target pixels) copied into `into`, outside the
    /// render pass.
    Capture {
        region: Rect,
        into: Arc<Texture>,
    },
    /// One pass of a dual-Kawase blur: `source` sampled by the downsampling or upsampling
    /// pipeline.
    Kawase(Box<KawaseDraw<'f>>),
}

/// Copies, or one scaling blit; `instances` draw the same texels where the frame takes
/// the linear path.
struct CopyOp<'f> {
    texture: Src<'f>,
    regions: Vec<vk::ImageCopy>,
    blit: Option<(vk::ImageBlit, Filter)>,
    instances: Vec<texture::Instance>,
}

type CustomDraw<'f> =
    Box<dyn FnOnce(&mut PassRecorder<'_, passes::Output>, &custom::PassInfo) -> Result<()> + 'f>;

/// A submitted frame: a point on the renderer's timeline.
#[derive(Clone)]
pub struct SyncPoint {
    timeline: std::sync::Arc<TimelineSemaphore>,
    point: u64,
}

impl Renderer {
    /// Begins a frame on `target` (a target this renderer made or adopted) whose output is
    /// turned by `transform`.
    pub fn render<'r>(
        &'r mut self,
        target: &'r Texture,
        transform: Transform,
    ) -> Result<Frame<'r>> {
        self.device().require_alive()?;
        self.require_own(target)?;
        target.require_usage(vk::ImageUsageFlags::COLOR_ATTACHMENT, "a render target")?;
        let (_, drawing) = self.frame_parts();
        let indexed = drawing.texture_array();
        let serial = drawing.next_frame_serial();
        let instances = drawing.take_instance_list();
        Ok(Frame {
            renderer: self,
            segments: vec![Segment {
                target: Src::Borrowed(target),
                transform,
                ops: Vec::new(),
            }],
            outer: Vec::new(),
            customs: Vec::new(),
            kept: Vec::new(),
            pooled: Vec::new(),
            serial,
            groups: Vec::new(),
            indexed,
            sync: FrameSync::default(),
            linear: linear::LinearRequest::default(),
            instances,
        })
    }
}

impl Renderer {
    /// What every texture draw needs of its source: made or adopted by this renderer,
    /// sampleable, and the source rectangle inside it.
    pub(crate) fn check_draw_source(&self, texture: &Texture, src: &RectF) -> Result<()> {
        self.require_own(texture)?;
        texture.require_usage(vk::ImageUsageFlags::SAMPLED, "a sampled texture")?;
        check_source(texture, src)
    }
}

impl<'r> Frame<'r> {
    /// The renderer the frame draws with.
    #[cfg_attr(not(feature = "smithay"), allow(dead_code))] // used by the Smithay frame
    pub(crate) fn renderer(&self) -> &Renderer {
        self.renderer
    }

    /// The pass being drawn into.
    fn segment(&self) -> &Segment<'r> {
        self.segments.last().expect("a frame has a pass")
    }

    /// The current pass's target.
    fn target(&self) -> &Texture {
        &self.segment().target
    }

    /// How the current pass's output is turned.
    fn transform(&self) -> Transform {
        self.segment().transform
    }

    /// The current pass's operations.
    fn ops(&mut self) -> &mut Vec<Op<'r>> {
        &mut self.segments.last_mut().expect("a frame has a pass").ops
    }

    /// The output's size in pixels (the target's, swapped for 90 and 270 degrees).
    pub fn output_size(&self) -> (i32, i32) {
        let (w, h) = (self.target().width() as i32, self.target().height() as i32);
        if self.transform().swaps_axes() {
            (h, w)
        } else {
            (w, h)
        }
    }

    /// The colour description of the frame's target: how its clear and solid colours are
    /// encoded.
    pub fn color_description(&self) -> crate::color::ColorDescription {
        self.segments[0].target.color_description()
    }

    /// Blends this frame in linear light (the linear path) even when every source shares
    /// the target's colour description. Frames whose sources differ from the target take
    /// the linear path without being asked.
    pub fn set_linear_blending(&mut self, linear: bool) {
        self.linear.forced = linear;
    }

    /// How the linear path encodes into the target: colour transform, gamut mapping,
    /// dithering. Frames drawn directly ignore it.
    pub fn set_encode_options(&mut self, options: EncodeOptions) -> Result<()> {
        if options.ctm.is_some_and(|m| !m.is_finite()) {
            return Err(Error::Color(crate::color::ColorError::NotFinite {
                what: "colour transform",
            }));
        }
        self.linear.encode = options;
        Ok(())
    }

    /// Applies `lut` ([`Renderer::create_lut`]) in the encode pass, to linear light in the
    /// output's primaries after tone and gamut mapping; the frame takes the linear path.
    pub fn set_output_lut(&mut self, lut: &'r Texture) -> Result<()> {
        self.renderer.require_own(lut)?;
        crate::render::lut::check_lut(lut)?;
        self.linear.lut = Some(lut);
        self.linear.forced = true;
        Ok(())
    }

    /// Sets `rects` to `color` (premultiplied, in the target's encoding), replacing what
    /// was there.
    pub fn clear(&mut self, color: [f32; 4], rects: &[Rect]) -> Result<()> {
        let rects: Vec<Rect> = self.to_target_rects(rects);
        if !rects.is_empty() {
            self.ops().push(Op::Clear { color, rects });
        }
        Ok(())
    }

    /// Blends a solid rectangle of `color` (premultiplied) over `dst`, within `damage`.
    pub fn draw_solid(&mut self, dst: Rect, damage: &[Rect], color: [f32; 4]) -> Result<()> {
        let visible = self.to_target_rects(&clip_all(damage, dst));
        let instances: Vec<_> = visible
            .iter()
            .map(|r| solid::Instance {
                dst: [r.x as f32, r.y as f32, r.w as f32, r.h as f32],
                color,
            })
            .collect();
        if let Some(Op::Solid(previous)) = self.ops().last_mut() {
            previous.extend(instances);
        } else if !instances.is_empty() {
            self.ops().push(Op::Solid(instances));
        }
        Ok(())
    }

    /// Draws the `src` part of `texture` into `dst`, within `damage`.
    pub fn render_texture_from_to(
        &mut self,
        texture: &'r Texture,
        draw: &TextureDraw<'_>,
    ) -> Result<()> {
        self.draw_source(Src::Borrowed(texture), draw)
    }

    /// [`Frame::render_texture_from_to`] for a texture the frame shares ownership of.
    #[cfg_attr(not(feature = "smithay"), allow(dead_code))] // used by the Smithay frame
    pub(crate) fn render_shared(
        &mut self,
        texture: Arc<Texture>,
        draw: &TextureDraw<'_>,
    ) -> Result<()> {
        self.draw_source(Src::Shared(texture), draw)
    }

    fn draw_source(&mut self, texture: Src<'r>, draw: &TextureDraw<'_>) -> Result<()> {
        self.renderer.check_draw_source(&texture, &draw.src)?;
        if !(0.0..=1.0).contains(&draw.alpha) {
            return Err(Error::InvalidArgument(format!(
                "alpha {} is outside 0..=1",
                draw.alpha
            )));
        }
        // One damage rectangle (the common case) needs no list.
        let (one, many);
        let visible: &[Rect] = match draw.damage {
            [only] => {
                one = only.intersect(&draw.dst);
                one.as_slice()
            }
            _ => {
                many = clip_all(draw.damage, draw.dst);
                &many
            }
        };
        if visible.is_empty() || draw.alpha == 0.0 {
            return Ok(());
        }
        let draw = &TextureDraw {
            filter: self.usable_filter(&texture, draw.filter),
            ..*draw
        };
        if texture.ycbcr().is_some() {
            self.draw_yuv(texture, draw, visible);
            return Ok(());
        }
        if let Some(visible) = self.single_quad(&texture, draw, visible) {
            self.draw_single_quad(texture, draw, visible);
            return Ok(());
        }
        let full = self.target_instance(&texture, draw);
        let fully_opaque = draw.alpha == 1.0 && !texture.has_alpha();
        let (opaque, blended) = if draw.alpha < 1.0 {
            (Vec::new(), visible.to_vec())
        } else if fully_opaque {
            (visible.to_vec(), Vec::new())
        } else {
            let opaque = intersect_all(visible, draw.opaque);
            // Most draws declare no opaque region: nothing to subtract.
            let blended = if opaque.is_empty() {
                visible.to_vec()
            } else {
                geometry::subtract(visible, &opaque)
            };
            (opaque, blended)
        };
        let opaque = self.to_target_rects(&opaque);
        let blended = self.to_target_rects(&blended);
        let opaque = self.try_copy(&texture, draw, &full, opaque);
        let opaque = instances_within(&full, &opaque);
        let blended = instances_within(&full, &blended);
        if self.indexed {
            // A texture without alpha reads alpha 1 through its view, so blending it is
            // exact: it joins the frame's one array draw instead of breaking it.
            if texture.has_alpha() {
                self.push_texture(texture.clone(), draw.filter, false, opaque);
            } else {
                self.push_indexed(texture.clone(), draw.filter, opaque);
            }
            self.push_indexed(texture.clone(), draw.filter, blended);
        } else {
            self.push_texture(texture.clone(), draw.filter, false, opaque);
            self.push_texture(texture.clone(), draw.filter, true, blended);
        }
        Ok(())
    }

    /// YUV textures have no copy path or texture-array slot: their sampler is baked into
    /// their own pipeline.
    fn draw_yuv(&mut self, texture: Src<'r>, draw: &TextureDraw<'_>, visible: &[Rect]) {
        let full = self.target_instance(&texture, draw);
        let instances = instances_within(&full, &self.to_target_rects(visible));
        if !instances.is_empty() {
            self.ops().push(Op::Yuv { texture, instances });
        }
    }

    /// The common case (one damage rectangle, no opaque region, a plain output) goes
    /// straight to its draw: one instance, no rectangle lists.
    fn draw_single_quad(&mut self, texture: Src<'r>, draw: &TextureDraw<'_>, visible: Rect) {
        let full = self.target_instance(&texture, draw);
        let Some(instance) = geometry::clip_texture_instance(&full, visible) else {
            return;
        };
        if self.indexed {
            self.push_indexed(texture, draw.filter, [instance.into()]);
        } else {
            // Opaque content at alpha 1 is drawn unblended, as the general path draws it,
            // except where `Drawing::blend_opaque` says blending it is the cheaper (exact:
            // a texture without alpha reads alpha 1 through its view).
            let drawing = self.renderer.frame_parts().1;
            let opaque = !texture.has_alpha() && draw.alpha == 1.0;
            let blend = !opaque || drawing.blend_opaque();
            self.push_texture(texture, draw.filter, blend, [instance.into()]);
        }
    }

    /// The one visible rectangle of a draw that needs no splitting: an untransformed
    /// output, one visible rectangle, no opaque region, and no copy path that could take it
    /// instead.
    fn single_quad(
        &self,
        texture: &Texture,
        draw: &TextureDraw<'_>,
        visible: &[Rect],
    ) -> Option<Rect> {
        let [visible] = visible else { return None };
        let simple = self.transform() == Transform::Normal
            && draw.opaque.is_empty()
            && (texture.has_alpha() || draw.alpha < 1.0 || !self.can_copy(texture, draw));
        let (w, h) = self.output_size();
        simple
            .then(|| visible.intersect(&Rect::new(0, 0, w, h)))
            .flatten()
    }

    /// Adds instances to the frame's current texture-array draw, starting a new one when the
    /// last operation was something else or the array is full.
    fn push_indexed(
        &mut self,
        texture: Src<'r>,
        filter: Filter,
        instances: impl IntoIterator<Item = texture::Instance>,
    ) {
        let mut instances = instances.into_iter().peekable();
        if instances.peek().is_none() {
            return;
        }
        let max = crate::pipelines::build::MAX_RUNTIME_DESCRIPTORS as usize;
        let fits = matches!(self.ops().last(), Some(Op::Indexed { textures, .. })
            if textures.len() < max || textures.iter().any(|(t, f)| t.is(&texture) && *f == filter));
        if !fits {
            self.ops().push(Op::Indexed {
                textures: Vec::new(),
                instances: Vec::new(),
            });
        }
        let Some(Op::Indexed {
            textures,
            instances: all,
        }) = self.ops().last_mut()
        else {
            unreachable!("pushed above");
        };
        let index = match textures
            .iter()
            .rposition(|(t, f)| t.is(&texture) && *f == filter)
        {
            Some(i) => i,
            None => {
                textures.push((texture.clone(), filter));
                textures.len() - 1
            }
        } as u32;
        all.extend(instances.map(|i| texture_indexed::Instance {
            dst: i.dst,
            uv_offset: i.uv_offset,
            uv_axes: i.uv_axes,
            alpha: i.alpha,
            texture_index: index,
        }));
    }

    /// Makes the frame's submission wait for `semaphore` (binary, of this device, with a
    /// signal pending, such as a swapchain image's acquire semaphore) before it touches
    /// the target. `finish` consumes the signal even when it fails (what was recorded, or
    /// an empty batch, waits for it), so the semaphore is free again once the renderer's
    /// next point is reached.
    pub fn wait_semaphore(&mut self, semaphore: &'r Semaphore) {
        self.sync.waits.push(semaphore);
    }

    /// Makes the frame's submission wait on the GPU for `file` (a client's acquire fence, a
    /// dma-buf's or another device's work) before it touches the target. The sync_file is
    /// imported now, temporarily, into a semaphore of the renderer's pool that the frame
    /// gives back after its submission (consumed like [`Frame::wait_semaphore`]'s, even
    /// when `finish` fails). A signalled file (no fd) needs no wait. An `Unsupported`
    /// error where the device cannot import sync_files
    /// (`capabilities().sync_file.import`): wait for it on the CPU instead
    /// ([`SyncFile::wait`]).
    pub fn wait_sync_file(&mut self, file: SyncFile) -> Result<()> {
        if file.fd().is_none() {
            return Ok(());
        }
        let semaphore = self
            .renderer
            .gpu_mut()
            .submitter()
            .semaphores()
            .import(file)?;
        self.wait_imported(semaphore);
        Ok(())
    }

    /// Makes the submission wait on a semaphore of the renderer's pool holding an
    /// imported sync_file; the frame gives it back to the pool.
    pub(crate) fn wait_imported(&mut self, semaphore: Semaphore) {
        self.sync.imported.push(semaphore);
    }

    /// Makes the frame's submission signal `semaphore` (binary, of this device, with no
    /// signal pending) when its work is done; a frame whose `finish` fails signals none.
    pub fn signal_semaphore(&mut self, semaphore: &'r Semaphore) {
        self.sync.signals.push(semaphore);
    }

    /// Leaves the target in `layout` after the frame rather than in the color-attachment
    /// layout: `PRESENT_SRC_KHR` for a swapchain image. Shared (imported or exported)
    /// targets always go back to their other owner in the shared layout, so they refuse.
    pub fn set_final_layout(&mut self, layout: vk::ImageLayout) -> Result<()> {
        if self.target().external().is_some() {
            return Err(Error::InvalidArgument(
                "a shared target ends each frame in the layout its other owner expects".into(),
            ));
        }
        let usage = self.target().usage();
        let allowed = match layout {
            vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL | vk::ImageLayout::GENERAL => true,
            vk::ImageLayout::PRESENT_SRC_KHR => self.renderer.device().can_present(),
            vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL => {
                usage.contains(vk::ImageUsageFlags::SAMPLED)
            }
            vk::ImageLayout::TRANSFER_SRC_OPTIMAL => {
                usage.contains(vk::ImageUsageFlags::TRANSFER_SRC)
            }
            _ => false,
        };
        if !allowed {
            return Err(Error::InvalidArgument(format!(
                "a frame cannot leave a target with usage {usage:?} in {layout:?}{}",
                if layout == vk::ImageLayout::PRESENT_SRC_KHR {
                    " (the device has no VK_KHR_swapchain)"
                } else {
                    ""
                }
            )));
        }
        self.sync.final_layout = Some(layout);
        Ok(())
    }

    /// Records and submits the frame; returns its point on the renderer's timeline.
    pub fn finish(self) -> Result<SyncPoint> {
        self.finish_inner(false).map(|(point, _)| point)
    }

    /// Like [`Frame::finish`], and also returns a sync_file that signals when the frame is
    /// done (for KMS or a client). An error on devices that cannot export sync_files.
    pub fn finish_with_sync_file(self) -> Result<(SyncPoint, SyncFile)> {
        let (point, file) = self.finish_inner(true)?;
        let file =
            file.ok_or_else(|| Error::InvalidArgument("no sync_file was exported".into()))?;
        Ok((point, file))
    }

    fn finish_inner(self, want_sync_file: bool) -> Result<(SyncPoint, Option<SyncFile>)> {
        let Frame {
            renderer,
            segments,
            mut customs,
            kept,
            pooled,
            mut sync,
            linear,
            instances,
            ..
        } = self;
        let target: &Texture = &segments[0].target;
        let owner = renderer.id();
        if let Err(e) = renderer.device().require_alive() {
            renderer.frame_parts().1.return_pooled(pooled);
            return Err(e);
        }
        let drawing = renderer.frame_parts().1;
        let plan = match linear::plan(drawing, &segments, &instances, &linear, owner) {
            Ok(plan) => plan,
            Err(e) => {
                renderer.frame_parts().1.return_pooled(pooled);
                let submitter = renderer.gpu_mut().submitter();
                return Err(consume_waits(submitter, sync).err().unwrap_or(e));
            }
        };
        let handover = Handover::new(target, source_textures(&segments));
        let recording = Recording {
            segments: &segments,
            customs: &mut customs,
            handover: &handover,
            linear: plan.as_ref(),
            instances: &instances,
        };
        let submitted = submit_ops(renderer, recording, &mut sync, want_sync_file);
        renderer.frame_parts().1.return_pooled(pooled);
        let Submitted {
            point,
            signal,
            recorded,
        } = match submitted {
            Ok(submitted) => submitted,
            Err(e) => {
                return Err(consume_waits(renderer.gpu_mut().submitter(), sync)
                    .err()
                    .unwrap_or(e))
            }
        };
        let submitter = renderer.gpu_mut().submitter();
        custom::keep_until(submitter, kept, point);
        // Signalled only when what was recorded is whole (see `submit_ops`).
        let file = match signal {
            Some(s) if recorded.is_ok() => Some(export_signal(submitter, s, point)?),
            Some(s) => {
                submitter.semaphores().recycle_signal(s, point);
                None
            }
            None => None,
        };
        recorded?;
        if let Some(plan) = &plan {
            plan.mark_current(target);
        }
        let sync_point = SyncPoint {
            timeline: submitter.timeline().clone(),
            point,
        };
        if handover.writes_dmabufs() && !handover.fences_after(file.as_ref())? {
            sync_point.wait(Duration::MAX)?;
        }
        drop(handover);
        renderer.frame_parts().1.give_instance_list(instances);
        Ok((sync_point, file))
    }

    /// The instance drawing the whole of `draw.dst`, in target pixels.
    fn target_instance(&self, texture: &Texture, draw: &TextureDraw<'_>) -> Quad {
        let size = (texture.width(), texture.height());
        let logical =
            geometry::texture_instance(draw.src, size, draw.dst, draw.transform, draw.alpha);
        self.to_target_quad(&logical)
    }

    /// An output-space quad (`dst` in output pixels) in target pixels, with the same
    /// coordinates at the same output points.
    fn to_target_quad(&self, logical: &Quad) -> Quad {
        if self.transform() == Transform::Normal {
            return *logical;
        }
        // The uv is affine in position: evaluate the output-space quad at the target
        // rectangle's corners, mapped back into output space.
        let [x, y, w, h] = logical.dst.map(|v| v.round() as i32);
        let target_dst = self.to_target_rect(Rect::new(x, y, w, h));
        let uv_at = |x: f64, y: f64| {
            let [ox, oy] = self.to_output_point([x, y]);
            uv_of(logical, ox, oy)
        };
        let (x, y, w, h) = (
            f64::from(target_dst.x),
            f64::from(target_dst.y),
            f64::from(target_dst.w),
            f64::from(target_dst.h),
        );
        let corners = [uv_at(x, y), uv_at(x + w, y), uv_at(x, y + h)];
        let dst = [x as f32, y as f32, w as f32, h as f32];
        geometry::instance_from_corners(dst, corners, logical.alpha)
    }

    /// Copies what can be copied of the opaque `rects` (target pixels) with
    /// `vkCmdCopyImage`, returning the rectangles left to draw.
    fn try_copy(
        &mut self,
        texture: &Src<'r>,
        draw: &TextureDraw<'_>,
        full: &Quad,
        rects: Vec<Rect>,
    ) -> Vec<Rect> {
        let unscaled = draw.src.w == f64::from(draw.dst.w)
            && draw.src.h == f64::from(draw.dst.h)
            && draw.src.x.fract() == 0.0
            && draw.src.y.fract() == 0.0;
        if rects.is_empty() || !self.can_copy(texture, draw) {
            return rects;
        }
        if unscaled {
            let regions = rects.iter().map(|r| image_copy(draw, r)).collect();
            self.ops().push(Op::Copy(Box::new(CopyOp {
                texture: texture.clone(),
                regions,
                blit: None,
                instances: instances_within(full, &rects),
            })));
            return Vec::new();
        }
        // A scaled blit of part of the quad would sample differently from the shader at
        // the cut; only a quad shown whole, from whole texels, is blitted.
        let whole = rects == [draw.dst]
            && [draw.src.x, draw.src.y, draw.src.w, draw.src.h]
                .iter()
                .all(|v| v.fract() == 0.0);
        if whole && self.can_blit(texture, draw.filter) {
            self.ops().push(Op::Copy(Box::new(CopyOp {
                texture: texture.clone(),
                regions: Vec::new(),
                blit: Some((image_blit(draw), draw.filter)),
                instances: instances_within(full, &rects),
            })));
            return Vec::new();
        }
        rects
    }

    /// Whether texels of `texture` can be moved into the target without the shader: same
    /// memory layout, no transform, full opacity, and the usages transfers need.
    fn can_copy(&self, texture: &Texture, draw: &TextureDraw<'_>) -> bool {
        let same_layout = texture.format() == self.target().format()
            && texture.fourcc().is_some()
            && texture.fourcc() == self.target().fourcc()
            && texture.has_alpha() == self.target().has_alpha();
        same_layout
            && texture.color_fingerprint() == self.target().color_fingerprint()
            && draw.transform == Transform::Normal
            && self.transform() == Transform::Normal
            && draw.alpha == 1.0
            && texture.usage().contains(vk::ImageUsageFlags::TRANSFER_SRC)
            && self
                .target()
                .usage()
                .contains(vk::ImageUsageFlags::TRANSFER_DST)
    }

    /// `filter`, or nearest where the texture's format cannot be filtered linearly
    /// (sampling it linearly would be invalid usage).
    fn usable_filter(&self, texture: &Texture, filter: Filter) -> Filter {
        let linear_ok = texture
            .fourcc()
            .and_then(|f| self.renderer.formats().support(f))
            .is_none_or(|s| s.sample_linear_filter);
        if filter == Filter::Linear && !linear_ok {
            tracing::debug!(
                "{:?} cannot be filtered linearly here; sampling nearest",
                texture.fourcc()
            );
            return Filter::Nearest;
        }
        filter
    }

    /// Whether the format can be blitted into the target with `filter`.
    fn can_blit(&self, texture: &Texture, filter: Filter) -> bool {
        let Some(support) = texture
            .fourcc()
            .and_then(|f| self.renderer.formats().support(f))
        else {
            return false;
        };
        support.blit_src
            && support.blit_dst
            && (filter == Filter::Nearest || support.sample_linear_filter)
    }

    fn push_texture(
        &mut self,
        texture: Src<'r>,
        filter: Filter,
        blend: bool,
        instances: impl IntoIterator<Item = texture::Instance>,
    ) {
        let start = self.instances.len();
        self.instances.extend(instances);
        let end = self.instances.len();
        if start == end {
            return;
        }
        // Consecutive draws of one texture with one pipeline become one instanced draw
        // (when the last draw's instances end the list: no other pass's came between).
        if let Some(Op::Texture {
            texture: t,
            filter: f,
            blend: b,
            instances: previous,
        }) = self.segments.last_mut().and_then(|s| s.ops.last_mut())
        {
            if t.is(&texture) && *f == filter && *b == blend && previous.end == start {
                previous.end = end;
                return;
            }
        }
        self.ops().push(Op::Texture {
            texture,
            filter,
            blend,
            instances: start..end,
        });
    }

    fn to_target_rects(&self, rects: &[Rect]) -> Vec<Rect> {
        let bounds = Rect::new(0, 0, self.output_size().0, self.output_size().1);
        rects
            .iter()
            .filter_map(|r| r.intersect(&bounds))
            .map(|r| self.to_target_rect(r))
            .collect()
    }

    /// An output rectangle in target pixels.
    fn to_target_rect(&self, rect: Rect) -> Rect {
        if self.transform() == Transform::Normal {
            return rect;
        }
        let forward = self.transform().invert();
        let (ow, oh) = self.output_size();
        let (tw, th) = (
            f64::from(self.target().width()),
            f64::from(self.target().height()),
        );
        let corner = |x: i32, y: i32| {
            let [u, v] =
                forward.source_point([f64::from(x) / f64::from(ow), f64::from(y) / f64::from(oh)]);
            ((u * tw).round() as i32, (v * th).round() as i32)
        };
        let (ax, ay) = corner(rect.x, rect.y);
        let (bx, by) = corner(rect.right(), rect.bottom());
        Rect::new(ax.min(bx), ay.min(by), (ax - bx).abs(), (ay - by).abs())
    }

    /// A target point in output pixels.
    fn to_output_point(&self, target: [f64; 2]) -> [f64; 2] {
        let (ow, oh) = self.output_size();
        let [u, v] = self.transform().source_point([
            target[0] / f64::from(self.target().width()),
            target[1] / f64::from(self.target().height()),
        ]);
        [u * f64::from(ow), v * f64::from(oh)]
    }
}

impl std::fmt::Debug for SyncPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncPoint")
            .field("point", &self.point)
            .finish()
    }
}

impl SyncPoint {
    /// Whether this is a point on `renderer`'s own timeline: work it submits later is
    /// ordered after it without any wait.
    pub fn belongs_to(&self, renderer: &Renderer) -> bool {
        std::sync::Arc::ptr_eq(&self.timeline, renderer.gpu().submitter_ref().timeline())
    }

    /// The timeline value the frame signals.
    pub fn value(&self) -> u64 {
        self.point
    }

    /// Whether the GPU has finished the frame (does not block).
    pub fn is_reached(&self) -> Result<bool> {
        Ok(self.timeline.value()? >= self.point)
    }

    /// Waits for the frame, up to `timeout`; `Ok(false)` on timeout.
    pub fn wait(&self, timeout: Duration) -> Result<bool> {
        self.timeline.wait(self.point, timeout)
    }
}

/// A frame's submission.
struct Submitted {
    point: u64,
    /// The pool's semaphore the frame's sync_file comes from, signalled when `recorded`
    /// is Ok.
    signal: Option<Semaphore>,
    /// How recording went: on failure, what was recorded before it was submitted.
    recorded: Result<()>,
}

/// Records the frame and submits it with the hand-over's and the caller's semaphores. An
/// error means nothing was submitted.
fn submit_ops(
    renderer: &mut Renderer,
    recording: Recording<'_, '_>,
    sync: &mut FrameSync<'_>,
    want_sync_file: bool,
) -> Result<Submitted> {
    // A sync_file of the frame is made when asked for, and for the implicit fences of the
    // dma-bufs it writes where the driver can export one.
    let (gpu, drawing) = renderer.frame_parts();
    let device = gpu.device().clone();
    let submitter = gpu.submitter();
    let caps_export = device.capabilities().sync_file.export;
    let handover = recording.handover;
    let segments = recording.segments;
    let target: &Texture = &segments[0].target;
    let exports = want_sync_file || (handover.writes_dmabufs() && caps_export);
    // The recorder ring waits for the oldest frame in flight, so the pool's semaphores
    // are taken after it: the oldest ones are free by then.
    let mut recorder = submitter.take_recorder()?;
    let (signal, waits) = match take_semaphores(submitter, &device, handover, exports) {
        Ok(taken) => taken,
        Err(e) => {
            submitter.return_unsubmitted(recorder);
            return Err(e);
        }
    };
    // What was recorded before a failure is whole commands (a failing draw records
    // nothing) that the textures' tracked layouts already assume, so it is submitted, to
    // keep those layouts true; nothing is signalled then. Shared textures need no such
    // care (each frame acquires them from the layout their owner left), and the frame's
    // acquires of them must not go unreleased: with them it is dropped (and the imports
    // of `waits` with it, never waited on).
    let recorded = match record_segments(drawing, submitter, &mut recorder, recording) {
        Err(e) if !handover.is_empty() => {
            submitter.return_unsubmitted(recorder);
            give_back_unused(submitter, signal);
            return Err(e);
        }
        recorded => recorded,
    };
    if recorded.is_ok() {
        if let Some(layout) = sync.final_layout {
            recorder.transition(target, layout);
        }
    }
    let signals: Vec<&Semaphore> = match recorded {
        Ok(()) => signal.iter().chain(sync.signals.iter().copied()).collect(),
        Err(_) => Vec::new(),
    };
    // The submission holds the pool's semaphores it waits on (the hand-over's and the
    // imported sync_files) and the pass targets until its point: the payloads are
    // consumed by then, and the semaphores go back to the pool.
    let held = Held {
        textures: segments.iter().map(|s| &*s.target).collect(),
        waits: waits
            .into_iter()
            .chain(std::mem::take(&mut sync.imported))
            .collect(),
    };
    match submitter.submit(recorder, &sync.waits, &signals, held) {
        Ok(point) => Ok(Submitted {
            point,
            signal,
            recorded,
        }),
        Err(e) => {
            // A failed vkQueueSubmit leaves its semaphores as they were.
            give_back_unused(submitter, signal);
            Err(e)
        }
    }
}

/// The pool's semaphores a frame needs: one to export its sync_file from, when it
/// `exports`, and the waits for its dma-bufs' pending fences.
fn take_semaphores(
    submitter: &mut Submitter,
    device: &Device,
    handover: &Handover<'_>,
    exports: bool,
) -> Result<(Option<Semaphore>, Vec<Semaphore>)> {
    let signal = exports
        .then(|| submitter.semaphores().take_signal())
        .transpose()?;
    match handover.fences_before(device, submitter.semaphores()) {
        Ok(waits) => Ok((signal, waits)),
        Err(e) => {
            give_back_unused(submitter, signal);
            Err(e)
        }
    }
}

/// Returns a signal semaphore no submission signalled: it can be reused at once.
fn give_back_unused(submitter: &mut Submitter, signal: Option<Semaphore>) {
    if let Some(semaphore) = signal {
        submitter.semaphores().recycle_signal(semaphore, 0);
    }
}

/// Exports the frame's sync_file from `signal`, signalled by the submission at `point`.
/// The export unsignals it (copy transference), so it goes back to the pool; if the
/// export fails it still holds the signal, and is dropped once the point has passed.
fn export_signal(submitter: &mut Submitter, signal: Semaphore, point: u64) -> Result<SyncFile> {
    match signal.export_sync_file() {
        Ok(file) => {
            submitter.semaphores().recycle_signal(signal, point);
            Ok(file)
        }
        Err(e) => {
            submitter
                .graveyard()
                .bury(point, Box::new(move || drop(signal)));
            Err(e)
        }
    }
}

/// A frame that failed before its submission still consumes the semaphores it was given
/// to wait on, in an empty batch, so that their owners can reuse them once the renderer's
/// next point is reached; the imported ones go back to the pool then. An error only when
/// that batch could not be submitted.
fn consume_waits(submitter: &mut Submitter, sync: FrameSync<'_>) -> Result<()> {
    let FrameSync {
        waits, imported, ..
    } = sync;
    if waits.is_empty() && imported.is_empty() {
        return Ok(());
    }
    let held = Held {
        waits: imported,
        ..Held::default()
    };
    submitter.submit_waits_only(&waits, held).map(|_| ())
}

impl From<Quad> for texture::Instance {
    fn from(q: Quad) -> texture::Instance {
        texture::Instance {
            dst: q.dst,
            uv_offset: q.uv_offset,
            uv_axes: q.uv_axes,
            alpha: q.alpha,
        }
    }
}

/// The texture coordinate the instance gives output point (x, y).
fn uv_of(instance: &Quad, x: f64, y: f64) -> [f64; 2] {
    let [dx, dy, dw, dh] = instance.dst.map(f64::from);
    let [ox, oy] = instance.uv_offset.map(f64::from);
    let [ax, ay, bx, by] = instance.uv_axes.map(f64::from);
    let (s, t) = ((x - dx) / dw, (y - dy) / dh);
    [ox + s * ax + t * bx, oy + s * ay + t * by]
}

/// `full` clipped to each of `rects`, which are already disjoint.
fn instances_within(full: &Quad, rects: &[Rect]) -> Vec<texture::Instance> {
    rects
        .iter()
        .filter_map(|r| geometry::clip_texture_instance(full, *r))
        .map(texture::Instance::from)
        .collect()
}

fn clip_all(rects: &[Rect], to: Rect) -> Vec<Rect> {
    // One rectangle (the common case: a whole-output or one-rectangle damage) is disjoint
    // already.
    if let [only] = rects {
        return only.intersect(&to).into_iter().collect();
    }
    geometry::disjoint(
        &rects
            .iter()
            .filter_map(|r| r.intersect(&to))
            .collect::<Vec<_>>(),
    )
}

fn intersect_all(rects: &[Rect], with: &[Rect]) -> Vec<Rect> {
    if with.is_empty() {
        return Vec::new();
    }
    let pieces: Vec<Rect> = rects
        .iter()
        .flat_map(|r| with.iter().filter_map(move |w| r.intersect(w)))
        .collect();
    geometry::disjoint(&pieces)
}

fn check_source(texture: &Texture, src: &RectF) -> Result<()> {
    let (w, h) = (f64::from(texture.width()), f64::from(texture.height()));
    let inside = src.x >= 0.0
        && src.y >= 0.0
        && src.w > 0.0
        && src.h > 0.0
        && src.x + src.w <= w
        && src.y + src.h <= h;
    if inside {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "source rectangle {src:?} is not inside the {w}x{h} buffer"
        )))
    }
}

/// The copy of target rectangle `r` (within `draw.dst`) from the matching texels.
fn image_copy(draw: &TextureDraw<'_>, r: &Rect) -> vk::ImageCopy {
    let layers = crate::resources::texture::color_layers();
    vk::ImageCopy {
        src_subresource: layers,
        src_offset: vk::Offset3D {
            x: draw.src.x as i32 + (r.x - draw.dst.x),
            y: draw.src.y as i32 + (r.y - draw.dst.y),
            z: 0,
        },
        dst_subresource: layers,
        dst_offset: vk::Offset3D {
            x: r.x,
            y: r.y,
            z: 0,
        },
        extent: vk::Extent3D {
            width: r.w as u32,
            height: r.h as u32,
            depth: 1,
        },
    }
}

/// The blit of the whole source rectangle onto the whole destination.
fn image_blit(draw: &TextureDraw<'_>) -> vk::ImageBlit {
    let layers = crate::resources::texture::color_layers();
    let corner = |x: f64, y: f64| vk::Offset3D {
        x: x as i32,
        y: y as i32,
        z: 0,
    };
    let (src, dst) = (draw.src, draw.dst);
    vk::ImageBlit {
        src_subresource: layers,
        src_offsets: [corner(src.x, src.y), {
            let mut far = corner(src.x + src.w, src.y + src.h);
            far.z = 1;
            far
        }],
        dst_subresource: layers,
        dst_offsets: [
            vk::Offset3D {
                x: dst.x,
                y: dst.y,
                z: 0,
            },
            vk::Offset3D {
                x: dst.right(),
                y: dst.bottom(),
                z: 1,
            },
        ],
    }
}

/// What a frame records: its passes, their custom draws, and the hand-over of its shared
/// textures.
struct Recording<'s, 'f> {
    segments: &'s [Segment<'f>],
    customs: &'s mut [Option<CustomDraw<'f>>],
    handover: &'s Handover<'s>,
    /// Set when the frame takes the linear path.
    linear: Option<&'s linear::LinearPlan<'f>>,
    /// The frame's instance list, which `Op::Texture` ranges index.
    instances: &'s [texture::Instance],
}

/// Records the frame's passes in order, between the acquire and the release of its shared
/// textures.
fn record_segments(
    drawing: &mut Drawing,
    submitter: &Submitter,
    recorder: &mut Recorder,
    recording: Recording<'_, '_>,
) -> Result<()> {
    let point = submitter.next_point();
    if let Some(timer) = drawing.timer() {
        timer.record_start(recorder.command_buffer(), point);
    }
    recording.handover.record_acquire(recorder);
    let target: &Texture = &recording.segments[0].target;
    let graveyard = submitter.graveyard();
    let mut initialize = recording.linear.is_some_and(|plan| plan.initialize);
    for segment in recording.segments {
        match recording.linear {
            Some(plan) if segment.target.is(target) => {
                if let Some(blend) = plan.blend() {
                    blend.mark_used(graveyard, point);
                }
                let destination = plan.destination(target);
                prepare_sources(graveyard, recorder, destination, &segment.ops, point, true);
                if std::mem::take(&mut initialize) {
                    linear::record_initialize(drawing, recorder, target, plan)?;
                }
                let instances = recording.instances;
                linear::record_segment(
                    drawing,
                    recorder,
                    segment,
                    recording.customs,
                    plan,
                    instances,
                )?;
            }
            _ => record_segment(
                drawing,
                graveyard,
                recorder,
                segment,
                recording.customs,
                recording.instances,
                point,
            )?,
        }
    }
    if let Some(plan) = recording.linear {
        if let Some(lut) = plan.lut() {
            lut.mark_used(graveyard, point);
            if lut.layout() != vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL {
                recorder.transition(lut, vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL);
            }
        }
        linear::record_encode(drawing, recorder, target, plan)?;
    }
    recording.handover.record_release(recorder);
    if let Some(timer) = drawing.timer() {
        timer.record_end(recorder.command_buffer(), point);
    }
    Ok(())
}

/// Records one pass's operations in order: draws inside the output render pass, copies
/// and captures between passes.
fn record_segment(
    drawing: &mut Drawing,
    graveyard: &Arc<Graveyard>,
    recorder: &mut Recorder,
    segment: &Segment<'_>,
    customs: &mut [Option<CustomDraw<'_>>],
    instances: &[texture::Instance],
    point: u64,
) -> Result<()> {
    let target: &Texture = &segment.target;
    let format = target.format();
    let framebuffer = target.framebuffer(drawing.output(format)?.pass.raw())?;
    prepare_sources(graveyard, recorder, target, &segment.ops, point, false);
    for op in &segment.ops {
        if let Op::Yuv { texture, .. } = op {
            let sampler = texture.ycbcr().expect("YUV ops hold YUV textures");
            drawing.build_yuv_pipeline(format, sampler)?;
        }
        if let Op::Rounded(_) = op {
            drawing.build_rounded(format)?;
        }
    }
    let drawing = &*drawing;
    let output = drawing.built_output(format);
    let mut ops = segment.ops.iter().peekable();
    while ops.peek().is_some() {
        while let Some(op) = ops.next_if(|op| op.outside_pass()) {
            record_outside_pass(recorder, target, op);
        }
        if ops.peek().is_none() {
            break;
        }
        let mut pass = recorder.begin_pass_with(&output.pass, target, framebuffer, [0.0; 4])?;
        while let Some(op) = ops.next_if(|op| !op.outside_pass()) {
            record_in_pass(&mut pass, drawing, output, op, customs, instances)?;
        }
    }
    Ok(())
}

impl Op<'_> {
    /// Whether the operation is recorded between render passes (transfers).
    fn outside_pass(&self) -> bool {
        matches!(self, Op::Copy(_) | Op::Capture { .. })
    }
}

/// Records a transfer: a copy or blit into the target, or a capture out of it.
fn record_outside_pass(recorder: &mut Recorder, target: &Texture, op: &Op<'_>) {
    match op {
        Op::Copy(copy) => record_copy(recorder, &copy.texture, target, &copy.regions, copy.blit),
        Op::Capture { region, into } => record_capture(recorder, target, *region, into),
        _ => unreachable!("only transfers are recorded outside the pass"),
    }
}

/// Records one draw into the open render pass.
fn record_in_pass(
    pass: &mut PassRecorder<'_, passes::Output>,
    drawing: &Drawing,
    output: &Output,
    op: &Op<'_>,
    customs: &mut [Option<CustomDraw<'_>>],
    frame_instances: &[texture::Instance],
) -> Result<()> {
    let size = pass.target_size();
    let push = texture::Push { target_size: size };
    match op {
        Op::Clear { color, rects } => clear_rects(pass, *color, rects),
        Op::Solid(instances) => {
            let push = solid::Push { target_size: size };
            pass.draw(&output.pipelines.solid, &push, (), instances)?
        }
        Op::Texture {
            texture,
            filter,
            blend,
            instances,
        } => {
            let tex = SampledTexture::new(texture, drawing.sampler(*filter));
            let instances = &frame_instances[instances.clone()];
            draw_texture(pass, &output.pipelines, tex, *blend, &push, instances)?;
        }
        Op::Indexed {
            textures,
            instances,
        } => draw_indexed(pass, drawing, output, textures, instances, false)?,
        Op::Yuv { texture, instances } => {
            let sampler = texture.ycbcr().expect("YUV ops hold YUV textures");
            let pipeline = drawing
                .yuv_ref()
                .pipeline(pass.target_format(), sampler)
                .expect("built before the pass");
            let set = sets::YcbcrTextured { tex: texture };
            let variant = pipeline.variant(texture_ycbcr::Variant::Opaque);
            pass.draw(&variant, &push, set, instances)?;
        }
        Op::Kawase(kawase) => kawase.record(pass, drawing, output)?,
        Op::Rounded(rounded) => linear::draw_rounded(pass, drawing, None, rounded)?,
        Op::Custom(index) => {
            if let Some(draw) = customs[*index].take() {
                let info = custom::PassInfo {
                    format: pass.format(),
                    size: pass.target_size(),
                    description: pass.target_description(),
                    linear: false,
                };
                draw(pass, &info)?;
            }
        }
        Op::Copy(_) | Op::Capture { .. } => {
            unreachable!("transfers are recorded outside the pass")
        }
    }
    Ok(())
}

/// One draw of many textures through the texture array; with `srgb`, through their sRGB
/// views (the linear path's hardware decoding; every texture must have one).
fn draw_indexed(
    pass: &mut PassRecorder<'_, passes::Output>,
    drawing: &Drawing,
    output: &Output,
    textures: &[(Src<'_>, Filter)],
    instances: &[texture_indexed::Instance],
    srgb: bool,
) -> Result<()> {
    let pipeline =
        output.pipelines.texture_indexed.as_ref().ok_or_else(|| {
            Error::InvalidArgument("the texture-array pipeline was not built".into())
        })?;
    let list = array_elements(drawing, textures, srgb);
    let set = sets::TextureArray { textures: &list };
    let push = texture_indexed::Push {
        target_size: pass.target_size(),
    };
    pass.draw(pipeline, &push, set, instances)
}

/// The texture array's elements: each texture with its filter's sampler; with `srgb`,
/// through its sRGB view where it has one.
fn array_elements<'t>(
    drawing: &'t Drawing,
    textures: &'t [(Src<'_>, Filter)],
    srgb: bool,
) -> Vec<SampledTexture<'t>> {
    textures
        .iter()
        .map(|(texture, filter)| {
            let sampler = drawing.sampler(*filter);
            let decoded = SampledTexture::srgb_decoded(texture, sampler).filter(|_| srgb);
            decoded.unwrap_or(SampledTexture::new(texture, sampler))
        })
        .collect()
}

/// Every texture the frame's operations read, in every pass.
/// Not collected: this runs for every frame, and most frames share no texture.
fn source_textures<'s>(segments: &'s [Segment<'_>]) -> impl Iterator<Item = &'s Texture> + 's {
    segments
        .iter()
        .flat_map(|segment| segment.ops.iter().flat_map(Op::sources))
}

impl<'f> Op<'f> {
    /// The textures the operation reads.
    fn sources(&self) -> impl Iterator<Item = &Texture> + '_ {
        let (one, many): (Option<&Texture>, &[(Src<'f>, Filter)]) = match self {
            Op::Texture { texture, .. } | Op::Yuv { texture, .. } => (Some(texture), &[]),
            Op::Copy(copy) => (Some(&copy.texture), &[]),
            Op::Rounded(rounded) => (Some(&rounded.texture), &[]),
            Op::Kawase(kawase) => (Some(&kawase.source), &[]),
            Op::Indexed { textures, .. } => (None, textures),
            _ => (None, &[]),
        };
        one.into_iter().chain(many.iter().map(|(t, _)| &**t))
    }
}

/// Marks every texture a pass reads as used until `point`, and moves those not ready to
/// sample (a target drawn earlier, now a source) into the sampling layout before the pass.
/// On the `linear` path copies are draws too.
fn prepare_sources(
    graveyard: &Arc<Graveyard>,
    recorder: &mut Recorder,
    target: &Texture,
    ops: &[Op<'_>],
    point: u64,
    linear: bool,
) {
    for op in ops {
        let layout = match op {
            Op::Copy(_) if !linear => vk::ImageLayout::TRANSFER_SRC_OPTIMAL,
            _ => vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL,
        };
        for texture in op.sources() {
            texture.mark_used(graveyard, point);
            let sampled = layout == vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL;
            if sampled && !std::ptr::eq(texture, target) && texture.layout() != layout {
                recorder.transition(texture, layout);
            }
        }
    }
}

fn draw_texture(
    pass: &mut PassRecorder<'_, passes::Output>,
    pipelines: &crate::shaders::Pipelines,
    tex: SampledTexture<'_>,
    blend: bool,
    push: &texture::Push,
    instances: &[texture::Instance],
) -> Result<()> {
    // Always the `alpha` variant: a texture without alpha already reads alpha 1 through
    // its view's swizzle, and one variant for every texture keeps the pipeline bound from
    // quad to quad.
    let set = sets::Textured { tex };
    if blend {
        let variant = pipelines.texture.variant(texture::Variant::Alpha);
        pass.draw(&variant, push, set, instances)
    } else {
        let variant = pipelines
            .texture_opaque
            .variant(texture_opaque::Variant::Alpha);
        pass.draw(&variant, push, set, instances)
    }
}

/// `vkCmdClearAttachments` over `rects` (target pixels).
fn clear_rects(pass: &mut PassRecorder<'_, passes::Output>, color: [f32; 4], rects: &[Rect]) {
    let attachment = vk::ClearAttachment {
        aspect_mask: vk::ImageAspectFlags::COLOR,
        color_attachment: 0,
        clear_value: vk::ClearValue {
            color: vk::ClearColorValue { float32: color },
        },
    };
    let rects: Vec<vk::ClearRect> = rects
        .iter()
        .map(|r| vk::ClearRect {
            rect: vk::Rect2D {
                offset: vk::Offset2D { x: r.x, y: r.y },
                extent: vk::Extent2D {
                    width: r.w as u32,
                    height: r.h as u32,
                },
            },
            base_array_layer: 0,
            layer_count: 1,
        })
        .collect();
    pass.clear_attachments(&[attachment], &rects);
}

/// Copies `region` (target pixels) of `target` into the whole of `into` outside any render
/// pass, leaving `into` ready to sample.
fn record_capture(recorder: &mut Recorder, target: &Texture, region: Rect, into: &Texture) {
    recorder.transition(target, vk::ImageLayout::TRANSFER_SRC_OPTIMAL);
    recorder.transition(into, vk::ImageLayout::TRANSFER_DST_OPTIMAL);
    let layers = crate::resources::texture::color_layers();
    let copy = vk::ImageCopy {
        src_subresource: layers,
        src_offset: vk::Offset3D {
            x: region.x,
            y: region.y,
            z: 0,
        },
        dst_subresource: layers,
        dst_offset: vk::Offset3D::default(),
        extent: vk::Extent3D {
            width: region.w as u32,
            height: region.h as u32,
            depth: 1,
        },
    };
    // SAFETY: both images are in the transfer layouts recorded just above, of one format;
    // the region lies inside the target (checked by `Frame::capture`) and `into` has its
    // size.
    unsafe {
        recorder.device().raw().cmd_copy_image(
            recorder.command_buffer(),
            target.image(),
            vk::ImageLayout::TRANSFER_SRC_OPTIMAL,
            into.image(),
            vk::ImageLayout::TRANSFER_DST_OPTIMAL,
            &[copy],
        )
    };
    recorder.transition(into, vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL);
}

/// Copies `regions` (or blits) from `texture` into `target` outside any render pass.
fn record_copy(
    recorder: &mut Recorder,
    texture: &Texture,
    target: &Texture,
    regions: &[vk::ImageCopy],
    blit: Option<(vk::ImageBlit, Filter)>,
) {
    let source_layout = texture.layout();
    recorder.transition(texture, vk::ImageLayout::TRANSFER_SRC_OPTIMAL);
    recorder.transition(target, vk::ImageLayout::TRANSFER_DST_OPTIMAL);
    let (device, cmd) = (recorder.device().raw(), recorder.command_buffer());
    let (src, dst) = (
        vk::ImageLayout::TRANSFER_SRC_OPTIMAL,
        vk::ImageLayout::TRANSFER_DST_OPTIMAL,
    );
    // SAFETY: both images are in the transfer layouts recorded just above; the regions lie
    // inside both (clipped to the destination, which lies within the source rectangle);
    // blits only happen for formats that support them (`can_blit`).
    unsafe {
        if !regions.is_empty() {
            device.cmd_copy_image(cmd, texture.image(), src, target.image(), dst, regions);
        }
        if let Some((region, filter)) = blit {
            let filter = match filter {
                Filter::Nearest => vk::Filter::NEAREST,
                Filter::Linear => vk::Filter::LINEAR,
            };
            device.cmd_blit_image(
                cmd,
                texture.image(),
                src,
                target.image(),
                dst,
                &[region],
                filter,
            );
        }
    }
    if source_layout == vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL {
        recorder.transition(texture, source_layout);
    }
}
