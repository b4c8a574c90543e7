//! Smithay's `Frame`: draws are recorded as they come and submitted together, in order,
//! as one vkcompose frame when Smithay finishes (or drops) it.

use std::marker::PhantomData;
use std::sync::{Arc, Once};

use smithay::backend::renderer::sync::SyncPoint;
use smithay::backend::renderer::{Color32F, ContextId, DebugFlags, Frame};
use smithay::utils::{Buffer, Physical, Rectangle, Transform as SmithayTransform};

use super::convert;
use super::fence::{self, VulkanFence};
use super::texture::{VulkanFramebuffer, VulkanTexture};
use super::VulkanRenderer;
use crate::core::sync::{Semaphore, SyncFile};
use crate::error::{Error, Result};
use crate::geometry::{Rect, RectF, Transform};
use crate::render::frame::TextureDraw;
use crate::resources::sampler::Filter;
use crate::resources::texture::Texture;

static NO_FD: Once = Once::new();
static NO_IMPORT: Once = Once::new();

/// `DebugFlags::TINT`'s colour, premultiplied, laid over what was drawn: the same result
/// as tinting the texels before blending (`0.8 * colour + tint`).
const TINT: [f32; 4] = [0.0, 0.2, 0.0, 0.2];

/// One draw, kept until the frame is submitted.
enum Recorded {
    Clear {
        color: [f32; 4],
        rects: Vec<Rect>,
    },
    Solid {
        dst: Rect,
        damage: Vec<Rect>,
        color: [f32; 4],
    },
    Texture {
        texture: Arc<Texture>,
        src: RectF,
        dst: Rect,
        damage: Vec<Rect>,
        opaque: Vec<Rect>,
        transform: Transform,
        alpha: f32,
        filter: Filter,
    },
}

/// A frame on a bound framebuffer.
pub struct VulkanFrame<'frame, 'buffer> {
    renderer: &'frame mut VulkanRenderer,
    target: Arc<Texture>,
    transform: SmithayTransform,
    ops: Vec<Recorded>,
    /// Foreign fences imported for the GPU to wait on (semaphores of the renderer's pool),
    /// handed to the vkcompose frame when it is submitted.
    waits: Vec<Semaphore>,
    submitted: bool,
    _framebuffer: PhantomData<&'frame mut VulkanFramebuffer<'buffer>>,
}

impl<'frame, 'buffer> VulkanFrame<'frame, 'buffer> {
    pub(super) fn new(
        renderer: &'frame mut VulkanRenderer,
        framebuffer: &'frame mut VulkanFramebuffer<'buffer>,
        transform: SmithayTransform,
    ) -> VulkanFrame<'frame, 'buffer> {
        VulkanFrame {
            renderer,
            target: framebuffer.texture().clone(),
            transform,
            ops: Vec::new(),
            waits: Vec::new(),
            submitted: false,
            _framebuffer: PhantomData,
        }
    }

    fn tinted(&self) -> bool {
        self.renderer.debug.contains(DebugFlags::TINT)
    }

    /// Records and submits everything drawn, once.
    fn submit(&mut self) -> Result<SyncPoint> {
        self.submitted = true;
        let ops = std::mem::take(&mut self.ops);
        // Dropped unwaited when the frame fails before its submission: their imports
        // then never reach a queue, and destroying them is all that is left to do.
        let waits = std::mem::take(&mut self.waits);
        let target = self.target.clone();
        let renderer = &mut self.renderer.renderer;
        let export = renderer.device().capabilities().sync_file.export;
        let mut frame = renderer.render(&target, convert::transform(self.transform))?;
        for op in &ops {
            replay(&mut frame, op)?;
        }
        for semaphore in waits {
            frame.wait_imported(semaphore);
        }
        let (point, sync_file) = if export {
            let (point, file) = frame.finish_with_sync_file()?;
            (point, Some(file))
        } else {
            (frame.finish()?, None)
        };
        Ok(SyncPoint::from(VulkanFence::new(point, sync_file)))
    }
}

fn replay<'r>(frame: &mut crate::Frame<'r>, op: &'r Recorded) -> Result<()> {
    match op {
        Recorded::Clear { color, rects } => frame.clear(*color, rects),
        Recorded::Solid { dst, damage, color } => frame.draw_solid(*dst, damage, *color),
        Recorded::Texture {
            texture,
            src,
            dst,
            damage,
            opaque,
            transform,
            alpha,
            filter,
        } => frame.render_texture_from_to(
            texture,
            &TextureDraw {
                src: *src,
                dst: *dst,
                damage,
                opaque,
                transform: *transform,
                alpha: *alpha,
                filter: *filter,
            },
        ),
    }
}

impl Frame for VulkanFrame<'_, '_> {
    type Error = Error;
    type TextureId = VulkanTexture;

    fn context_id(&self) -> ContextId<VulkanTexture> {
        self.renderer.context.clone()
    }

    fn clear(&mut self, color: Color32F, at: &[Rectangle<i32, Physical>]) -> Result<()> {
        self.ops.push(Recorded::Clear {
            color: convert::color(color),
            rects: convert::rects(at),
        });
        Ok(())
    }

    fn draw_solid(
        &mut self,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
        color: Color32F,
    ) -> Result<()> {
        let damage = convert::offset_rects(damage, dst.loc);
        let dst = convert::rect(dst);
        if self.tinted() {
            self.ops.push(Recorded::Solid {
                dst,
                damage: damage.clone(),
                color: convert::color(color),
            });
            self.ops.push(Recorded::Solid {
                dst,
                damage,
                color: TINT,
            });
        } else {
            self.ops.push(Recorded::Solid {
                dst,
                damage,
                color: convert::color(color),
            });
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
        let src = convert::rect_f(src);
        // Refused here rather than when the frame is submitted, so the error points at
        // the draw.
        self.renderer
            .renderer
            .check_draw_source(texture.texture(), &src)?;
        let transform = convert::buffer_transform(src_transform);
        let damage = convert::offset_rects(damage, dst.loc);
        let dst_rect = convert::rect(dst);
        let filter = self
            .renderer
            .filter_for(convert::scales_up(&src, &dst_rect, transform));
        let tint = self.tinted().then(|| damage.clone());
        self.ops.push(Recorded::Texture {
            texture: texture.texture().clone(),
            src,
            dst: dst_rect,
            damage,
            opaque: convert::offset_rects(opaque_regions, dst.loc),
            transform,
            // Smithay's alpha is a multiplier; rounding in callers may leave it a hair
            // outside 0..=1.
            alpha: alpha.clamp(0.0, 1.0),
            filter,
        });
        if let Some(damage) = tint {
            self.ops.push(Recorded::Solid {
                dst: dst_rect,
                damage,
                color: TINT,
            });
        }
        Ok(())
    }

    fn transformation(&self) -> SmithayTransform {
        self.transform
    }

    fn wait(&mut self, sync: &SyncPoint) -> Result<()> {
        // This renderer's own points are ordered by its queue already, and a fence that
        // has signalled needs no wait.
        let own = sync
            .get::<VulkanFence>()
            .is_some_and(|f| f.point().belongs_to(&self.renderer.renderer));
        if own || sync.is_reached() {
            return Ok(());
        }
        // Anything else becomes a wait of the frame's submission where its sync_file can
        // be imported, so that neither this call nor `finish` blocks on it.
        let renderer = &mut self.renderer.renderer;
        if renderer.device().capabilities().sync_file.import {
            if let Some(fd) = sync.export() {
                let semaphore = renderer.import_sync_file(SyncFile::from_fd(fd))?;
                self.waits.push(semaphore);
                return Ok(());
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
        if !self.submitted {
            if let Err(e) = self.submit() {
                tracing::warn!("submitting a dropped frame: {e}");
            }
        }
    }
}
