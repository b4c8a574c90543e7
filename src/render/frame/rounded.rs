//! Textures drawn with rounded corners (`Frame::render_texture_rounded`): what most
//! compositors do to windows. The corners are a mask of the decoding shader
//! (`shaders/texture_decode.wgsl`), anti-aliased by each pixel's exact area inside the
//! rounded rectangle, so the draw works the same on the single-pass path (through the
//! identity decode) and on the linear path (decoding the texture's transfer function).

use std::sync::Arc;

use super::{clip_all, instances_within, Frame, Op, Src, TextureDraw};
use crate::error::{Error, Result};
use crate::geometry::CornerRadii;
use crate::resources::sampler::Filter;
use crate::resources::texture::Texture;
use crate::shaders::texture;

/// A rounded-rectangle mask of the decoding shader: the clip rectangle (target pixels) and
/// the radii of its corners as they lie on the target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Mask {
    pub clip: [f32; 4],
    pub radii: [f32; 4],
}

/// The mask fields of draws without one: their shader variants do not read them.
pub(super) const NO_MASK: Mask = Mask {
    clip: [0.0; 4],
    radii: [0.0; 4],
};

/// Quads of one texture under one rounded mask.
pub(super) struct RoundedOp<'f> {
    pub texture: Src<'f>,
    pub filter: Filter,
    /// The quads, in target pixels, one per damaged piece.
    pub instances: Vec<texture::Instance>,
    pub mask: Mask,
}

impl<'r> Frame<'r> {
    /// [`Frame::render_texture_from_to`] with the corners of `draw.dst` rounded by
    /// `corners` (output pixels; each at most half the shorter side). Edges are
    /// anti-aliased by area; the draw always blends (its corners are translucent), and
    /// `draw.opaque` is ignored. YUV textures are refused
    /// (`InvalidArgument`; draw them into an offscreen group and round that).
    pub fn render_texture_rounded(
        &mut self,
        texture: &'r Texture,
        draw: &TextureDraw<'_>,
        corners: CornerRadii,
    ) -> Result<()> {
        self.draw_rounded(Src::Borrowed(texture), draw, corners)
    }

    /// [`Frame::render_texture_rounded`] for a texture the frame shares ownership of.
    #[cfg_attr(not(feature = "smithay"), allow(dead_code))] // used by the Smithay frame
    pub(crate) fn render_shared_rounded(
        &mut self,
        texture: Arc<Texture>,
        draw: &TextureDraw<'_>,
        corners: CornerRadii,
    ) -> Result<()> {
        self.draw_rounded(Src::Shared(texture), draw, corners)
    }

    fn draw_rounded(
        &mut self,
        texture: Src<'r>,
        draw: &TextureDraw<'_>,
        corners: CornerRadii,
    ) -> Result<()> {
        self.renderer.check_draw_source(&texture, &draw.src)?;
        check(draw, corners)?;
        if texture.ycbcr().is_some() {
            return Err(Error::InvalidArgument(
                "rounded corners on a YUV texture: draw it into an offscreen group first".into(),
            ));
        }
        let visible = clip_all(draw.damage, draw.dst);
        if visible.is_empty() || draw.alpha == 0.0 {
            return Ok(());
        }
        let filter = self.usable_filter(&texture, draw.filter);
        let full = self.target_instance(&texture, draw);
        let instances = instances_within(&full, &self.to_target_rects(&visible));
        let mask = Mask {
            clip: self.to_target_rect(draw.dst).to_f32(),
            radii: corners.on_target(self.transform()),
        };
        self.ops().push(Op::Rounded(Box::new(RoundedOp {
            texture,
            filter,
            instances,
            mask,
        })));
        Ok(())
    }
}

fn check(draw: &TextureDraw<'_>, corners: CornerRadii) -> Result<()> {
    if !(0.0..=1.0).contains(&draw.alpha) {
        return Err(Error::InvalidArgument(format!(
            "alpha {} is outside 0..=1",
            draw.alpha
        )));
    }
    if corners
        .to_array()
        .iter()
        .any(|r| !(r.is_finite() && *r >= 0.0))
    {
        return Err(Error::InvalidArgument(format!(
            "corner radii {corners:?} must be finite and not negative"
        )));
    }
    Ok(())
}
