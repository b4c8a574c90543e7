//! Geometry for the quad pipelines: integer rectangles for targets and damage, the eight
//! Wayland transforms, and the per-instance data that draws a cropped, scaled and
//! transformed buffer into a rectangle, clipped to damage.
//!
//! Everything here is plain arithmetic; nothing touches Vulkan.

/// A textured quad: where it goes (`dst`: x, y, width, height in target pixels) and the
/// texture coordinate at its top-left corner and across its width and height. The shape
/// of the textured pipelines' instance data, which the render layer converts it into.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Quad {
    pub dst: [f32; 4],
    pub uv_offset: [f32; 2],
    /// How the coordinate changes across the quad: xy over its width, zw over its height.
    pub uv_axes: [f32; 4],
    pub alpha: f32,
}

/// An integer rectangle in target pixels (a destination, a damage rectangle).
///
/// It covers the pixels `x..x + w` by `y..y + h`, and is empty when `w` or `h` is zero or
/// negative. Edges are computed in `i64`, so no size makes the methods overflow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rect {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width; the rectangle is empty when it is zero or negative.
    pub w: i32,
    /// Height; the rectangle is empty when it is zero or negative.
    pub h: i32,
}

impl Rect {
    /// The rectangle with top-left corner `(x, y)` and size `w` by `h`.
    pub const fn new(x: i32, y: i32, w: i32, h: i32) -> Rect {
        Rect { x, y, w, h }
    }

    /// Whether the rectangle covers no pixel.
    pub const fn is_empty(&self) -> bool {
        self.w <= 0 || self.h <= 0
    }

    /// The right edge, `x + w`, saturated at `i32::MAX`.
    pub fn right(&self) -> i32 {
        saturate(self.right_i64())
    }

    /// The bottom edge, `y + h`, saturated at `i32::MAX`.
    pub fn bottom(&self) -> i32 {
        saturate(self.bottom_i64())
    }

    /// The pixels both rectangles cover, or `None` when they share none (rectangles that
    /// only touch along an edge share none).
    pub fn intersect(&self, other: &Rect) -> Option<Rect> {
        if self.is_empty() || other.is_empty() {
            return None;
        }
        let x = self.x.max(other.x);
        let y = self.y.max(other.y);
        let right = self.right_i64().min(other.right_i64());
        let bottom = self.bottom_i64().min(other.bottom_i64());
        if right <= i64::from(x) || bottom <= i64::from(y) {
            return None;
        }
        // The intersection is no larger than either rectangle, so its size fits in i32.
        let w = i32::try_from(right - i64::from(x)).ok()?;
        let h = i32::try_from(bottom - i64::from(y)).ok()?;
        Some(Rect::new(x, y, w, h))
    }

    /// Whether every pixel of `other` is in `self`. An empty `other` has no pixels, so it
    /// is contained in every rectangle.
    pub fn contains_rect(&self, other: &Rect) -> bool {
        if other.is_empty() {
            return true;
        }
        !self.is_empty()
            && self.x <= other.x
            && self.y <= other.y
            && self.right_i64() >= other.right_i64()
            && self.bottom_i64() >= other.bottom_i64()
    }

    fn right_i64(&self) -> i64 {
        i64::from(self.x) + i64::from(self.w)
    }

    fn bottom_i64(&self) -> i64 {
        i64::from(self.y) + i64::from(self.h)
    }

    pub(crate) fn to_f32(self) -> [f32; 4] {
        [self.x as f32, self.y as f32, self.w as f32, self.h as f32]
    }
}

fn saturate(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(if value < 0 { i32::MIN } else { i32::MAX })
}

/// A rectangle in buffer coordinates, in pixels: the part of a buffer a texture draw shows
/// (`wp_viewport`'s source rectangle, or the whole buffer). Fractional like Smithay's.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RectF {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl RectF {
    /// The rectangle with top-left corner `(x, y)` and size `w` by `h`.
    pub const fn new(x: f64, y: f64, w: f64, h: f64) -> RectF {
        RectF { x, y, w, h }
    }
}

/// How the (cropped) buffer content is turned before it is shown, numbered like
/// `wl_output.transform`.
///
/// `RotateN` turns the content N degrees counter-clockwise as shown. `Flipped` mirrors it
/// around the vertical axis (left and right swap), and `FlippedN` mirrors first, then turns
/// N degrees counter-clockwise. So with `Rotate90` the source's top-right corner shows at
/// the destination's top-left, and its right column becomes the top row.
///
/// `wl_surface.set_buffer_transform` names the transform the client already applied, and
/// the compositor shows the buffer with the inverse: draw such a surface with
/// `Transform::from_wayland(buffer_transform)?.invert()` (composed with the output's own
/// transform where it has one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Transform {
    /// Shown as is.
    #[default]
    Normal = 0,
    /// Turned 90 degrees counter-clockwise.
    Rotate90 = 1,
    /// Turned 180 degrees.
    Rotate180 = 2,
    /// Turned 270 degrees counter-clockwise (90 clockwise).
    Rotate270 = 3,
    /// Mirrored left to right.
    Flipped = 4,
    /// Mirrored left to right, then turned 90 degrees counter-clockwise.
    Flipped90 = 5,
    /// Mirrored left to right, then turned 180 degrees.
    Flipped180 = 6,
    /// Mirrored left to right, then turned 270 degrees counter-clockwise.
    Flipped270 = 7,
}

impl Transform {
    /// All eight transforms, in `wl_output.transform` order.
    pub const ALL: [Transform; 8] = [
        Transform::Normal,
        Transform::Rotate90,
        Transform::Rotate180,
        Transform::Rotate270,
        Transform::Flipped,
        Transform::Flipped90,
        Transform::Flipped180,
        Transform::Flipped270,
    ];

    /// The transform with `wl_output.transform` value `value` (0..=7), or `None` for any
    /// other value.
    pub fn from_wayland(value: u32) -> Option<Transform> {
        let index = usize::try_from(value).ok()?;
        Transform::ALL.get(index).copied()
    }

    /// The `wl_output.transform` value, 0..=7.
    pub fn to_wayland(self) -> u32 {
        self as u32
    }

    /// Whether the shown image is the source turned a quarter: its width spans the
    /// source's height, so a destination of the source's aspect has width and height
    /// swapped.
    pub fn swaps_axes(self) -> bool {
        self.quarter_turns() % 2 == 1
    }

    /// The transform that undoes this one. Only the two quarter turns differ from their
    /// inverse: every flipped transform is a mirror, which undoes itself.
    pub fn invert(self) -> Transform {
        match self {
            Transform::Rotate90 => Transform::Rotate270,
            Transform::Rotate270 => Transform::Rotate90,
            other => other,
        }
    }

    /// The point of the source image (unit coordinates across the source rectangle, y
    /// down) that shows at `display` (unit coordinates across the destination, y down).
    ///
    /// With `d = display`, the rotations give `Normal (dx, dy)`, `Rotate90 (1-dy, dx)`,
    /// `Rotate180 (1-dx, 1-dy)` and `Rotate270 (dy, 1-dx)`; a flipped transform takes its
    /// rotation's point and mirrors x (`sx -> 1-sx`), because the mirror came first.
    pub fn source_point(self, display: [f64; 2]) -> [f64; 2] {
        let [dx, dy] = display;
        let [sx, sy] = match self.quarter_turns() {
            0 => [dx, dy],
            1 => [1.0 - dy, dx],
            2 => [1.0 - dx, 1.0 - dy],
            _ => [dy, 1.0 - dx],
        };
        if self.is_flipped() {
            [1.0 - sx, sy]
        } else {
            [sx, sy]
        }
    }

    /// Counter-clockwise quarter turns after the optional mirror.
    fn quarter_turns(self) -> u32 {
        self.to_wayland() % 4
    }

    fn is_flipped(self) -> bool {
        self.to_wayland() >= 4
    }
}

/// The corner radii of a rounded rectangle, in pixels (`Frame::render_texture_rounded`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CornerRadii {
    pub top_left: f32,
    pub top_right: f32,
    pub bottom_right: f32,
    pub bottom_left: f32,
}

impl CornerRadii {
    /// The same radius at every corner.
    pub fn all(radius: f32) -> CornerRadii {
        CornerRadii {
            top_left: radius,
            top_right: radius,
            bottom_right: radius,
            bottom_left: radius,
        }
    }

    /// In order top-left, top-right, bottom-right, bottom-left.
    pub fn to_array(self) -> [f32; 4] {
        [
            self.top_left,
            self.top_right,
            self.bottom_right,
            self.bottom_left,
        ]
    }

    /// The radii of output corners as they lie on a target that shows the output turned
    /// by `transform` (a frame's): the target's top-left, top-right, bottom-right and
    /// bottom-left radius.
    pub fn on_target(self, transform: Transform) -> [f32; 4] {
        let forward = transform.invert();
        let corners = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];
        let mut target = [0.0; 4];
        for (corner, radius) in corners.into_iter().zip(self.to_array()) {
            let [u, v] = forward.source_point(corner);
            let index = match (u > 0.5, v > 0.5) {
                (false, false) => 0,
                (true, false) => 1,
                (true, true) => 2,
                (false, true) => 3,
            };
            target[index] = radius;
        }
        target
    }
}

/// The instance drawing `src` (buffer pixels, within a buffer of `buffer_size` = (width,
/// height) pixels) into `dst` (target pixels), turned by `transform`, with opacity `alpha`.
///
/// The sampler uses normalized coordinates, so `uv_offset` and `uv_axes` are divided by
/// `buffer_size`; a zero buffer dimension gives non-finite coordinates, so skip such
/// buffers.
pub fn texture_instance(
    src: RectF,
    buffer_size: (u32, u32),
    dst: Rect,
    transform: Transform,
    alpha: f32,
) -> Quad {
    let (buffer_w, buffer_h) = (f64::from(buffer_size.0), f64::from(buffer_size.1));
    let uv_at = |display: [f64; 2]| {
        let [sx, sy] = transform.source_point(display);
        [
            (src.x + sx * src.w) / buffer_w,
            (src.y + sy * src.h) / buffer_h,
        ]
    };
    // The mapping is affine in the display point, so three points determine it.
    let corners = [uv_at([0.0, 0.0]), uv_at([1.0, 0.0]), uv_at([0.0, 1.0])];
    instance_from_corners(dst.to_f32(), corners, alpha)
}

/// The instance drawing `dst` whose texture coordinates at its top-left, top-right and
/// bottom-left corners are `corners` (the mapping is affine, so three points fix it).
pub fn instance_from_corners(
    dst: [f32; 4],
    [origin, across, down]: [[f64; 2]; 3],
    alpha: f32,
) -> Quad {
    Quad {
        dst,
        uv_offset: [origin[0] as f32, origin[1] as f32],
        uv_axes: [
            (across[0] - origin[0]) as f32,
            (across[1] - origin[1]) as f32,
            (down[0] - origin[0]) as f32,
            (down[1] - origin[1]) as f32,
        ],
        alpha,
    }
}

/// `full` restricted to `clip` (a damage rectangle, say): `dst` becomes their intersection
/// and the texture coordinates are adjusted so every pixel samples exactly what it would in
/// `full`. `None` when they share no area, or `full` has none.
pub fn clip_texture_instance(full: &Quad, clip: Rect) -> Option<Quad> {
    let [x, y, w, h] = full.dst.map(f64::from);
    if clip.is_empty() || !(w > 0.0 && h > 0.0) {
        return None;
    }
    let left = x.max(f64::from(clip.x));
    let top = y.max(f64::from(clip.y));
    let right = (x + w).min(clip.right_i64() as f64);
    let bottom = (y + h).min(clip.bottom_i64() as f64);
    if right <= left || bottom <= top {
        return None;
    }
    // Fractions of the full quad: where the clipped one starts, and how much it spans.
    let (start_x, start_y) = ((left - x) / w, (top - y) / h);
    let (span_x, span_y) = ((right - left) / w, (bottom - top) / h);
    let [offset_u, offset_v] = full.uv_offset.map(f64::from);
    let [across_u, across_v, down_u, down_v] = full.uv_axes.map(f64::from);
    Some(Quad {
        dst: [
            left as f32,
            top as f32,
            (right - left) as f32,
            (bottom - top) as f32,
        ],
        uv_offset: [
            (offset_u + start_x * across_u + start_y * down_u) as f32,
            (offset_v + start_x * across_v + start_y * down_v) as f32,
        ],
        uv_axes: [
            (across_u * span_x) as f32,
            (across_v * span_x) as f32,
            (down_u * span_y) as f32,
            (down_v * span_y) as f32,
        ],
        alpha: full.alpha,
    })
}

/// `full` clipped to each damaged area it overlaps, one instance per piece. Overlapping
/// damage is made [`disjoint`] first, since drawing a pixel twice would blend translucent
/// content twice.
pub fn texture_instances(full: &Quad, damage: &[Rect]) -> Vec<Quad> {
    disjoint(damage)
        .into_iter()
        .filter_map(|piece| clip_texture_instance(full, piece))
        .collect()
}

/// The pieces of (made [`disjoint`]) damage inside `dst`: where a solid fill over `dst`
/// draws.
pub fn damaged_pieces(dst: Rect, damage: &[Rect]) -> Vec<Rect> {
    disjoint(damage)
        .into_iter()
        .filter_map(|piece| piece.intersect(&dst))
        .collect()
}

/// Rectangles that do not overlap and cover exactly the pixels of `rects`, which may
/// overlap. They come in rows, top to bottom and left to right within a row.
///
/// Pixels past `i32::MAX`, which only a rectangle whose edge overflows `i32` reaches, are
/// dropped: no `Rect` could start there.
pub fn disjoint(rects: &[Rect]) -> Vec<Rect> {
    subtract(rects, &[])
}

/// The pixels of `region` that no rectangle of `holes` covers, as rectangles that do not
/// overlap (ordered and limited like [`disjoint`]'s). Either list may overlap itself.
pub fn subtract(region: &[Rect], holes: &[Rect]) -> Vec<Rect> {
    let region = spans_of(region);
    let holes = spans_of(holes);
    let mut edges: Vec<i64> = region
        .iter()
        .chain(&holes)
        .flat_map(|r| [r.top, r.bottom])
        .collect();
    edges.sort_unstable();
    edges.dedup();
    // Every rectangle's edges are band edges, so each rectangle covers a band whole or
    // not at all, and a band's cover is one list of spans.
    let mut rows = Rows::default();
    for band in edges.windows(2) {
        let (top, bottom) = (band[0], band[1]);
        let covered = merged_spans(&region, top, bottom);
        if covered.is_empty() {
            continue;
        }
        let removed = merged_spans(&holes, top, bottom);
        rows.push(Row {
            top,
            bottom,
            spans: subtract_spans(&covered, &removed),
        });
    }
    rows.into_rects()
}

/// A half-open interval `start..end` of pixel columns.
type Span = (i64, i64);

/// A rectangle by its edges, clamped to where a `Rect` can start.
struct Edges {
    left: i64,
    top: i64,
    right: i64,
    bottom: i64,
}

fn spans_of(rects: &[Rect]) -> Vec<Edges> {
    let limit = i64::from(i32::MAX);
    rects
        .iter()
        .filter(|r| !r.is_empty())
        .map(|r| Edges {
            left: i64::from(r.x),
            top: i64::from(r.y),
            right: r.right_i64().min(limit),
            bottom: r.bottom_i64().min(limit),
        })
        .filter(|e| e.left < e.right && e.top < e.bottom)
        .collect()
}

/// The columns `rects` cover in the band `top..bottom`, sorted and merged.
fn merged_spans(rects: &[Edges], top: i64, bottom: i64) -> Vec<Span> {
    let mut spans: Vec<Span> = rects
        .iter()
        .filter(|r| r.top <= top && r.bottom >= bottom)
        .map(|r| (r.left, r.right))
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// `covered` minus `removed`; both sorted and merged.
fn subtract_spans(covered: &[Span], removed: &[Span]) -> Vec<Span> {
    let mut out = Vec::new();
    for &(start, end) in covered {
        let mut cursor = start;
        for &(hole_start, hole_end) in removed {
            if hole_end <= cursor || hole_start >= end {
                continue;
            }
            if hole_start > cursor {
                out.push((cursor, hole_start));
            }
            cursor = hole_end;
            if cursor >= end {
                break;
            }
        }
        if cursor < end {
            out.push((cursor, end));
        }
    }
    out
}

/// One band of output: the same spans over rows `top..bottom`.
struct Row {
    top: i64,
    bottom: i64,
    spans: Vec<Span>,
}

/// Collects bands, joining a band to the one above when their spans match, so a plain
/// rectangle comes out as one rectangle rather than one per band.
#[derive(Default)]
struct Rows {
    rects: Vec<Rect>,
    open: Option<Row>,
}

impl Rows {
    fn push(&mut self, row: Row) {
        if row.spans.is_empty() {
            return;
        }
        if let Some(open) = &mut self.open {
            let joins = open.bottom == row.top && open.spans == row.spans;
            if joins && row.bottom - open.top <= i64::from(i32::MAX) {
                open.bottom = row.bottom;
                return;
            }
        }
        if let Some(done) = self.open.replace(row) {
            self.emit(done);
        }
    }

    fn into_rects(mut self) -> Vec<Rect> {
        if let Some(done) = self.open.take() {
            self.emit(done);
        }
        self.rects
    }

    fn emit(&mut self, row: Row) {
        // A row is within one clamped rectangle's height, and joins keep it within i32.
        let (Ok(y), Ok(h)) = (i32::try_from(row.top), i32::try_from(row.bottom - row.top)) else {
            return;
        };
        for (start, end) in row.spans {
            // A span reaching from below zero to near i32::MAX is wider than a Rect can be.
            let mut x = start;
            while x < end {
                let w = (end - x).min(i64::from(i32::MAX));
                if let (Ok(left), Ok(width)) = (i32::try_from(x), i32::try_from(w)) {
                    self.rects.push(Rect::new(left, y, width, h));
                }
                x += w;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPSILON: f64 = 1e-6;

    /// Turned a quarter counter-clockwise (Rotate90), the output's top-left corner shows at
    /// the target's bottom-left (the target is the output turned back); every transform
    /// moves the four radii to four different corners.
    #[test]
    fn corner_radii_follow_the_transform_onto_the_target() {
        let radii = CornerRadii {
            top_left: 1.0,
            top_right: 2.0,
            bottom_right: 3.0,
            bottom_left: 4.0,
        };
        assert_eq!(radii.on_target(Transform::Normal), [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(radii.on_target(Transform::Rotate180), [3.0, 4.0, 1.0, 2.0]);
        assert_eq!(radii.on_target(Transform::Flipped), [2.0, 1.0, 4.0, 3.0]);
        for transform in Transform::ALL {
            let mut target = radii.on_target(transform);
            target.sort_by(f32::total_cmp);
            assert_eq!(target, [1.0, 2.0, 3.0, 4.0], "{transform:?}");
        }
    }

    fn area(rects: &[Rect]) -> i64 {
        rects
            .iter()
            .filter(|r| !r.is_empty())
            .map(|r| i64::from(r.w) * i64::from(r.h))
            .sum()
    }

    /// Which pixels of `bounds` any of `rects` covers, row by row.
    fn raster(rects: &[Rect], bounds: Rect) -> Vec<bool> {
        let mut covered = Vec::new();
        for y in bounds.y..bounds.bottom() {
            for x in bounds.x..bounds.right() {
                let pixel = Rect::new(x, y, 1, 1);
                covered.push(rects.iter().any(|r| r.contains_rect(&pixel)));
            }
        }
        covered
    }

    fn assert_pairwise_disjoint(rects: &[Rect]) {
        for (i, a) in rects.iter().enumerate() {
            assert!(!a.is_empty(), "{a:?} is empty");
            for b in &rects[i + 1..] {
                assert_eq!(a.intersect(b), None, "{a:?} overlaps {b:?}");
            }
        }
    }

    /// A small deterministic generator, so the randomized tests repeat exactly.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: i32) -> i32 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) % n as u64) as i32
        }

        fn rect(&mut self) -> Rect {
            // Sizes reach -1 and 0 so empty rectangles are mixed in.
            let (x, y) = (self.below(14) - 2, self.below(14) - 2);
            Rect::new(x, y, self.below(9) - 1, self.below(9) - 1)
        }

        fn rects(&mut self) -> Vec<Rect> {
            let count = self.below(6) as usize;
            (0..count).map(|_| self.rect()).collect()
        }
    }

    const GRID: Rect = Rect::new(-3, -3, 24, 24);

    /// The uv the shader interpolates at target pixel `(px, py)`.
    fn uv(instance: &Quad, px: f64, py: f64) -> [f64; 2] {
        let [x, y, w, h] = instance.dst.map(f64::from);
        let [ou, ov] = instance.uv_offset.map(f64::from);
        let [au, av, bu, bv] = instance.uv_axes.map(f64::from);
        let (fx, fy) = ((px - x) / w, (py - y) / h);
        [ou + fx * au + fy * bu, ov + fx * av + fy * bv]
    }

    fn assert_close(a: [f64; 2], b: [f64; 2]) {
        let close = (a[0] - b[0]).abs() < EPSILON && (a[1] - b[1]).abs() < EPSILON;
        assert!(close, "{a:?} != {b:?}");
    }

    #[test]
    fn rect_edges_and_emptiness() {
        let r = Rect::new(-5, 7, 10, 3);
        assert_eq!((r.right(), r.bottom()), (5, 10));
        assert!(!r.is_empty());
        assert!(Rect::new(0, 0, 0, 5).is_empty());
        assert!(Rect::new(0, 0, 5, -1).is_empty());
        assert!(Rect::default().is_empty());
    }

    #[test]
    fn rect_intersection_of_overlapping_rects() {
        let a = Rect::new(0, 0, 10, 10);
        let b = Rect::new(5, -3, 10, 6);
        assert_eq!(a.intersect(&b), Some(Rect::new(5, 0, 5, 3)));
        assert_eq!(b.intersect(&a), Some(Rect::new(5, 0, 5, 3)));
        assert_eq!(a.intersect(&a), Some(a));
    }

    #[test]
    fn rect_intersection_of_touching_rects_is_none() {
        let a = Rect::new(0, 0, 10, 10);
        assert_eq!(a.intersect(&Rect::new(10, 0, 5, 5)), None);
        assert_eq!(a.intersect(&Rect::new(0, 10, 5, 5)), None);
        assert_eq!(a.intersect(&Rect::new(-5, -5, 5, 5)), None);
        assert_eq!(a.intersect(&Rect::new(10, 10, 5, 5)), None);
    }

    #[test]
    fn rect_intersection_with_empty_is_none() {
        let a = Rect::new(0, 0, 10, 10);
        assert_eq!(a.intersect(&Rect::new(2, 2, 0, 3)), None);
        assert_eq!(a.intersect(&Rect::new(2, 2, 3, -3)), None);
        assert_eq!(Rect::new(2, 2, -3, 3).intersect(&a), None);
    }

    #[test]
    fn rect_intersection_with_negative_coordinates() {
        let a = Rect::new(-10, -10, 8, 8);
        let b = Rect::new(-4, -20, 10, 13);
        assert_eq!(a.intersect(&b), Some(Rect::new(-4, -10, 2, 3)));
    }

    #[test]
    fn rect_extreme_sizes_do_not_overflow() {
        let huge = Rect::new(i32::MAX, i32::MAX, i32::MAX, i32::MAX);
        assert_eq!((huge.right(), huge.bottom()), (i32::MAX, i32::MAX));
        assert_eq!(huge.intersect(&huge), Some(huge));
        let low = Rect::new(i32::MIN, i32::MIN, i32::MAX, i32::MAX);
        assert_eq!((low.right(), low.bottom()), (-1, -1));
        assert_eq!(low.intersect(&huge), None);
        let past = Rect::new(1000, 1000, i32::MAX, i32::MAX);
        assert_eq!(
            past.intersect(&huge),
            Some(Rect::new(i32::MAX, i32::MAX, 1000, 1000))
        );
        assert_eq!(
            past.intersect(&Rect::new(0, 0, i32::MAX, i32::MAX)),
            Some(Rect::new(1000, 1000, i32::MAX - 1000, i32::MAX - 1000))
        );
        let middle = Rect::new(-1000, -1000, i32::MAX, i32::MAX);
        assert_eq!(middle.intersect(&huge), None);
        assert!(Rect::new(i32::MIN, i32::MIN, i32::MIN, 5).is_empty());
        assert!(middle.contains_rect(&Rect::new(0, 0, i32::MAX - 1000, 1)));
        assert!(!middle.contains_rect(&Rect::new(0, 0, i32::MAX - 999, 1)));
    }

    #[test]
    fn rect_contains_rect() {
        let a = Rect::new(0, 0, 10, 10);
        assert!(a.contains_rect(&a));
        assert!(a.contains_rect(&Rect::new(2, 3, 8, 7)));
        assert!(!a.contains_rect(&Rect::new(2, 3, 9, 7)));
        assert!(!a.contains_rect(&Rect::new(-1, 0, 2, 2)));
        assert!(a.contains_rect(&Rect::new(50, 50, 0, 0)));
        assert!(!Rect::new(0, 0, 0, 10).contains_rect(&Rect::new(0, 0, 1, 1)));
    }

    #[test]
    fn transform_corners_match_definition() {
        // Source corners: top-left, top-right, bottom-left, bottom-right.
        const TL: [f64; 2] = [0.0, 0.0];
        const TR: [f64; 2] = [1.0, 0.0];
        const BL: [f64; 2] = [0.0, 1.0];
        const BR: [f64; 2] = [1.0, 1.0];
        // For each transform, the source corner shown at the display's TL, TR, BL, BR.
        let expected = [
            (Transform::Normal, [TL, TR, BL, BR]),
            // Turned CCW: the right column becomes the top row.
            (Transform::Rotate90, [TR, BR, TL, BL]),
            (Transform::Rotate180, [BR, BL, TR, TL]),
            // Turned CW: the left column becomes the top row, read bottom up.
            (Transform::Rotate270, [BL, TL, BR, TR]),
            (Transform::Flipped, [TR, TL, BR, BL]),
            // Mirrored, the left column is on the right; turned CCW it becomes the top row.
            (Transform::Flipped90, [TL, BL, TR, BR]),
            (Transform::Flipped180, [BL, BR, TL, TR]),
            (Transform::Flipped270, [BR, TR, BL, TL]),
        ];
        for (transform, sources) in expected {
            for (display, source) in [TL, TR, BL, BR].into_iter().zip(sources) {
                assert_eq!(
                    transform.source_point(display),
                    source,
                    "{transform:?} at {display:?}"
                );
            }
        }
    }

    #[test]
    fn transform_centre_and_midpoints() {
        assert_eq!(Transform::Rotate90.source_point([0.25, 0.5]), [0.5, 0.25]);
        assert_eq!(Transform::Rotate270.source_point([0.25, 0.5]), [0.5, 0.75]);
        assert_eq!(
            Transform::Flipped90.source_point([0.25, 0.75]),
            [0.75, 0.25]
        );
        for transform in Transform::ALL {
            assert_eq!(transform.source_point([0.5, 0.5]), [0.5, 0.5]);
        }
    }

    #[test]
    fn transform_wayland_numbering_round_trips() {
        for (value, transform) in Transform::ALL.into_iter().enumerate() {
            assert_eq!(transform.to_wayland(), value as u32);
            assert_eq!(Transform::from_wayland(value as u32), Some(transform));
        }
        assert_eq!(Transform::from_wayland(1), Some(Transform::Rotate90));
        assert_eq!(Transform::from_wayland(4), Some(Transform::Flipped));
        assert_eq!(Transform::from_wayland(8), None);
        assert_eq!(Transform::from_wayland(u32::MAX), None);
        assert_eq!(Transform::default(), Transform::Normal);
    }

    #[test]
    fn transform_invert_undoes_source_point() {
        for transform in Transform::ALL {
            let inverse = transform.invert();
            assert_eq!(inverse.invert(), transform);
            for i in 0..=4 {
                for j in 0..=4 {
                    let display = [f64::from(i) / 4.0, f64::from(j) / 4.0];
                    let there = transform.source_point(display);
                    assert_eq!(inverse.source_point(there), display, "{transform:?}");
                    assert_eq!(
                        transform.source_point(inverse.source_point(display)),
                        display
                    );
                }
            }
        }
        assert_eq!(Transform::Rotate90.invert(), Transform::Rotate270);
        assert_eq!(Transform::Flipped90.invert(), Transform::Flipped90);
    }

    #[test]
    fn transform_swaps_axes_when_display_x_runs_along_source_y() {
        for transform in Transform::ALL {
            let [x0, y0] = transform.source_point([0.0, 0.0]);
            let [x1, y1] = transform.source_point([1.0, 0.0]);
            let runs_along_y = x0 == x1 && y0 != y1;
            assert_eq!(transform.swaps_axes(), runs_along_y, "{transform:?}");
        }
    }

    /// `grid` (rows of values) turned 90 degrees counter-clockwise: the right column
    /// becomes the top row.
    fn turn_ccw(grid: &[Vec<usize>]) -> Vec<Vec<usize>> {
        let (rows, cols) = (grid.len(), grid[0].len());
        (0..cols)
            .map(|r| (0..rows).map(|c| grid[c][cols - 1 - r]).collect())
            .collect()
    }

    fn mirror(grid: &[Vec<usize>]) -> Vec<Vec<usize>> {
        grid.iter()
            .map(|row| row.iter().rev().copied().collect())
            .collect()
    }

    /// Which source pixel (by index `row * width + col`) each display pixel shows, built
    /// by moving a grid rather than through `source_point`.
    fn shown_grid(transform: Transform, width: usize, height: usize) -> Vec<Vec<usize>> {
        let mut grid: Vec<Vec<usize>> = (0..height)
            .map(|row| (0..width).map(|col| row * width + col).collect())
            .collect();
        if transform.to_wayland() >= 4 {
            grid = mirror(&grid);
        }
        for _ in 0..transform.to_wayland() % 4 {
            grid = turn_ccw(&grid);
        }
        grid
    }

    #[test]
    fn texture_instance_samples_pixel_centres_of_turned_grid() {
        let (width, height) = (2usize, 3usize);
        let src = RectF::new(0.0, 0.0, width as f64, height as f64);
        for transform in Transform::ALL {
            let shown = shown_grid(transform, width, height);
            let dst = Rect::new(10, 20, shown[0].len() as i32, shown.len() as i32);
            let expected_dst = if transform.swaps_axes() {
                (3, 2)
            } else {
                (2, 3)
            };
            assert_eq!((dst.w, dst.h), expected_dst, "{transform:?}");
            let instance = texture_instance(src, (2, 3), dst, transform, 1.0);
            for (row, values) in shown.iter().enumerate() {
                for (col, &index) in values.iter().enumerate() {
                    let centre = (10.0 + col as f64 + 0.5, 20.0 + row as f64 + 0.5);
                    let [u, v] = uv(&instance, centre.0, centre.1);
                    let source_centre = [
                        ((index % width) as f64 + 0.5) / width as f64,
                        ((index / width) as f64 + 0.5) / height as f64,
                    ];
                    assert_close([u, v], source_centre);
                }
            }
        }
    }

    #[test]
    fn texture_instance_crops_and_scales() {
        // A 2x3 crop at (3, 1) of a 8x5 buffer, drawn twice as large.
        let (width, height) = (2usize, 3usize);
        let src = RectF::new(3.0, 1.0, width as f64, height as f64);
        for transform in Transform::ALL {
            let shown = shown_grid(transform, width, height);
            let (dst_w, dst_h) = (2 * shown[0].len(), 2 * shown.len());
            let dst = Rect::new(-4, 7, dst_w as i32, dst_h as i32);
            let instance = texture_instance(src, (8, 5), dst, transform, 0.5);
            for y in 0..dst_h {
                for x in 0..dst_w {
                    let [u, v] = uv(&instance, -4.0 + x as f64 + 0.5, 7.0 + y as f64 + 0.5);
                    let index = shown[y / 2][x / 2];
                    let texel = ((u * 8.0).floor(), (v * 5.0).floor());
                    let expected = (3.0 + (index % width) as f64, 1.0 + (index / width) as f64);
                    assert_eq!(texel, expected, "{transform:?} at ({x}, {y})");
                }
            }
        }
    }

    #[test]
    fn texture_instance_keeps_dst_and_alpha() {
        let src = RectF::new(0.0, 0.0, 4.0, 4.0);
        let dst = Rect::new(-3, 5, 7, 9);
        let instance = texture_instance(src, (4, 4), dst, Transform::Normal, 0.25);
        assert_eq!(instance.dst, [-3.0, 5.0, 7.0, 9.0]);
        assert_eq!(instance.alpha, 0.25);
        assert_eq!(instance.uv_offset, [0.0, 0.0]);
        assert_eq!(instance.uv_axes, [1.0, 0.0, 0.0, 1.0]);
        let turned = texture_instance(src, (4, 4), dst, Transform::Rotate90, 1.0);
        assert_eq!(turned.uv_offset, [1.0, 0.0]);
        assert_eq!(turned.uv_axes, [0.0, 1.0, -1.0, 0.0]);
    }

    fn sample_points(dst: Rect) -> Vec<(f64, f64)> {
        let mut points = Vec::new();
        for i in 0..=8 {
            for j in 0..=8 {
                let x = f64::from(dst.x) + f64::from(dst.w) * f64::from(i) / 8.0;
                let y = f64::from(dst.y) + f64::from(dst.h) * f64::from(j) / 8.0;
                points.push((x, y));
            }
        }
        points
    }

    #[test]
    fn clip_to_left_half_samples_same_uv() {
        let src = RectF::new(1.0, 2.0, 6.0, 4.0);
        let full = texture_instance(
            src,
            (10, 8),
            Rect::new(10, 10, 40, 60),
            Transform::Rotate90,
            0.75,
        );
        let clipped = clip_texture_instance(&full, Rect::new(0, 0, 30, 100)).unwrap();
        assert_eq!(clipped.dst, [10.0, 10.0, 20.0, 60.0]);
        assert_eq!(clipped.alpha, 0.75);
        for (x, y) in sample_points(Rect::new(10, 10, 20, 60)) {
            assert_close(uv(&clipped, x, y), uv(&full, x, y));
        }
    }

    #[test]
    fn clip_to_inner_rect_samples_same_uv_for_every_transform() {
        let src = RectF::new(0.5, 1.5, 5.0, 3.0);
        let clip = Rect::new(13, 17, 9, 5);
        for transform in Transform::ALL {
            let full = texture_instance(src, (7, 6), Rect::new(10, 10, 20, 30), transform, 1.0);
            let clipped = clip_texture_instance(&full, clip).unwrap();
            assert_eq!(clipped.dst, [13.0, 17.0, 9.0, 5.0]);
            for (x, y) in sample_points(clip) {
                assert_close(uv(&clipped, x, y), uv(&full, x, y));
            }
        }
    }

    #[test]
    fn clip_outside_or_touching_is_none() {
        let src = RectF::new(0.0, 0.0, 4.0, 4.0);
        let full = texture_instance(src, (4, 4), Rect::new(0, 0, 10, 10), Transform::Normal, 1.0);
        assert!(clip_texture_instance(&full, Rect::new(20, 20, 5, 5)).is_none());
        assert!(clip_texture_instance(&full, Rect::new(10, 0, 5, 10)).is_none());
        assert!(clip_texture_instance(&full, Rect::new(0, -5, 10, 5)).is_none());
        assert!(clip_texture_instance(&full, Rect::new(2, 2, 0, 5)).is_none());
        let degenerate = Quad {
            dst: [0.0, 0.0, 0.0, 10.0],
            ..full
        };
        assert!(clip_texture_instance(&degenerate, Rect::new(0, 0, 10, 10)).is_none());
    }

    #[test]
    fn clip_covering_everything_is_unchanged() {
        let src = RectF::new(0.0, 0.0, 4.0, 4.0);
        let full = texture_instance(
            src,
            (4, 4),
            Rect::new(3, 4, 10, 10),
            Transform::Flipped270,
            1.0,
        );
        let clipped = clip_texture_instance(&full, Rect::new(-100, -100, 500, 500)).unwrap();
        assert_eq!(clipped, full);
    }

    #[test]
    fn disjoint_overlapping_rects_cover_union_once() {
        let rects = [
            Rect::new(0, 0, 10, 10),
            Rect::new(5, 5, 10, 10),
            Rect::new(2, 8, 3, 9),
            Rect::new(0, 0, 10, 10),
        ];
        let pieces = disjoint(&rects);
        assert_pairwise_disjoint(&pieces);
        let union = raster(&rects, GRID).iter().filter(|&&c| c).count();
        assert_eq!(area(&pieces), union as i64);
        assert_eq!(raster(&pieces, GRID), raster(&rects, GRID));
    }

    #[test]
    fn disjoint_matches_rasterized_union_on_random_inputs() {
        let mut lcg = Lcg(7);
        for _ in 0..500 {
            let rects = lcg.rects();
            let pieces = disjoint(&rects);
            assert_pairwise_disjoint(&pieces);
            assert_eq!(raster(&pieces, GRID), raster(&rects, GRID), "{rects:?}");
        }
    }

    #[test]
    fn disjoint_joins_matching_rows_and_drops_empty_rects() {
        let stacked = [Rect::new(0, 0, 4, 2), Rect::new(0, 2, 4, 3)];
        assert_eq!(disjoint(&stacked), vec![Rect::new(0, 0, 4, 5)]);
        let side_by_side = [Rect::new(0, 0, 4, 2), Rect::new(4, 0, 3, 2)];
        assert_eq!(disjoint(&side_by_side), vec![Rect::new(0, 0, 7, 2)]);
        assert_eq!(
            disjoint(&[Rect::new(1, 1, 0, 5), Rect::new(1, 1, 5, -1)]),
            vec![]
        );
        assert_eq!(disjoint(&[]), vec![]);
    }

    #[test]
    fn disjoint_handles_extreme_coordinates() {
        let rects = [
            Rect::new(i32::MIN, 0, i32::MAX, 1),
            Rect::new(0, 0, i32::MAX, 1),
            Rect::new(i32::MAX - 1, 0, i32::MAX, 1),
        ];
        let pieces = disjoint(&rects);
        assert_pairwise_disjoint(&pieces);
        // Everything from i32::MIN to i32::MAX except the column at -1, in pieces a Rect
        // can hold; columns past i32::MAX cannot be addressed and are dropped.
        assert_eq!(area(&pieces), i64::from(i32::MAX) * 2);
        assert!(pieces.iter().all(|r| r.y == 0 && r.h == 1));
        // One span wider than i32::MAX comes out in pieces.
        let wide = [
            Rect::new(i32::MIN, 0, i32::MAX, 1),
            Rect::new(-2, 0, i32::MAX, 1),
        ];
        let pieces = disjoint(&wide);
        assert_pairwise_disjoint(&pieces);
        assert_eq!(pieces.len(), 2);
        assert_eq!(area(&pieces), i64::from(i32::MAX) * 2 - 1);
        // Rows whose joined height would not fit stay apart.
        let tall = [
            Rect::new(0, i32::MIN, 1, i32::MAX),
            Rect::new(0, -1, 1, i32::MAX),
        ];
        let pieces = disjoint(&tall);
        assert_pairwise_disjoint(&pieces);
        assert_eq!(area(&pieces), i64::from(i32::MAX) * 2);
    }

    #[test]
    fn subtract_matches_rasterization() {
        let region = [Rect::new(0, 0, 10, 10), Rect::new(8, 8, 6, 6)];
        let holes = [Rect::new(2, 2, 3, 3), Rect::new(9, -1, 2, 20)];
        let rest = subtract(&region, &holes);
        assert_pairwise_disjoint(&rest);
        let expected: Vec<bool> = raster(&region, GRID)
            .into_iter()
            .zip(raster(&holes, GRID))
            .map(|(inside, hole)| inside && !hole)
            .collect();
        assert_eq!(raster(&rest, GRID), expected);
    }

    #[test]
    fn subtract_matches_rasterization_on_random_inputs() {
        let mut lcg = Lcg(11);
        for _ in 0..500 {
            let (region, holes) = (lcg.rects(), lcg.rects());
            let rest = subtract(&region, &holes);
            assert_pairwise_disjoint(&rest);
            let expected: Vec<bool> = raster(&region, GRID)
                .into_iter()
                .zip(raster(&holes, GRID))
                .map(|(inside, hole)| inside && !hole)
                .collect();
            assert_eq!(raster(&rest, GRID), expected, "{region:?} - {holes:?}");
        }
    }

    #[test]
    fn subtract_edge_cases() {
        let region = [Rect::new(0, 0, 10, 10)];
        assert_eq!(subtract(&region, &region), vec![]);
        assert_eq!(subtract(&region, &[Rect::new(-5, -5, 30, 30)]), vec![]);
        assert_eq!(subtract(&region, &[]), region.to_vec());
        assert_eq!(
            subtract(&region, &[Rect::new(20, 20, 5, 5)]),
            region.to_vec()
        );
        assert_eq!(subtract(&[], &region), vec![]);
        assert_eq!(
            subtract(&region, &[Rect::new(0, 0, 10, 4)]),
            vec![Rect::new(0, 4, 10, 6)]
        );
    }

    #[test]
    fn texture_instances_draw_each_damaged_pixel_once() {
        let src = RectF::new(0.0, 0.0, 8.0, 8.0);
        let dst = Rect::new(2, 2, 12, 12);
        let full = texture_instance(src, (8, 8), dst, Transform::Rotate180, 0.5);
        let damage = [
            Rect::new(0, 0, 6, 6),
            Rect::new(4, 4, 6, 6),
            Rect::new(4, 4, 6, 6),
            Rect::new(30, 30, 5, 5),
        ];
        let instances = texture_instances(&full, &damage);
        let drawn: Vec<Rect> = instances
            .iter()
            .map(|i| {
                let [x, y, w, h] = i.dst.map(|v| v as i32);
                Rect::new(x, y, w, h)
            })
            .collect();
        assert_pairwise_disjoint(&drawn);
        let expected: Vec<Rect> = damage.iter().filter_map(|d| d.intersect(&dst)).collect();
        assert_eq!(raster(&drawn, GRID), raster(&expected, GRID));
        for instance in &instances {
            for (x, y) in sample_points(Rect::new(
                instance.dst[0] as i32,
                instance.dst[1] as i32,
                instance.dst[2] as i32,
                instance.dst[3] as i32,
            )) {
                assert_close(uv(instance, x, y), uv(&full, x, y));
            }
        }
        assert!(texture_instances(&full, &[]).is_empty());
    }

    #[test]
    fn damaged_pieces_clip_damage_to_dst() {
        let dst = Rect::new(0, 0, 10, 10);
        let damage = [
            Rect::new(-5, -5, 10, 10),
            Rect::new(0, 0, 3, 3),
            Rect::new(50, 0, 5, 5),
        ];
        assert_eq!(damaged_pieces(dst, &damage), [Rect::new(0, 0, 5, 5)]);
        assert!(damaged_pieces(dst, &[Rect::new(10, 0, 5, 5)]).is_empty());
    }
}
