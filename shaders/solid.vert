#version 450
// Solid quad: a rectangle filled with one premultiplied color.
#include "quad.glsl"

layout(push_constant) uniform Push {
    vec2 target_size;
} push;

// Destination rectangle in target pixels: x, y, width, height.
layout(location = 0) in vec4 dst;
// Premultiplied color.
layout(location = 1) in vec4 color;

layout(location = 0) flat out vec4 out_color;

void main() {
    vec2 corner = quad_corner(gl_VertexIndex);
    gl_Position = pixel_to_clip(dst.xy + corner * dst.zw, push.target_size);
    out_color = color;
}
