#version 450
// A drop shadow: the window's box [0, size] (window pixels) blurred by a Gaussian of
// standard deviation `sigma`, evaluated at the pixel's centre in closed form. The blur of
// a box is separable, and along each axis the Gaussian's integral over [0, w] is
// (erf(x / (sigma sqrt 2)) - erf((x - w) / (sigma sqrt 2))) / 2. GLSL, to show
// vkcompose-codegen's `glsl` feature beside the WGSL stages.

layout(push_constant) uniform Push {
    // decorations.wgsl's vertex stage reads this one.
    vec2 target_size;
    vec2 size;
    // The shadow's premultiplied colour where it is darkest.
    vec4 color;
    float sigma;
} push;

layout(location = 0) in vec2 local;
layout(location = 0) out vec4 out_color;

// erf by Abramowitz and Stegun, formula 7.1.26: absolute error below 1.5e-7.
float erf_as(float x) {
    float t = 1.0 / (1.0 + 0.3275911 * abs(x));
    float poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
        + t * (-1.453152027 + t * 1.061405429))));
    return sign(x) * (1.0 - poly * exp(-x * x));
}

// The share of the Gaussian around `x` that falls in [0, w].
float box_share(float x, float w, float scale) {
    return 0.5 * (erf_as(x * scale) - erf_as((x - w) * scale));
}

void main() {
    // 1 / (sigma sqrt 2); a sigma of 0 is a sharp box.
    float scale = 1.0 / (max(push.sigma, 1e-3) * 1.41421356);
    float share = box_share(local.x, push.size.x, scale) * box_share(local.y, push.size.y, scale);
    out_color = push.color * share;
}
