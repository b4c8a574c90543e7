// Window decorations: one vertex stage for every effect, and the fragment stages of the
// rounded window and the border. Coordinates are the window's own pixels ("local"):
// (0, 0) at its top-left corner, (size.x, size.y) at its bottom-right, whatever the
// output's transform (the instance maps them onto the target; see vkcompose's
// `Frame::quad`).
//
// Edges are anti-aliased by area, not by a distance ramp: a pixel's coverage is the exact
// area of its square inside the shape (the corner arcs integrated in closed form), so a
// 45-degree stretch of arc is as right as a straight edge.

// The vertex stage's push constants: the first member of every fragment stage's block.
struct QuadPush {
    target_size: vec2<f32>,
}

struct WindowPush {
    target_size: vec2<f32>,
    // The window's size in its pixels.
    size: vec2<f32>,
    // Corner radii in window pixels: top-left, top-right, bottom-right, bottom-left.
    radii: vec4<f32>,
    // Opacity multiplied into the (premultiplied) texels.
    alpha: f32,
}

struct BorderPush {
    target_size: vec2<f32>,
    // The window's size: the border lies around it, `width` wide.
    size: vec2<f32>,
    // The window's corner radii (the border's inner edge); its outer edge is `width` further.
    radii: vec4<f32>,
    // Premultiplied colours at the gradient's start and end (equal for a solid border).
    from_color: vec4<f32>,
    to_color: vec4<f32>,
    // The gradient's direction (a unit vector; it runs across the whole border box).
    direction: vec2<f32>,
    width: f32,
}

var<immediate> quad: QuadPush;
var<immediate> window: WindowPush;
var<immediate> border: BorderPush;

@group(0) @binding(0) var tex: texture_2d<f32>;
@group(0) @binding(1) var samp: sampler;

struct Varyings {
    @builtin(position) position: vec4<f32>,
    @location(0) local: vec2<f32>,
}

// A 4-vertex triangle strip over `dst` (target pixels: x, y, width, height); the window
// coordinate is `local_offset` at its top-left corner and changes by `local_axes.xy`
// across its width and `local_axes.zw` down its height.
@vertex
fn vs_quad(
    @builtin(vertex_index) index: u32,
    @location(0) dst: vec4<f32>,
    @location(1) local_offset: vec2<f32>,
    @location(2) local_axes: vec4<f32>,
) -> Varyings {
    let corner = vec2<f32>(f32(index & 1u), f32((index >> 1u) & 1u));
    let pixel = dst.xy + corner * dst.zw;
    var out: Varyings;
    out.position = vec4<f32>(pixel / quad.target_size * 2.0 - 1.0, 0.0, 1.0);
    out.local = local_offset + corner.x * local_axes.xy + corner.y * local_axes.zw;
    return out;
}

// atan(t) for 0 <= t <= 1 to about 1e-7 (Cephes' atanf: a reduction about 1 and a
// polynomial). The built-in atan and asin may be thousands of ulps off (Vulkan allows
// 4096), which the r^2 factor of an arc's area turns into whole levels of coverage.
fn atan_unit(t: f32) -> f32 {
    var offset = 0.0;
    var x = t;
    if t > 0.41421356 {
        offset = 0.78539816;
        x = (t - 1.0) / (t + 1.0);
    }
    let z = x * x;
    let poly = ((0.0805374449538 * z - 0.138776856032) * z + 0.199777106478) * z - 0.333329491539;
    return offset + poly * z * x + x;
}

// The angle atan2(u, s) for u, s >= 0 (not both 0), through ratios of at most 1.
fn leg_angle(u: f32, s: f32) -> f32 {
    if u <= s {
        return atan_unit(u / s);
    }
    return 1.57079633 - atan_unit(s / u);
}

// The integral of sqrt(r^2 - t^2) for t from 0 to u (0 <= u <= r): the area under a
// quarter circle of radius r up to u, (u sqrt(r^2 - u^2) + r^2 asin(u / r)) / 2.
fn arc_integral(u: f32, r: f32) -> f32 {
    let s = sqrt(max((r - u) * (r + u), 0.0));
    return 0.5 * (u * s + r * r * leg_angle(u, s));
}

// The area of [0, x] by [0, y] inside the disc of radius r about the origin (x, y in
// [0, r]): full height y up to where the arc crosses it, the arc's own area after.
fn disc_area(x: f32, y: f32, r: f32) -> f32 {
    let crossing = min(x, sqrt(max(r * r - y * y, 0.0)));
    return y * crossing + arc_integral(x, r) - arc_integral(crossing, r);
}

// What rounding a corner takes from the pixel [lo, hi], in coordinates from the corner's
// circle centre towards the corner (which lies at (r, r)): the pixel's area in the box
// [0, r]^2 outside the circle.
fn corner_loss(lo: vec2<f32>, hi: vec2<f32>, r: f32) -> f32 {
    if r <= 0.0 {
        return 0.0;
    }
    let a = clamp(lo, vec2<f32>(0.0), vec2<f32>(r));
    let b = clamp(hi, vec2<f32>(0.0), vec2<f32>(r));
    // Most pixels lie outside every corner's box: nothing to integrate.
    if b.x <= a.x || b.y <= a.y {
        return 0.0;
    }
    let boxed = (b.x - a.x) * (b.y - a.y);
    let inside = disc_area(b.x, b.y, r) - disc_area(a.x, b.y, r) - disc_area(b.x, a.y, r)
        + disc_area(a.x, a.y, r);
    return max(boxed - inside, 0.0);
}

// The fraction of the pixel [lo, hi] (window pixels) inside the rectangle [0, size] with
// corner radii `radii` (top-left, top-right, bottom-right, bottom-left; each at most half
// the shorter side).
fn rounded_rect_coverage(lo: vec2<f32>, hi: vec2<f32>, size: vec2<f32>, radii: vec4<f32>) -> f32 {
    let inside = max(min(hi, size) - max(lo, vec2<f32>(0.0)), vec2<f32>(0.0));
    let r = clamp(radii, vec4<f32>(0.0), vec4<f32>(0.5 * min(size.x, size.y)));
    var area = inside.x * inside.y;
    // Top-left: centre (r, r); towards the corner is -x, -y.
    area -= corner_loss(vec2<f32>(r.x) - hi, vec2<f32>(r.x) - lo, r.x);
    // Top-right: centre (w - r, r); towards it is +x, -y.
    let tr = vec2<f32>(size.x - r.y, r.y);
    area -= corner_loss(vec2<f32>(lo.x - tr.x, tr.y - hi.y), vec2<f32>(hi.x - tr.x, tr.y - lo.y), r.y);
    // Bottom-right: centre (w - r, h - r); towards it is +x, +y.
    area -= corner_loss(lo - (size - vec2<f32>(r.z)), hi - (size - vec2<f32>(r.z)), r.z);
    // Bottom-left: centre (r, h - r); towards it is -x, +y.
    let bl = vec2<f32>(r.w, size.y - r.w);
    area -= corner_loss(vec2<f32>(bl.x - hi.x, lo.y - bl.y), vec2<f32>(bl.x - lo.x, hi.y - bl.y), r.w);
    let footprint = (hi.x - lo.x) * (hi.y - lo.y);
    return clamp(area / footprint, 0.0, 1.0);
}

// The pixel's square in window coordinates: its centre `local`, its extent what one
// target pixel spans there (1 by 1 unscaled, whatever the transform).
fn pixel_bounds(local: vec2<f32>) -> array<vec2<f32>, 2> {
    let half = 0.5 * fwidth(local);
    return array<vec2<f32>, 2>(local - half, local + half);
}

@fragment
fn fs_rounded_window(in: Varyings) -> @location(0) vec4<f32> {
    let pixel = pixel_bounds(in.local);
    let coverage = rounded_rect_coverage(pixel[0], pixel[1], window.size, window.radii);
    let texel = textureSample(tex, samp, in.local / window.size);
    return texel * (window.alpha * coverage);
}

@fragment
fn fs_border(in: Varyings) -> @location(0) vec4<f32> {
    let pixel = pixel_bounds(in.local);
    let w = border.width;
    // The outer edge: the window grown by the width, its rounded corners by as much.
    let outer_radii = select(vec4<f32>(0.0), border.radii + w, border.radii > vec4<f32>(0.0));
    let outer = rounded_rect_coverage(pixel[0] + w, pixel[1] + w, border.size + 2.0 * w, outer_radii);
    let inner = rounded_rect_coverage(pixel[0], pixel[1], border.size, border.radii);
    let coverage = max(outer - inner, 0.0);
    // 0 at the border box's edge where `direction` starts, 1 at the opposite edge.
    let extent = dot(abs(border.direction), border.size + 2.0 * w);
    let t = clamp(0.5 + dot(in.local - 0.5 * border.size, border.direction) / extent, 0.0, 1.0);
    return mix(border.from_color, border.to_color, t) * coverage;
}
