#version 450
// The linear path's last pass: reads the float blend buffer (premultiplied linear light
// in the output's primaries, on the output's linear scale times the buffer's gain) texel
// for texel and writes the target's encoding. Per pixel: un-premultiply, the caller's colour transform (CTM), tone
// mapping of the brightest component by BT.2390's EETF in PQ space (hue kept), gamut
// mapping (clip, or compression toward grey), the caller's 3D LUT, the inverse of the
// output's transfer function (`TRANSFER`, one variant per function), ordered dithering
// for targets of fewer bits than the blend buffer, premultiply.
//
// The 3D LUT lies in a 2D texture, its blue slices side by side (size^2 x size texels,
// red fastest in each slice), interpolated tetrahedrally from four fetched entries.
#include "color.glsl"

layout(constant_id = 0) const uint TRANSFER = 0u;
// Whether the pass maps tone, compresses gamut or applies a LUT (`encode_mapped`); plain
// encodings (`encode`) only clip. A constant, not the push constants' flags alone: a CPU
// rasterizer (lavapipe) runs both sides of a branch on a push constant, and these stages
// would treble every pixel's cost.
layout(constant_id = 1) const bool MAPPED = true;

layout(push_constant) uniform Push {
    // quad.vert's member.
    vec2 target_size;
    // The reciprocal of the blend buffer's gain: its values times this are light on the
    // output's linear scale (`color::PQ_BLEND_GAIN`).
    float from_blend;
    // Unused: the vec4s below lie at their 16-byte alignment, with no hidden gap.
    float padding;
    // The columns of the caller's colour transform (identity when none).
    vec4 ctm_0;
    vec4 ctm_1;
    vec4 ctm_2;
    // `color::Eetf::shader_params`, with the scale from linear light to cd/m^2 in
    // `eetf_1.w`.
    vec4 eetf_0;
    vec4 eetf_1;
    // The transfer function's parameters in xyz (see `encode_transfer`); w: the dither's
    // amplitude in encoded units (0: none).
    vec4 transfer_params;
    // x: gamut mapping (0 clip, 1 compress); y: the LUT's size (0: none); zw: the
    // output primaries' red and green luminance weights (blue is the rest of 1).
    vec4 mapping;
} push;

layout(set = 0, binding = 0) uniform sampler2D blend;
layout(set = 0, binding = 1) uniform sampler2D lut;

layout(location = 0) in vec2 uv;
layout(location = 1) flat in float alpha;

layout(location = 0) out vec4 color;

vec3 tone_map(vec3 rgb) {
    float nits_scale = push.eetf_1.w;
    float peak = max(rgb.r, max(rgb.g, rgb.b)) * nits_scale;
    if (push.eetf_1.z > 0.5 || peak <= 0.0) {
        return rgb;
    }
    float mapped = pq_to_linear(vec3(eetf_pq(pq_from_linear(vec3(peak / 10000.0)).x,
        push.eetf_0, push.eetf_1))).x * 10000.0;
    return rgb * (mapped / peak);
}

// The LUT's entry at integer coordinates `c` (red, green, blue).
vec3 lut_at(ivec3 c, int size) {
    return texelFetch(lut, ivec2(c.r + c.b * size, c.g), 0).rgb;
}

// Tetrahedral interpolation (four exact fetches and float weights: hardware filtering's
// fixed-point weights would move dark colours by more than a 10-bit step).
vec3 apply_lut(vec3 rgb) {
    int size = int(push.mapping.y);
    vec3 cell = clamp(rgb, 0.0, 1.0) * float(size - 1);
    ivec3 base = min(ivec3(floor(cell)), ivec3(size - 2));
    vec3 f = cell - vec3(base);
    ivec3 x = ivec3(1, 0, 0), y = ivec3(0, 1, 0), z = ivec3(0, 0, 1);
    vec3 c000 = lut_at(base, size);
    vec3 c111 = lut_at(base + x + y + z, size);
    if (f.r > f.g) {
        if (f.g > f.b) {
            return (1.0 - f.r) * c000 + (f.r - f.g) * lut_at(base + x, size)
                + (f.g - f.b) * lut_at(base + x + y, size) + f.b * c111;
        } else if (f.r > f.b) {
            return (1.0 - f.r) * c000 + (f.r - f.b) * lut_at(base + x, size)
                + (f.b - f.g) * lut_at(base + x + z, size) + f.g * c111;
        }
        return (1.0 - f.b) * c000 + (f.b - f.r) * lut_at(base + z, size)
            + (f.r - f.g) * lut_at(base + x + z, size) + f.g * c111;
    }
    if (f.b > f.g) {
        return (1.0 - f.b) * c000 + (f.b - f.g) * lut_at(base + z, size)
            + (f.g - f.r) * lut_at(base + y + z, size) + f.r * c111;
    } else if (f.b > f.r) {
        return (1.0 - f.g) * c000 + (f.g - f.b) * lut_at(base + y, size)
            + (f.b - f.r) * lut_at(base + y + z, size) + f.r * c111;
    }
    return (1.0 - f.g) * c000 + (f.g - f.r) * lut_at(base + y, size)
        + (f.r - f.b) * lut_at(base + x + y, size) + f.b * c111;
}

// Clipped into [0, 1] but for extended linear (scRGB), whose values beyond are colours.
// A function of the constant, not a test of it in `main`: spirq cannot evaluate a
// comparison of a specialization constant.
vec3 clip_unless_extended(uint tf, vec3 rgb) {
    return tf == TF_EXT_LINEAR ? rgb : clamp(rgb, 0.0, 1.0);
}

// A 4x4 Bayer matrix, centred on 0: spreads the rounding of gradients over neighbours.
float bayer(ivec2 p) {
    const float m[16] = float[16](0., 8., 2., 10., 12., 4., 14., 6., 3., 11., 1., 9., 15., 7., 13., 5.);
    return (m[(p.y & 3) * 4 + (p.x & 3)] + 0.5) / 16.0 - 0.5;
}

void main() {
    vec4 texel = texelFetch(blend, ivec2(gl_FragCoord.xy), 0);
    vec3 rgb = texel.a > 0.0 ? texel.rgb * (push.from_blend / texel.a) : vec3(0.0);
    rgb = mat3(push.ctm_0.xyz, push.ctm_1.xyz, push.ctm_2.xyz) * rgb;
    if (MAPPED) {
        rgb = tone_map(rgb);
    }
    if (MAPPED && push.mapping.x > 0.5) {
        vec2 w = push.mapping.zw;
        rgb = compress_gamut(rgb, vec3(w, 1.0 - w.x - w.y));
    } else {
        rgb = clip_unless_extended(TRANSFER, rgb);
    }
    if (MAPPED && push.mapping.y > 0.0) {
        rgb = apply_lut(rgb);
    }
    vec3 encoded = encode_transfer(TRANSFER, rgb, push.transfer_params);
    encoded += bayer(ivec2(gl_FragCoord.xy)) * push.transfer_params.w;
    color = vec4(encoded * texel.a, texel.a) * alpha;
}
