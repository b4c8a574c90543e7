#version 450
// Textured quad reading its texture from the frame's texture array: every textured quad of
// a frame can then be one instanced draw, whatever texture each shows.
#include "quad.glsl"

layout(push_constant) uniform Push {
    vec2 target_size;
} push;

// As in quad.vert.
layout(location = 0) in vec4 dst;
layout(location = 1) in vec2 uv_offset;
layout(location = 2) in vec4 uv_axes;
layout(location = 3) in float alpha;
// Which element of the frame's texture array this quad samples.
layout(location = 4) in uint texture_index;

layout(location = 0) out vec2 out_uv;
layout(location = 1) flat out float out_alpha;
layout(location = 2) flat out uint out_texture_index;

void main() {
    vec2 corner = quad_corner(gl_VertexIndex);
    gl_Position = pixel_to_clip(dst.xy + corner * dst.zw, push.target_size);
    out_uv = uv_offset + corner.x * uv_axes.xy + corner.y * uv_axes.zw;
    out_alpha = alpha;
    out_texture_index = texture_index;
}
