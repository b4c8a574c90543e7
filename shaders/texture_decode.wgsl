// The linear path's textured quads: the premultiplied texel is un-premultiplied, decoded
// to linear light by the source's transfer function (`TRANSFER`, one variant per
// function), carried into the output's primaries and luminance scale by one matrix
// (gamut conversion, white-point adaptation and the reference-white scale, computed by
// `color::DecodeParams`), premultiplied again and blended into the float blend buffer.
//
// Written in WGSL, so the colour path goes through both of the build's shader languages:
// `TRANSFER` is an `override`, which the build folds into one SPIR-V module per variant
// (naga cannot write specialization constants). The transfer functions are those of
// include/color.glsl, which the encode pass and the YCbCr decode (`texture_decode.frag`:
// a YCbCr conversion needs a combined image sampler, which WGSL has not) include too:
// the codegen translates it to WGSL and appends it here.
// #include "color.glsl"

@id(0) override TRANSFER: u32 = 0u;
// Whether the draw is masked by a rounded rectangle (`texture_decode_rounded`). A constant,
// not the mask's width tested at run time: a CPU rasterizer (lavapipe) runs both sides of a
// branch on a push constant, and the mask's integrals would cost every quad of the frame
// more than its decoding.
@id(1) override MASKED: bool = false;

struct Push {
    // quad.vert's member; WGSL has no explicit offsets, so the block is declared whole.
    target_size: vec2<f32>,
    // Unused: the vec4s below lie at their 16-byte alignment, with no hidden gap.
    padding: vec2<f32>,
    // The columns of the matrix from the source's linear light to the output's.
    to_output_0: vec4<f32>,
    to_output_1: vec4<f32>,
    to_output_2: vec4<f32>,
    // The transfer function's parameters: BT.1886's (a, b) in xy, HLG's system gamma in z.
    transfer_params: vec4<f32>,
    // The rounded-rectangle mask of `MASKED` draws (`Frame::render_texture_rounded`): x, y,
    // width and height in target pixels; other draws leave it unread.
    clip: vec4<f32>,
    // The mask's corner radii in target pixels: top-left, top-right, bottom-right,
    // bottom-left (as the target lies, whatever the output's transform).
    radii: vec4<f32>,
}

var<immediate> push: Push;

@group(0) @binding(0) var tex: texture_2d<f32>;
@group(0) @binding(1) var samp: sampler;

// The mask's coverage of a pixel is the exact area of its square inside the rounded
// rectangle: the corner arcs integrated in closed form, as examples/effects' shaders do
// (that crate's own copy, as a downstream crate writes it; tests/pixels.rs checks this
// one against numerical integration).

// atan(t) for 0 <= t <= 1 to about 1e-7 (Cephes' atanf): the built-in atan and asin may be
// thousands of ulps off, which the r^2 of an arc's area turns into whole levels.
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

// The integral of sqrt(r^2 - t^2) for t from 0 to u (0 <= u <= r).
fn arc_integral(u: f32, r: f32) -> f32 {
    let s = sqrt(max((r - u) * (r + u), 0.0));
    return 0.5 * (u * s + r * r * leg_angle(u, s));
}

// The area of [0, x] by [0, y] inside the disc of radius r about the origin (x, y in [0, r]).
fn disc_area(x: f32, y: f32, r: f32) -> f32 {
    let crossing = min(x, sqrt(max((r - y) * (r + y), 0.0)));
    return y * crossing + arc_integral(x, r) - arc_integral(crossing, r);
}

// What rounding a corner takes from the pixel [lo, hi], in coordinates from the corner's
// circle centre towards the corner.
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
    let inside = disc_area(b.x, b.y, r) - disc_area(a.x, b.y, r) - disc_area(b.x, a.y, r)
        + disc_area(a.x, a.y, r);
    return max((b.x - a.x) * (b.y - a.y) - inside, 0.0);
}

// The share of the pixel centred at `centre` (target pixels) inside the mask.
fn mask_coverage(centre: vec2<f32>) -> f32 {
    let size = push.clip.zw;
    let lo = centre - 0.5 - push.clip.xy;
    let hi = lo + 1.0;
    let inside = max(min(hi, size) - max(lo, vec2<f32>(0.0)), vec2<f32>(0.0));
    let r = clamp(push.radii, vec4<f32>(0.0), vec4<f32>(0.5 * min(size.x, size.y)));
    var area = inside.x * inside.y;
    area -= corner_loss(vec2<f32>(r.x) - hi, vec2<f32>(r.x) - lo, r.x);
    let tr = vec2<f32>(size.x - r.y, r.y);
    area -= corner_loss(vec2<f32>(lo.x - tr.x, tr.y - hi.y), vec2<f32>(hi.x - tr.x, tr.y - lo.y), r.y);
    area -= corner_loss(lo - (size - vec2<f32>(r.z)), hi - (size - vec2<f32>(r.z)), r.z);
    let bl = vec2<f32>(r.w, size.y - r.w);
    area -= corner_loss(vec2<f32>(bl.x - hi.x, lo.y - bl.y), vec2<f32>(bl.x - lo.x, hi.y - bl.y), r.w);
    return clamp(area, 0.0, 1.0);
}

@fragment
fn main(
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
    @location(1) @interpolate(flat) alpha: f32,
) -> @location(0) vec4<f32> {
    let texel = textureSample(tex, samp, uv);
    var encoded = vec3<f32>(0.0);
    if texel.a > 0.0 {
        encoded = texel.rgb / texel.a;
    }
    let to_output = mat3x3<f32>(push.to_output_0.xyz, push.to_output_1.xyz, push.to_output_2.xyz);
    let linear = to_output * decode_transfer(TRANSFER, encoded, push.transfer_params);
    var coverage = 1.0;
    if MASKED {
        coverage = mask_coverage(position.xy);
    }
    return vec4<f32>(linear * texel.a, texel.a) * (alpha * coverage);
}
