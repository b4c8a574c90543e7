#version 450
// Samples a premultiplied texture. The `opaque` variant treats the texture as having no
// alpha (XRGB-style formats) so their undefined alpha byte is never read.

layout(constant_id = 0) const bool HAS_ALPHA = true;

layout(set = 0, binding = 0) uniform sampler2D tex;

layout(location = 0) in vec2 uv;
layout(location = 1) flat in float alpha;

layout(location = 0) out vec4 color;

void main() {
    vec4 texel = texture(tex, uv);
    // Branch on the constant itself: an operation on it (`!HAS_ALPHA`) would become an
    // OpSpecConstantOp, which spirq 1.3 cannot evaluate for booleans.
    if (HAS_ALPHA) {
        color = texel * alpha;
    } else {
        color = vec4(texel.rgb, 1.0) * alpha;
    }
}
