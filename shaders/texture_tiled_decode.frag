#version 450
// The linear path's tiled draw of sRGB sources that share one decoding: every pixel of a
// tile walks the tile's list of quads, top-most first, decodes each covering texel (as
// texture_decode does, by the one matrix), composites them in linear light in registers,
// and stops at the first opaque one; the result is blended once over what the target
// holds. A frame of many translucent layers then costs the fixed-function blender one
// blend per pixel instead of one per layer, and what opaque quads hide is never sampled.
#extension GL_EXT_nonuniform_qualifier : require
#include "color.glsl"

layout(push_constant) uniform Push {
    // tile.vert's member.
    vec2 target_size;
    // Where the frame's quads start in `data`, in words: each is a texture_indexed
    // instance (dst, uv_offset, uv_axes, alpha, texture_index), QUAD_WORDS words.
    uint quads;
    // Unused: the vec4s below lie at their 16-byte alignment, with no hidden gap.
    uint padding;
    // The columns of the matrix from the sources' linear light to the output's, which all
    // the draw's sources share (see texture_decode).
    vec4 to_output_0;
    vec4 to_output_1;
    vec4 to_output_2;
} push;

layout(set = 0, binding = 0, std430) readonly buffer Data {
    uint words[];
} data;
layout(set = 0, binding = 1) uniform sampler2D textures[];

// The tile's list: where it starts in `data`, in words after `quads`, and how many quads
// it names (each by its index among the quads, bottom-most first).
layout(location = 0) flat in uvec2 entries;

layout(location = 0) out vec4 color;

const uint QUAD_WORDS = 12u;

vec4 word4(uint at) {
    return uintBitsToFloat(uvec4(data.words[at], data.words[at + 1u], data.words[at + 2u],
        data.words[at + 3u]));
}

void main() {
    vec2 pixel = gl_FragCoord.xy;
    mat3 to_output = mat3(push.to_output_0.xyz, push.to_output_1.xyz, push.to_output_2.xyz);
    // Premultiplied linear light of the layers walked so far, composited under each other.
    vec4 above = vec4(0.0);
    for (uint i = entries.y; i > 0u; i--) {
        uint q = push.quads + data.words[push.quads + entries.x + i - 1u] * QUAD_WORDS;
        vec4 dst = word4(q);
        // The rasterizer's coverage of the pixel centre (top-left rule on the edges).
        if (any(lessThan(pixel, dst.xy)) || any(greaterThanEqual(pixel, dst.xy + dst.zw))) {
            continue;
        }
        vec2 corner = (pixel - dst.xy) / dst.zw;
        vec2 uv_offset = uintBitsToFloat(uvec2(data.words[q + 4u], data.words[q + 5u]));
        vec4 uv_axes = word4(q + 6u);
        float alpha = uintBitsToFloat(data.words[q + 10u]);
        uint texture_index = data.words[q + 11u];
        vec2 uv = uv_offset + corner.x * uv_axes.xy + corner.y * uv_axes.zw;
        vec4 texel = textureLod(textures[nonuniformEXT(texture_index)], uv, 0.0);
        vec3 encoded = texel.a > 0.0 ? texel.rgb / texel.a : vec3(0.0);
        vec3 linear = to_output * decode_transfer(TF_SRGB, encoded, vec4(0.0));
        vec4 layer = vec4(linear * texel.a, texel.a) * alpha;
        above += layer * (1.0 - above.a);
        if (layer.a >= 1.0) {
            // Nothing beneath shows through: the pixel is opaque, exactly.
            above.a = 1.0;
            break;
        }
    }
    if (above == vec4(0.0)) {
        // Nothing drawn here (the tile's edge, or transparent texels): what the target
        // holds stays as it is, bit for bit.
        discard;
    }
    color = above;
}
