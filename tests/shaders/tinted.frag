#version 450
// Test-only: a color from a uniform buffer, to exercise buffer bindings end to end.
layout(set = 0, binding = 0) uniform Tint {
    vec4 color;
} tint;

layout(location = 0) out vec4 color;

void main() {
    color = tint.color;
}
