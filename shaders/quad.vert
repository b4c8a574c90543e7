#version 450
// Textured quad. The texture coordinate is an affine function of the corner, which covers
// source cropping, scaling and all eight Wayland buffer transforms with one shader.
#include "quad.glsl"

layout(push_constant) uniform Push {
    vec2 target_size;
} push;

// Destination rectangle in target pixels: x, y, width, height.
layout(location = 0) in vec4 dst;
// Texture coordinate at the destination's top-left corner.
layout(location = 1) in vec2 uv_offset;
// How the texture coordinate changes across the destination: xy over its width, zw over
// its height.
layout(location = 2) in vec4 uv_axes;
// Opacity multiplied into the premultiplied texel.
layout(location = 3) in float alpha;

layout(location = 0) out vec2 out_uv;
layout(location = 1) flat out float out_alpha;

void main() {
    vec2 corner = quad_corner(gl_VertexIndex);
    gl_Position = pixel_to_clip(dst.xy + corner * dst.zw, push.target_size);
    out_uv = uv_offset + corner.x * uv_axes.xy + corner.y * uv_axes.zw;
    out_alpha = alpha;
}
