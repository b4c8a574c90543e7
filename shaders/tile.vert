#version 450
// One screen tile of a tiled draw (texture_tiled_decode): the tile's rectangle, and where
// its list of the quads that touch it lies in the frame's data buffer.
#include "quad.glsl"

layout(push_constant) uniform Push {
    vec2 target_size;
    // texture_tiled_decode.frag's member.
    uint quads;
} push;

// The tile in target pixels: x, y, width, height.
layout(location = 0) in vec4 dst;
// The tile's list: its first word in the data buffer, and how many quads it names.
layout(location = 1) in uvec2 entries;

layout(location = 0) flat out uvec2 out_entries;

void main() {
    vec2 corner = quad_corner(gl_VertexIndex);
    gl_Position = pixel_to_clip(dst.xy + corner * dst.zw, push.target_size);
    out_entries = entries;
}
