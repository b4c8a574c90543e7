// Dual-Kawase blur, upsampling pass (Bjørge's dual filter), with a rounded-rectangle mask.
// Eight bilinear taps of the source: four on the axes at twice the step, weight 1 each,
// and four on the diagonals at the step, weight 2 each, divided by 12:
//
//   (s(uv + (-2sx,0)) + s(uv + (2sx,0)) + s(uv + (0,-2sy)) + s(uv + (0,2sy))
//    + 2 (s(uv + (-sx,-sy)) + s(uv + (sx,-sy)) + s(uv + (-sx,sy)) + s(uv + (sx,sy)))) / 12
//
// The result (premultiplied) is multiplied by the instance alpha and by the mask's
// coverage, and drawn with `Premultiplied` blending. Between levels of the blur, draw into
// a target cleared to transparent with `clip` covering the whole target and `radius` 0,
// so the pass writes the blurred texel unchanged. tests/common/kawase.rs computes the same
// pass on the CPU.
//
// `step`, per axis and in uv units of the source: `offset * 0.5 / destination_size`, the
// destination's half pixel scaled by the caller's blur offset. When the destination is
// exactly twice the source, the axis taps lie `offset` destination pixels (offset / 2
// source pixels) from the centre. The source is sampled through the renderer's sampler:
// LINEAR filtering, CLAMP_TO_EDGE, normalized coordinates.
//
// Written in WGSL, so the blur goes through both of the build's shader languages. WGSL has
// no combined image sampler: the texture and its sampler are two bindings of set 0.

struct Push {
    // quad.vert's member; WGSL has no explicit offsets, so the block is declared whole.
    target_size: vec2<f32>,
    step: vec2<f32>,
    // The mask: x, y, width and height of the rectangle, in target pixels.
    clip: vec4<f32>,
    // The mask's corner radius in pixels; 0 gives square corners.
    radius: f32,
}

var<immediate> push: Push;

@group(0) @binding(0) var tex: texture_2d<f32>;
@group(0) @binding(1) var samp: sampler;

// The source at `uv` moved by (dx, dy) steps.
fn tap(uv: vec2<f32>, dx: f32, dy: f32) -> vec4<f32> {
    return textureSample(tex, samp, uv + vec2<f32>(dx, dy) * push.step);
}

// How much of the pixel centred at `p` (target pixels, centres at .5) the rounded
// rectangle covers: 0.5 minus the signed distance to it, clamped to [0, 1]. With radius 0
// and a rectangle on whole pixels, every centre inside gets exactly 1 and every centre
// outside exactly 0.
fn coverage(p: vec2<f32>) -> f32 {
    let lo = push.clip.xy;
    let hi = push.clip.xy + push.clip.zw;
    let r = max(min(push.radius, 0.5 * min(push.clip.z, push.clip.w)), 0.0);
    // Per axis, how far `p` lies outside the rectangle shrunk by `r` (negative inside).
    let q = max(lo + r - p, p - (hi - r));
    let distance = length(max(q, vec2<f32>(0.0))) + min(max(q.x, q.y), 0.0) - r;
    return clamp(0.5 - distance, 0.0, 1.0);
}

@fragment
fn main(
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
    @location(1) @interpolate(flat) alpha: f32,
) -> @location(0) vec4<f32> {
    var sum = tap(uv, -2.0, 0.0) + tap(uv, 2.0, 0.0) + tap(uv, 0.0, -2.0) + tap(uv, 0.0, 2.0);
    sum += 2.0 * (tap(uv, -1.0, -1.0) + tap(uv, 1.0, -1.0) + tap(uv, -1.0, 1.0) + tap(uv, 1.0, 1.0));
    return sum * (alpha * coverage(position.xy) / 12.0);
}
