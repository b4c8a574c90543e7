//! GLSL includes in WGSL (`// #include "name.glsl"`): the file's constants and functions,
//! translated by naga, join the shader; the shader's own lines keep their numbers; a
//! missing or untranslatable include is an error at the directive. Needs no `glsl`
//! feature (naga translates; shaderc is not involved).

mod common;

/// A fragment stage whose colour comes from the include's function and constant.
const TINT_WGSL: &str = r#"// #include "tint.glsl"
struct Push { color: vec4<f32> }
var<immediate> push: Push;

@vertex
fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    let uv = vec2<f32>(f32(i & 1u), f32(i >> 1u));
    return vec4<f32>(uv * 2.0 - 1.0, 0.0, 1.0);
}

@fragment
fn fs() -> @location(0) vec4<f32> {
    return vec4<f32>(tint(push.color.rgb, STRENGTH), push.color.a);
}
"#;

const TINT_GLSL: &str = "const float STRENGTH = 0.5;\n\
    vec3 tint(vec3 c, float s) {\n    return mix(c, vec3(1.0, 0.5, 0.0), s);\n}\n";

const MANIFEST: &str = r#"(
    render_passes: { "output": (color: Target, load: Load, store: Store) },
    pipelines: {
        "tinted": (pass: "output", vertex: (file: "tinted.wgsl", entry: "vs"), fragment: (file: "tinted.wgsl", entry: "fs"), blend: Premultiplied),
    },
)"#;

#[test]
fn a_glsl_include_joins_the_wgsl_shader() {
    let dir = common::project(
        "wgsl-include",
        &[("tinted.wgsl", TINT_WGSL), ("tint.glsl", TINT_GLSL)],
        MANIFEST,
    );
    let output = common::generate(&dir);
    assert!(output.code.contains("pub mod tinted"), "{}", output.code);
    assert!(
        output
            .inputs
            .iter()
            .any(|p| p.ends_with("shaders/tint.glsl")),
        "the include is an input (rerun-if-changed): {:?}",
        output.inputs
    );
}

#[test]
fn a_missing_include_is_an_error_at_its_line() {
    let shader = format!("\n\n{}", TINT_WGSL.replace("tint.glsl", "absent.glsl"));
    let dir = common::project(
        "wgsl-include-missing",
        &[("tinted.wgsl", &shader)],
        MANIFEST,
    );
    let errors = common::diagnostics(&dir);
    let error = errors
        .iter()
        .find(|d| d.message.contains("`absent.glsl` not found"))
        .unwrap_or_else(|| panic!("no error names the include: {errors:?}"));
    assert!(error.path.ends_with("shaders/tinted.wgsl"));
    assert_eq!(error.position.line, 3, "{error}");
}

#[test]
fn an_error_in_the_shader_keeps_its_own_line() {
    // The include is appended, so the shader's lines are where its author wrote them.
    let shader = TINT_WGSL.replace("tint(push.color.rgb, STRENGTH)", "tint(push.color.rgb)");
    let dir = common::project(
        "wgsl-include-line",
        &[("tinted.wgsl", &shader), ("tint.glsl", TINT_GLSL)],
        MANIFEST,
    );
    let errors = common::diagnostics(&dir);
    let line = TINT_WGSL
        .lines()
        .position(|l| l.contains("tint(push"))
        .unwrap()
        + 1;
    assert!(
        errors.iter().any(|d| d.position.line as usize == line),
        "no error at line {line}: {errors:?}"
    );
}

#[test]
fn glsl_naga_cannot_read_is_an_error_naming_the_include() {
    let dir = common::project(
        "wgsl-include-bad",
        &[
            ("tinted.wgsl", TINT_WGSL),
            ("tint.glsl", "vec3 tint(vec3 c, float s) { return c +; }\n"),
        ],
        MANIFEST,
    );
    let errors = common::diagnostics(&dir);
    assert!(
        errors
            .iter()
            .any(|d| d.message.contains("include `tint.glsl`") && d.position.line == 1),
        "{errors:?}"
    );
}
