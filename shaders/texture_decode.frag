#version 450
// The linear path's textured quads: the premultiplied texel is un-premultiplied, decoded
// to linear light by the source's transfer function (`TRANSFER`, one variant per
// function), carried into the output's primaries and luminance scale by one matrix
// (gamut conversion, white-point adaptation and the reference-white scale, computed by
// `color::DecodeParams`), premultiplied again and blended into the float blend buffer.
#include "color.glsl"

layout(constant_id = 0) const uint TRANSFER = 0u;

layout(push_constant) uniform Push {
    // quad.vert's member.
    vec2 target_size;
    // Unused: the vec4s below lie at their 16-byte alignment, with no hidden gap.
    vec2 padding;
    // The columns of the matrix from the source's linear light to the output's.
    vec4 to_output_0;
    vec4 to_output_1;
    vec4 to_output_2;
    // The transfer function's parameters (see `decode_transfer`).
    vec4 transfer_params;
} push;

layout(set = 0, binding = 0) uniform sampler2D tex;

layout(location = 0) in vec2 uv;
layout(location = 1) flat in float alpha;

layout(location = 0) out vec4 color;

void main() {
    vec4 texel = texture(tex, uv);
    vec3 encoded = texel.a > 0.0 ? texel.rgb / texel.a : vec3(0.0);
    mat3 to_output = mat3(push.to_output_0.xyz, push.to_output_1.xyz, push.to_output_2.xyz);
    vec3 linear = to_output * decode_transfer(TRANSFER, encoded, push.transfer_params);
    color = vec4(linear * texel.a, texel.a) * alpha;
}
