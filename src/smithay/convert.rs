//! Smithay's geometry, colour and filter types in vkcompose's terms.

use smithay::backend::allocator::format::FormatSet;
use smithay::backend::allocator::Format;
use smithay::backend::renderer::{Color32F, TextureFilter};
use smithay::utils::{Buffer, Physical, Point, Rectangle, Transform as SmithayTransform};

use crate::geometry::{Rect, RectF, Transform};
use crate::resources::sampler::Filter;

pub(super) fn filter(filter: TextureFilter) -> Filter {
    match filter {
        TextureFilter::Linear => Filter::Linear,
        TextureFilter::Nearest => Filter::Nearest,
    }
}

/// Both number their transforms like `wl_output.transform`.
fn wayland_number(transform: SmithayTransform) -> u32 {
    match transform {
        SmithayTransform::Normal => 0,
        SmithayTransform::_90 => 1,
        SmithayTransform::_180 => 2,
        SmithayTransform::_270 => 3,
        SmithayTransform::Flipped => 4,
        SmithayTransform::Flipped90 => 5,
        SmithayTransform::Flipped180 => 6,
        SmithayTransform::Flipped270 => 7,
    }
}

/// An output transform. Smithay turns outputs clockwise (as Pixman's and the GLES
/// renderer's matrices do) where vkcompose turns its target's content counter-clockwise:
/// the same transform with the turn reversed, the mirroring kept.
pub(super) fn transform(transform: SmithayTransform) -> Transform {
    let n = wayland_number(transform);
    let reversed = (n & 4) | ((4 - (n & 3)) & 3);
    Transform::from_wayland(reversed).unwrap_or_default()
}

fn wayland(transform: SmithayTransform) -> Transform {
    Transform::from_wayland(wayland_number(transform)).unwrap_or_default()
}

/// A texture's `src_transform` is the buffer transform the client applied; it is shown
/// with the inverse.
pub(super) fn buffer_transform(transform: SmithayTransform) -> Transform {
    wayland(transform).invert()
}

pub(super) fn rect<K>(rect: Rectangle<i32, K>) -> Rect {
    Rect::new(rect.loc.x, rect.loc.y, rect.size.w, rect.size.h)
}

pub(super) fn rect_f(rect: Rectangle<f64, Buffer>) -> RectF {
    RectF::new(rect.loc.x, rect.loc.y, rect.size.w, rect.size.h)
}

/// Rectangles given relative to `origin` (Smithay's damage and opaque regions are relative
/// to the destination), in output space.
pub(super) fn offset_rects(
    rects: &[Rectangle<i32, Physical>],
    origin: Point<i32, Physical>,
) -> Vec<Rect> {
    rects
        .iter()
        .map(|r| {
            Rect::new(
                r.loc.x.saturating_add(origin.x),
                r.loc.y.saturating_add(origin.y),
                r.size.w,
                r.size.h,
            )
        })
        .collect()
}

pub(super) fn rects(rects: &[Rectangle<i32, Physical>]) -> Vec<Rect> {
    rects.iter().copied().map(rect).collect()
}

/// Premultiplied, as both use it.
pub(super) fn color(color: Color32F) -> [f32; 4] {
    color.components()
}

/// Whether showing `src` in `dst` (after `transform`) enlarges it on either axis.
pub(super) fn scales_up(src: &RectF, dst: &Rect, transform: Transform) -> bool {
    let (w, h) = if transform.swaps_axes() {
        (src.h, src.w)
    } else {
        (src.w, src.h)
    };
    f64::from(dst.w) > w.abs() || f64::from(dst.h) > h.abs()
}

/// (format, modifiers) pairs as Smithay's set.
pub(super) fn format_set(
    pairs: impl IntoIterator<Item = (crate::format::DrmFourcc, Vec<crate::dmabuf::Modifier>)>,
) -> FormatSet {
    pairs
        .into_iter()
        .flat_map(|(code, modifiers)| {
            modifiers.into_iter().map(move |m| Format {
                code,
                modifier: m.0.into(),
            })
        })
        .collect()
}

/// A size Smithay gives as `i32`, refused when negative.
pub(super) fn dimension(value: i32) -> crate::error::Result<u32> {
    u32::try_from(value)
        .map_err(|_| crate::error::Error::InvalidArgument(format!("negative size {value}")))
}
