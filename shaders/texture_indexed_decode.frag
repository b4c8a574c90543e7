#version 450
// The linear path's texture-array draw of plain sRGB sources, translucent ones among them,
// into the target's sRGB view: each premultiplied texel is un-premultiplied, decoded by
// sRGB's EOTF (color.glsl's decode_transfer, as texture_decode decodes) and premultiplied
// again, so a frame of many such sources stays one draw (as the direct path's
// texture_indexed) instead of one decoding draw per texture. Opaque texels decode the
// same way (alpha is 1).
#extension GL_EXT_nonuniform_qualifier : require
#include "color.glsl"

layout(set = 0, binding = 0) uniform sampler2D textures[];

layout(location = 0) in vec2 uv;
layout(location = 1) flat in float alpha;
layout(location = 2) flat in uint texture_index;

layout(location = 0) out vec4 color;

void main() {
    vec4 texel = texture(textures[nonuniformEXT(texture_index)], uv);
    vec3 encoded = texel.a > 0.0 ? texel.rgb / texel.a : vec3(0.0);
    color = vec4(decode_transfer(TF_SRGB, encoded, vec4(0.0)) * texel.a, texel.a) * alpha;
}
