//! Passes in a frame: offscreen groups (a sub-frame drawing into a pooled texture, which
//! later draws of the same frame sample scaled, turned, faded or cropped) and captures of
//! what the target holds at that point of the frame (for effects that sample what is
//! behind). Each starts a new pass of the frame, recorded in order; the textures come from
//! the renderer's pool and go back to it after the frame, so steady frames create none.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use ash::vk;

use super::{Frame, Op, Segment, Src, TextureDraw};
use crate::error::{Error, Result};
use crate::geometry::{Rect, Transform};
use crate::render::drawing::PoolKey;
use crate::resources::format::DrmFourcc;
use crate::resources::texture::Texture;

/// A texture one of a frame's passes made: an ended offscreen group or a capture. Draw it
/// with [`Frame::draw_pass_texture`] in the same frame; another frame refuses it.
#[derive(Clone)]
pub struct PassTexture {
    texture: Arc<Texture>,
    serial: u64,
    transform: Transform,
}

impl std::fmt::Debug for PassTexture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PassTexture")
            .field("width", &self.width())
            .field("height", &self.height())
            .field("transform", &self.transform)
            .finish()
    }
}

impl PassTexture {
    pub fn width(&self) -> u32 {
        self.texture.width()
    }

    pub fn height(&self) -> u32 {
        self.texture.height()
    }

    /// The buffer transform that shows the texture upright in the frame's output: normal
    /// for offscreen groups; for a capture, the frame's transform (a capture holds the
    /// target's pixels, which are the output turned back).
    pub fn transform(&self) -> Transform {
        self.transform
    }

    pub(crate) fn texture(&self) -> &Arc<Texture> {
        &self.texture
    }
}

/// An offscreen group: while it lives, every draw of the frame (through `Deref`) goes into
/// its pooled texture. [`Offscreen::end`] gives the texture for later draws; dropping the
/// group without ending it discards what it drew.
pub struct Offscreen<'a, 'r> {
    frame: &'a mut Frame<'r>,
    texture: Option<Arc<Texture>>,
}

impl<'r> Deref for Offscreen<'_, 'r> {
    type Target = Frame<'r>;
    fn deref(&self) -> &Frame<'r> {
        self.frame
    }
}

impl<'r> DerefMut for Offscreen<'_, 'r> {
    fn deref_mut(&mut self) -> &mut Frame<'r> {
        self.frame
    }
}

impl Offscreen<'_, '_> {
    /// Ends the group: drawing goes back to the frame's target (or the enclosing group),
    /// and the texture holds what the group drew.
    pub fn end(mut self) -> PassTexture {
        let texture = self.texture.take().expect("taken only here or in drop");
        self.frame.resume_outer();
        PassTexture {
            texture,
            serial: self.frame.serial,
            transform: Transform::Normal,
        }
    }
}

impl Drop for Offscreen<'_, '_> {
    fn drop(&mut self) {
        if self.texture.take().is_some() {
            self.frame.resume_outer();
        }
    }
}

impl<'r> Frame<'r> {
    /// Begins an offscreen group: a `width`x`height` texture of `fourcc` (a format the
    /// device renders into), cleared to `clear` (premultiplied; transparent is
    /// `[0.0; 4]`), that every draw goes into until the group ends. Its output is
    /// untransformed.
    pub fn offscreen(
        &mut self,
        width: u32,
        height: u32,
        fourcc: DrmFourcc,
        clear: [f32; 4],
    ) -> Result<Offscreen<'_, 'r>> {
        let texture = self.start_group(width, height, fourcc, clear)?;
        Ok(Offscreen {
            frame: self,
            texture: Some(texture),
        })
    }

    /// Begins an offscreen group that [`Frame::end_group`] ends: for callers that cannot
    /// hold an [`Offscreen`] (Smithay's render elements draw through their own frame).
    #[cfg_attr(not(feature = "smithay"), allow(dead_code))] // used by the Smithay frame
    pub(crate) fn begin_group(
        &mut self,
        width: u32,
        height: u32,
        fourcc: DrmFourcc,
        clear: [f32; 4],
    ) -> Result<()> {
        let texture = self.start_group(width, height, fourcc, clear)?;
        self.groups.push(texture);
        Ok(())
    }

    /// Ends the innermost group [`Frame::begin_group`] began.
    #[cfg_attr(not(feature = "smithay"), allow(dead_code))] // used by the Smithay frame
    pub(crate) fn end_group(&mut self) -> Result<PassTexture> {
        let texture = self
            .groups
            .pop()
            .ok_or_else(|| Error::InvalidArgument("no offscreen group was begun".into()))?;
        self.resume_outer();
        Ok(PassTexture {
            texture,
            serial: self.serial,
            transform: Transform::Normal,
        })
    }

    /// The pooled texture of a new group, now drawn into (cleared to `clear`).
    fn start_group(
        &mut self,
        width: u32,
        height: u32,
        fourcc: DrmFourcc,
        clear: [f32; 4],
    ) -> Result<Arc<Texture>> {
        let gpu = self.renderer.gpu();
        gpu.check_size(width, height)?;
        let info = gpu.target_format(fourcc)?;
        let key = PoolKey {
            width,
            height,
            format: info.vk,
            fourcc: Some(fourcc),
            has_alpha: true,
        };
        let texture = self.take_pooled(key)?;
        self.begin_pass_into(texture.clone(), Transform::Normal);
        let whole = Rect::new(0, 0, width as i32, height as i32);
        self.ops().push(Op::Clear {
            color: clear,
            rects: vec![whole],
        });
        Ok(texture)
    }

    /// A texture of what the current target holds in `region` (output pixels) at this
    /// point of the frame, earlier draws included. The region must lie inside the output
    /// and the target must be readable (`TRANSFER_SRC`).
    pub fn capture(&mut self, region: Rect) -> Result<PassTexture> {
        let (w, h) = self.output_size();
        if region.is_empty() || region.intersect(&Rect::new(0, 0, w, h)) != Some(region) {
            return Err(Error::InvalidArgument(format!(
                "capture region {region:?} is not inside the {w}x{h} output"
            )));
        }
        self.target()
            .require_usage(vk::ImageUsageFlags::TRANSFER_SRC, "a captured target")?;
        let target_rect = self.to_target_rect(region);
        let target = self.target();
        let key = PoolKey {
            width: target_rect.w as u32,
            height: target_rect.h as u32,
            format: target.format(),
            fourcc: target.fourcc(),
            has_alpha: target.has_alpha(),
        };
        let texture = self.take_pooled(key)?;
        self.ops().push(Op::Capture {
            region: target_rect,
            into: texture.clone(),
        });
        Ok(PassTexture {
            texture,
            serial: self.serial,
            transform: self.transform(),
        })
    }

    /// Draws a texture one of this frame's passes made, like
    /// [`Frame::render_texture_from_to`]. A texture of another frame is an error.
    pub fn draw_pass_texture(
        &mut self,
        texture: &PassTexture,
        draw: &TextureDraw<'_>,
    ) -> Result<()> {
        if texture.serial != self.serial {
            return Err(Error::InvalidArgument(
                "a texture of another frame's pass (offscreen group or capture) is used only in that frame".into(),
            ));
        }
        self.draw_source(Src::Shared(texture.texture.clone()), draw)
    }

    /// A pooled texture for this frame, given back to the pool after it.
    pub(crate) fn take_pooled(&mut self, key: PoolKey) -> Result<Arc<Texture>> {
        let owner = self.renderer.id();
        let texture = self.renderer.frame_parts().1.take_pooled(key, owner)?;
        // Drawn in the target's encoding (a capture on the linear path is re-described).
        texture.set_color_description(self.segments[0].target.color_description())?;
        self.pooled.push(texture.clone());
        Ok(texture)
    }

    /// Starts a pass drawing into `texture`; the current target resumes after it
    /// ([`Frame::resume_outer`]).
    pub(crate) fn begin_pass_into(&mut self, texture: Arc<Texture>, transform: Transform) {
        let segment = self.segment();
        self.outer.push((segment.target.clone(), segment.transform));
        self.segments.push(Segment {
            target: Src::Shared(texture),
            transform,
            ops: Vec::new(),
        });
    }

    /// Goes back to drawing into the target the innermost pass interrupted.
    pub(crate) fn resume_outer(&mut self) {
        let (target, transform) = self.outer.pop().expect("a pass was begun into");
        self.segments.push(Segment {
            target,
            transform,
            ops: Vec::new(),
        });
    }
}
