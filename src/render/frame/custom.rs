//! Draws with pipelines the frame does not know: vkcompose's generated ones and a
//! downstream crate's (built from its own manifest with vkcompose-codegen), in order with
//! the frame's own draws, with damage like them.
//!
//! A borrowed draw ([`Frame::draw`]) records the caller's references when the frame is
//! finished, so they must outlive the frame. An owned draw ([`Frame::draw_owned`]) is for
//! callers whose borrows end sooner (a Smithay render element's `draw`): it takes the
//! pipeline in an `Arc` and its resources by value, and the frame keeps both until its GPU
//! work is done, so dropping them early is safe.

use std::any::Any;
use std::sync::Arc;

use super::{CustomDraw, Frame, Op};
use crate::error::Result;
use crate::geometry::{self, Quad, Rect, RectF};
use crate::gpu::submitter::Submitter;
use crate::pipelines::{PassRecorder, Pipeline};
use crate::shaders::passes;

/// Something an owned draw uses, held until the frame's point.
pub(super) type Kept = Box<dyn Any + Send>;

/// The pass a custom draw ([`Frame::draw_with`]) is recorded into, known only when the
/// frame is finished: which path the frame took decides it.
#[derive(Clone, Debug)]
pub struct PassInfo {
    /// The attachment format: what a pipeline drawn here must be built for.
    pub format: ash::vk::Format,
    /// The attachment's size in pixels, as the quad shaders take `target_size`.
    pub size: [f32; 2],
    /// How the attachment encodes colour: the target's description on the single-pass
    /// path; on the linear path (`linear`), the blend buffer's linear light in the output's
    /// primaries and scale. Convert colours into it with
    /// [`crate::color::convert_premultiplied`].
    pub description: crate::color::ColorDescription,
    pub linear: bool,
}

impl<'r> Frame<'r> {
    /// Draws with any pipeline built for the output render pass, with its own typed push
    /// constants, descriptor sets and instances, in order with the frame's other draws.
    pub fn draw<Pl>(
        &mut self,
        pipeline: &'r Pl,
        push: Pl::Push,
        sets: Pl::Sets<'r>,
        instances: &[Pl::Instance],
    ) -> Result<()>
    where
        Pl: Pipeline<Pass = passes::Output, Vertex = ()>,
        Pl::Sets<'r>: 'r,
    {
        let instances = instances.to_vec();
        self.push_custom(Box::new(move |pass, _| {
            pass.draw(pipeline, &push, sets, &instances)
        }));
        Ok(())
    }

    /// [`Frame::draw`] limited to `damage`: drawn once per damage rectangle under a scissor
    /// of it, so nothing outside the damage changes whatever the shaders write, as with
    /// the frame's own draws. The rectangles are target pixels, like the pipeline's
    /// instances ([`Frame::quad`] and [`Frame::target_rects`] turn output rectangles into
    /// them); none draws nothing.
    pub fn draw_damaged<Pl>(
        &mut self,
        pipeline: &'r Pl,
        push: Pl::Push,
        sets: Pl::Sets<'r>,
        instances: &[Pl::Instance],
        damage: &[Rect],
    ) -> Result<()>
    where
        Pl: Pipeline<Pass = passes::Output, Vertex = ()>,
        Pl::Sets<'r>: 'r,
    {
        let rects = non_empty(damage);
        if rects.is_empty() {
            return Ok(());
        }
        let instances = instances.to_vec();
        self.push_custom(Box::new(move |pass, _| {
            pass.draw_clipped(pipeline, &push, sets, &instances, &rects)
        }));
        Ok(())
    }

    /// [`Frame::draw_damaged`] owning what it draws with: the pipeline, and `resources`
    /// (textures in `Arc`s, samplers, buffers) from which `sets` makes the pipeline's typed
    /// descriptor sets when the frame records. The frame keeps both until its GPU work is
    /// done, so the caller may drop its own handles at once.
    ///
    /// ```ignore
    /// frame.draw_owned(pipeline.clone(), push, (texture.clone(), sampler.clone()),
    ///     |(tex, samp)| shaders::Sets { tex, samp }, &instances, &damage)?;
    /// ```
    #[allow(clippy::too_many_arguments)] // a draw's five parts, the sets in two
    pub fn draw_owned<Pl, R>(
        &mut self,
        pipeline: Arc<Pl>,
        push: Pl::Push,
        resources: R,
        sets: for<'a> fn(&'a R) -> Pl::Sets<'a>,
        instances: &[Pl::Instance],
        damage: &[Rect],
    ) -> Result<()>
    where
        Pl: Pipeline<Pass = passes::Output, Vertex = ()> + Send + Sync + 'static,
        R: Send + Sync + 'static,
    {
        let rects = non_empty(damage);
        if rects.is_empty() {
            return Ok(());
        }
        let resources = Arc::new(resources);
        self.kept
            .push(Box::new((pipeline.clone(), resources.clone())));
        let instances = instances.to_vec();
        self.push_custom(Box::new(move |pass, _| {
            pass.draw_clipped(&*pipeline, &push, sets(&resources), &instances, &rects)
        }));
        Ok(())
    }

    /// The most general custom draw: `draw` records into the pass when the frame is
    /// finished, told the pass's format, size and colour encoding ([`PassInfo`]), so it
    /// picks a pipeline built for that format and gives its shaders colours in that
    /// encoding — on the single-pass path and on the linear path alike (where the other
    /// custom draws, built for the target, are refused). It owns what it uses; what the
    /// GPU reads (textures, pipelines) it also gives to [`Frame::keep`].
    pub fn draw_with(
        &mut self,
        draw: impl FnOnce(&mut PassRecorder<'_, passes::Output>, &PassInfo) -> Result<()> + 'r,
    ) {
        self.push_custom(Box::new(draw));
    }

    /// Keeps `value` (pipelines, textures a custom draw reads) until the frame's GPU work
    /// is done.
    pub fn keep(&mut self, value: impl Any + Send) {
        self.kept.push(Box::new(value));
    }

    /// The quad a custom pipeline draws over `dst` (output pixels), in target pixels with
    /// the frame's transform applied: `dst` for the instance, and in `uv_offset` and
    /// `uv_axes` the coordinates `local` (x, y, width, height) spans across `dst`, at the
    /// same output points whatever the transform. The same shape as vkcompose's own
    /// textured quads (`shaders/quad.vert`), so a pipeline with that vertex stage draws
    /// anything in its own coordinates: a window's pixels for a border or a shadow.
    pub fn quad(&self, dst: Rect, local: RectF) -> Quad {
        let [u, v] = [local.x, local.y];
        let logical = geometry::instance_from_corners(
            dst.to_f32(),
            [[u, v], [u + local.w, v], [u, v + local.h]],
            1.0,
        );
        self.to_target_quad(&logical)
    }

    /// The attachment format of the pass draws go into now (the target's, or an offscreen
    /// group's): custom pipelines are built for a render pass of this format. (Frames on
    /// the linear path draw into their blend buffer instead; a custom draw built for the
    /// target then fails with a typed error when the frame is finished.)
    pub fn format(&self) -> ash::vk::Format {
        self.target().format()
    }

    /// The size in pixels of the pass draws go into now (the target's, or an offscreen
    /// group's), untransformed: what the quad shaders' `target_size` is.
    pub fn target_size(&self) -> [f32; 2] {
        [self.target().width() as f32, self.target().height() as f32]
    }

    /// Output rectangles (damage, say) in target pixels, clipped to the output.
    pub fn target_rects(&self, rects: &[Rect]) -> Vec<Rect> {
        self.to_target_rects(rects)
    }

    /// Queues a custom draw in order with the frame's other draws.
    pub(super) fn push_custom(&mut self, draw: CustomDraw<'r>) {
        self.customs.push(Some(draw));
        let index = self.customs.len() - 1;
        self.ops().push(Op::Custom(index));
    }
}

fn non_empty(rects: &[Rect]) -> Vec<Rect> {
    rects.iter().filter(|r| !r.is_empty()).copied().collect()
}

/// Drops what the frame's owned draws used once its work (`point`) is done.
pub(super) fn keep_until(submitter: &Submitter, kept: Vec<Kept>, point: u64) {
    if !kept.is_empty() {
        submitter
            .graveyard()
            .bury(point, Box::new(move || drop(kept)));
    }
}
