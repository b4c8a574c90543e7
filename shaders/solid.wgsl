// Solid quad, fragment stage: writes the premultiplied color the vertex stage passes on.
// Written in WGSL so both shader languages go through the build end to end.

@fragment
fn main(@location(0) @interpolate(flat) color: vec4<f32>) -> @location(0) vec4<f32> {
    return color;
}
