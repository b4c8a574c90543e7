//! The crate without its `glsl` feature, as a downstream crate writing only WGSL uses it:
//! WGSL pipelines generate, and a GLSL file is an error at its path that names the feature.
//! (Run by scripts/test with no features; with `glsl` on it has nothing to check.)
#![cfg(not(feature = "glsl"))]

mod common;

const SOLID_WGSL: &str = r#"
struct Push { color: vec4<f32> }
var<immediate> push: Push;

@vertex
fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    let uv = vec2<f32>(f32(i & 1u), f32(i >> 1u));
    return vec4<f32>(uv * 2.0 - 1.0, 0.0, 1.0);
}

@fragment
fn fs() -> @location(0) vec4<f32> {
    return push.color;
}
"#;

const MANIFEST: &str = r#"(
    render_passes: { "output": (color: Target, load: Load, store: Store) },
    pipelines: {
        "fill": (pass: "output", vertex: (file: "fill.wgsl", entry: "vs"), fragment: (file: "fill.wgsl", entry: "fs"), blend: Premultiplied),
    },
)"#;

#[test]
fn wgsl_pipelines_generate_without_shaderc() {
    let dir = common::project("no-glsl-wgsl", &[("fill.wgsl", SOLID_WGSL)], MANIFEST);
    let output = common::generate(&dir);
    assert!(output.code.contains("pub mod fill"), "{}", output.code);
}

#[test]
fn a_glsl_file_is_an_error_naming_the_feature() {
    let manifest = MANIFEST.replace(
        r#"fragment: (file: "fill.wgsl", entry: "fs")"#,
        r#"fragment: "fill.frag""#,
    );
    let frag = "#version 450\nlayout(location = 0) out vec4 c;\nvoid main() { c = vec4(1.0); }\n";
    let dir = common::project(
        "no-glsl-frag",
        &[("fill.wgsl", SOLID_WGSL), ("fill.frag", frag)],
        &manifest,
    );
    let errors = common::diagnostics(&dir);
    let error = errors
        .iter()
        .find(|d| d.message.contains("`glsl` feature"))
        .unwrap_or_else(|| panic!("no error names the feature: {errors:?}"));
    assert!(
        error.path.ends_with("shaders/fill.frag"),
        "at the GLSL file: {}",
        error.path.display()
    );
}
