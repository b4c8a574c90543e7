#version 450
// Test-only: a full-target triangle strip quad at the rectangle given per instance.
layout(location = 0) in vec4 dst;
layout(push_constant) uniform Push {
    vec2 target_size;
} push;

void main() {
    vec2 corner = vec2(float(gl_VertexIndex & 1), float((gl_VertexIndex >> 1) & 1));
    vec2 pixel = dst.xy + corner * dst.zw;
    gl_Position = vec4(pixel / push.target_size * 2.0 - 1.0, 0.0, 1.0);
}
