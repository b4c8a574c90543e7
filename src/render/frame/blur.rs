//! Blur behind: a dual-Kawase blur (Bjørge's dual filter) of what the frame's target holds
//! under a rectangle, drawn back into it with an optional corner radius. The region the
//! blur reads (the destination grown by its reach) is captured, downsampled `passes` times
//! into pooled half-size textures (`kawase_down`, GLSL), upsampled back (`kawase_up`,
//! WGSL) and the last upsampling pass draws into the target, masked to the rounded
//! destination. Intermediates are 16-bit float, so the passes do not band.

use std::sync::Arc;

use ash::vk;

use super::{Frame, Op, Src};
use crate::error::{Error, Result};
use crate::geometry::{Quad, Rect, Transform};
use crate::pipelines::recorder::PassRecorder;
use crate::pipelines::SampledTexture;
use crate::render::drawing::{Drawing, Output, PoolKey};
use crate::resources::sampler::Filter;
use crate::resources::texture::Texture;
use crate::shaders::{kawase_down, kawase_up, passes, sets};

/// The format of the blur's intermediate levels.
const LEVEL_FORMAT: vk::Format = vk::Format::R16G16B16A16_SFLOAT;

/// The most passes a blur takes: each halves the size, and 8 reach 256 times the offset.
pub const MAX_BLUR_PASSES: u32 = 8;

/// A dual-Kawase blur: `passes` halvings (and as many doublings back), each sampling
/// `offset` pixels of its level away from the centre. More passes blur wider; the offset
/// widens each pass a little.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Blur {
    pub passes: u32,
    pub offset: f32,
}

impl Blur {
    pub fn new(passes: u32, offset: f32) -> Blur {
        Blur { passes, offset }
    }

    /// How far (output pixels) the blurred value of a pixel may depend on what lies around
    /// it: each downsampling pass from level i (texels 2^i pixels wide) reaches half its
    /// offset of the next level plus one texel of bilinear footprint, each upsampling pass
    /// its offset plus one texel of the level it reads. Summed over the levels and
    /// bounded for sizes that do not halve exactly (levels round down), this is
    /// `(4 offset + 6)(2^passes - 1) - passes (1.5 offset + 2)`.
    pub fn reach(&self) -> i32 {
        let o = f64::from(self.offset.abs());
        let p = f64::from(self.passes.min(MAX_BLUR_PASSES));
        let levels = 2f64.powf(p) - 1.0;
        ((4.0 * o + 6.0) * levels - p * (1.5 * o + 2.0))
            .ceil()
            .max(0.0) as i32
    }

    /// The damage a frame must redraw, under and over a blur into `blurred`, when `damage`
    /// changed: a change within the blur's reach of `blurred` changes what it reads, and
    /// what the target holds there is the last frame's blurred result, so the whole region
    /// the blur reads (`blurred` grown by the reach) is redrawn; other damage stays as it
    /// is. Redrawing that damage and blurring within it equals redrawing everything.
    pub fn grow_damage(&self, damage: &[Rect], blurred: Rect) -> Vec<Rect> {
        let read = grow(blurred, self.reach());
        let mut grown = damage.to_vec();
        if damage.iter().any(|d| d.intersect(&read).is_some()) {
            grown.push(read);
        }
        grown
    }

    fn validate(&self) -> Result<()> {
        if !(1..=MAX_BLUR_PASSES).contains(&self.passes) {
            return Err(Error::InvalidArgument(format!(
                "a blur takes 1 to {MAX_BLUR_PASSES} passes, not {}",
                self.passes
            )));
        }
        if !(self.offset.is_finite() && (0.0..=16.0).contains(&self.offset)) {
            return Err(Error::InvalidArgument(format!(
                "a blur offset is between 0 and 16 pixels, not {}",
                self.offset
            )));
        }
        Ok(())
    }
}

fn grow(rect: Rect, by: i32) -> Rect {
    Rect::new(
        rect.x.saturating_sub(by),
        rect.y.saturating_sub(by),
        rect.w.saturating_add(by.saturating_mul(2)),
        rect.h.saturating_add(by.saturating_mul(2)),
    )
}

/// One pass of the blur: `source` sampled into `quads` of the pass's target.
pub(crate) struct KawaseDraw<'f> {
    pub(super) source: Src<'f>,
    up: bool,
    /// The taps' distance in uv units of the source (`offset * 0.5 / destination size`).
    step: [f32; 2],
    /// The rounded rectangle of the upsampling pass's mask (target pixels) and its radius.
    clip: [f32; 4],
    radius: f32,
    quads: Vec<Quad>,
}

impl KawaseDraw<'_> {
    /// The quads the pass draws (target pixels).
    pub(super) fn quads(&self) -> &[Quad] {
        &self.quads
    }

    pub(crate) fn record(
        &self,
        pass: &mut PassRecorder<'_, passes::Output>,
        drawing: &Drawing,
        output: &Output,
    ) -> Result<()> {
        let target_size = pass.target_size();
        let sampler = drawing.sampler(Filter::Linear);
        if self.up {
            let push = kawase_up::Push {
                target_size,
                step: self.step,
                clip: self.clip,
                radius: self.radius,
            };
            let set = sets::TextureAndSampler {
                tex: &self.source,
                samp: sampler,
            };
            let instances: Vec<kawase_up::Instance> =
                self.quads.iter().map(|&q| up_instance(q)).collect();
            pass.draw(&output.pipelines.kawase_up, &push, set, &instances)
        } else {
            let push = kawase_down::Push {
                target_size,
                step: self.step,
            };
            let tex = SampledTexture::new(&self.source, sampler);
            let instances: Vec<kawase_down::Instance> =
                self.quads.iter().map(|&q| down_instance(q)).collect();
            pass.draw(
                &output.pipelines.kawase_down,
                &push,
                sets::Textured { tex },
                &instances,
            )
        }
    }
}

fn up_instance(q: Quad) -> kawase_up::Instance {
    kawase_up::Instance {
        dst: q.dst,
        uv_offset: q.uv_offset,
        uv_axes: q.uv_axes,
        alpha: q.alpha,
    }
}

fn down_instance(q: Quad) -> kawase_down::Instance {
    kawase_down::Instance {
        dst: q.dst,
        uv_offset: q.uv_offset,
        uv_axes: q.uv_axes,
        alpha: q.alpha,
    }
}

/// The quad covering a whole `width`x`height` target, sampling the whole source.
fn whole(width: u32, height: u32) -> Quad {
    Quad {
        dst: [0.0, 0.0, width as f32, height as f32],
        uv_offset: [0.0, 0.0],
        uv_axes: [1.0, 0.0, 0.0, 1.0],
        alpha: 1.0,
    }
}

/// `offset * 0.5 / size` per axis: the taps' distance for a pass drawing into `size`.
fn step(offset: f32, size: (u32, u32)) -> [f32; 2] {
    [offset * 0.5 / size.0 as f32, offset * 0.5 / size.1 as f32]
}

impl<'r> Frame<'r> {
    /// Blurs what the target holds behind `dst` (output pixels) and draws the result into
    /// `dst` within `damage`, clipped to a rectangle with corners of `corner_radius` pixels
    /// and faded by `alpha`. The blur reads `dst` grown by [`Blur::reach`] (clipped to the
    /// output), as the target holds it now: draw what lies behind first. Redraw damage
    /// grown by [`Blur::grow_damage`] so that partial frames equal full ones.
    pub fn blur_behind(
        &mut self,
        dst: Rect,
        damage: &[Rect],
        blur: &Blur,
        corner_radius: f32,
        alpha: f32,
    ) -> Result<()> {
        blur.validate()?;
        if !(0.0..=1.0).contains(&alpha) || !corner_radius.is_finite() || corner_radius < 0.0 {
            return Err(Error::InvalidArgument(format!(
                "blur alpha {alpha} (0 to 1) or corner radius {corner_radius} (0 or more) is out of range"
            )));
        }
        let (w, h) = self.output_size();
        let output = Rect::new(0, 0, w, h);
        let visible = self.to_target_rects(&super::clip_all(damage, dst));
        let Some(region) = grow(dst, blur.reach()).intersect(&output) else {
            return Ok(());
        };
        if visible.is_empty() || alpha == 0.0 {
            return Ok(());
        }
        let captured = self.capture(region)?;
        let levels = self.blur_levels(captured.texture().clone(), blur)?;
        let region_t = self.to_target_rect(region);
        let dst_t = self.to_target_rect(dst);
        let quads = visible
            .iter()
            .filter_map(|piece| final_quad(*piece, region_t, alpha))
            .collect();
        let level0 = (region_t.w as u32, region_t.h as u32);
        self.ops().push(Op::Kawase(Box::new(KawaseDraw {
            source: Src::Shared(levels),
            up: true,
            step: step(blur.offset, level0),
            clip: dst_t.to_f32(),
            radius: corner_radius,
            quads,
        })));
        Ok(())
    }

    /// Downsamples `captured` `blur.passes` times and upsamples back to the level just
    /// below the capture's size; returns that level, which the last pass draws from.
    fn blur_levels(&mut self, captured: Arc<Texture>, blur: &Blur) -> Result<Arc<Texture>> {
        let mut sizes = vec![(captured.width(), captured.height())];
        for _ in 0..blur.passes {
            let (w, h) = *sizes.last().expect("not empty");
            sizes.push(((w / 2).max(1), (h / 2).max(1)));
        }
        let mut source = captured;
        for &size in &sizes[1..] {
            source = self.blur_pass(source, size, false, blur.offset)?;
        }
        for &size in sizes[1..sizes.len() - 1].iter().rev() {
            source = self.blur_pass(source, size, true, blur.offset)?;
        }
        Ok(source)
    }

    /// One pass of the blur into a new pooled level of `size`.
    fn blur_pass(
        &mut self,
        source: Arc<Texture>,
        size: (u32, u32),
        up: bool,
        offset: f32,
    ) -> Result<Arc<Texture>> {
        let key = PoolKey {
            width: size.0,
            height: size.1,
            format: LEVEL_FORMAT,
            fourcc: None,
            has_alpha: true,
        };
        let level = self.take_pooled(key)?;
        self.begin_pass_into(level.clone(), Transform::Normal);
        let all = Rect::new(0, 0, size.0 as i32, size.1 as i32);
        if up {
            // Upsampling blends: start from transparent.
            self.ops().push(Op::Clear {
                color: [0.0; 4],
                rects: vec![all],
            });
        }
        self.ops().push(Op::Kawase(Box::new(KawaseDraw {
            source: Src::Shared(source),
            up,
            step: step(offset, size),
            clip: all.to_f32(),
            radius: 0.0,
            quads: vec![whole(size.0, size.1)],
        })));
        self.resume_outer();
        Ok(level)
    }
}

/// The last pass's quad for `piece` (target pixels) of a destination inside `region`, the
/// captured rectangle that level 0 of the blur spans.
fn final_quad(piece: Rect, region: Rect, alpha: f32) -> Option<Quad> {
    let piece = piece.intersect(&region)?;
    let (rw, rh) = (region.w as f32, region.h as f32);
    Some(Quad {
        dst: piece.to_f32(),
        uv_offset: [
            (piece.x - region.x) as f32 / rw,
            (piece.y - region.y) as f32 / rh,
        ],
        uv_axes: [piece.w as f32 / rw, 0.0, 0.0, piece.h as f32 / rh],
        alpha,
    })
}
