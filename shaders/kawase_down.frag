#version 450
// Dual-Kawase blur, downsampling pass (Bjørge's dual filter): five bilinear taps of the
// source, the centre weighted 4 and the four diagonal corners 1 each, divided by 8:
//
//   (4 s(uv) + s(uv + (-sx,-sy)) + s(uv + (sx,sy)) + s(uv + (sx,-sy)) + s(uv + (-sx,sy))) / 8
//
// times the instance alpha. Drawn with `Replace` blending into a destination about half
// the source's size. tests/common/kawase.rs computes the same pass on the CPU.
//
// `step`, per axis and in uv units of the source: `offset * 0.5 / destination_size`, the
// destination's half pixel scaled by the caller's blur offset. When the destination is
// exactly half the source, each diagonal tap lies `offset` source pixels from the centre
// on both axes. The source is sampled through the renderer's sampler: LINEAR filtering,
// CLAMP_TO_EDGE, normalized coordinates.

layout(set = 0, binding = 0) uniform sampler2D tex;

layout(push_constant) uniform Push {
    // quad.vert's member, declared again so that both stages describe the same block from
    // offset 0 and the generated `Push` holds `target_size` then `step`.
    vec2 target_size;
    vec2 step;
} push;

layout(location = 0) in vec2 uv;
layout(location = 1) flat in float alpha;

layout(location = 0) out vec4 color;

void main() {
    vec2 s = push.step;
    vec4 sum = 4.0 * texture(tex, uv);
    sum += texture(tex, uv + vec2(-s.x, -s.y));
    sum += texture(tex, uv + vec2(s.x, s.y));
    sum += texture(tex, uv + vec2(s.x, -s.y));
    sum += texture(tex, uv + vec2(-s.x, s.y));
    color = sum * (alpha / 8.0);
}
