//! Every class of error is reported at its file, line and column, all in one run.

mod support;

use support::*;
use vkcompose_codegen::Severity;

#[test]
fn glsl_error_points_at_the_token() {
    let frag = "#version 450\nlayout(location = 0) in vec2 uv;\nlayout(location = 0) out vec4 color;\nvoid main() {\n    color = vec4(uv, 0.0, alpah);\n}\n";
    let p = Project::new(
        "glsl-error",
        &[("a.vert", QUAD_VERT), ("b.frag", frag)],
        &manifest("a.vert", "b.frag", ""),
    );
    let errors = p.errors();
    let e = find(&errors, "undeclared identifier");
    assert_eq!(
        (file_name(e), e.position.line, e.position.column),
        ("b.frag", 5, 27),
        "{e}"
    );
}

#[test]
fn glsl_error_in_an_include_points_into_the_included_file() {
    let frag = "#version 450\n#extension GL_GOOGLE_include_directive : require\n#include \"tone.glsl\"\nlayout(location = 0) in vec2 uv;\nlayout(location = 0) out vec4 color;\nvoid main() { color = tone(uv); }\n";
    let include = "vec4 tone(vec2 uv) {\n    return vec4(uv, 0.0, missing);\n}\n";
    let p = Project::new(
        "include-error",
        &[
            ("a.vert", QUAD_VERT),
            ("b.frag", frag),
            ("include/tone.glsl", include),
        ],
        &manifest("a.vert", "b.frag", ""),
    );
    let errors = p.errors();
    let e = find(&errors, "missing");
    assert_eq!((file_name(e), e.position.line), ("tone.glsl", 2), "{e}");
    assert_eq!(e.position.column, 26, "{e}");
}

#[test]
fn wgsl_parse_error_has_line_and_column() {
    let wgsl = "@fragment\nfn main(@location(0) uv: vec2<f32>) -> @location(0) vec4<f32> {\n    return vec4<f32>(uv, 0.0 1.0);\n}\n";
    let p = Project::new(
        "wgsl-parse",
        &[("a.vert", QUAD_VERT), ("b.wgsl", wgsl)],
        &manifest("a.vert", "b.wgsl", ""),
    );
    let errors = p.errors();
    let e = errors
        .iter()
        .find(|d| file_name(d) == "b.wgsl")
        .unwrap_or_else(|| panic!("{}", render(&errors)));
    assert_eq!((e.position.line, e.position.column), (3, 30), "{e}");
}

#[test]
fn wgsl_validation_error_has_line_and_column() {
    let wgsl = "@fragment\nfn main(@location(0) uv: vec2<f32>) -> @location(0) vec4<f32> {\n    let x: f32 = uv;\n    return vec4<f32>(x);\n}\n";
    let p = Project::new(
        "wgsl-valid",
        &[("a.vert", QUAD_VERT), ("b.wgsl", wgsl)],
        &manifest("a.vert", "b.wgsl", ""),
    );
    let errors = p.errors();
    let e = errors
        .iter()
        .find(|d| file_name(d) == "b.wgsl")
        .unwrap_or_else(|| panic!("{}", render(&errors)));
    assert_eq!(e.position.line, 3, "{e}");
    assert!(e.position.column > 1, "{e}");
}

#[test]
fn wgsl_override_is_rejected_at_its_declaration() {
    let wgsl = "@id(0) override scale: f32 = 1.0;\n@fragment\nfn main(@location(0) uv: vec2<f32>) -> @location(0) vec4<f32> {\n    return vec4<f32>(uv * scale, 0.0, 1.0);\n}\n";
    let p = Project::new(
        "wgsl-override",
        &[("a.vert", QUAD_VERT), ("b.wgsl", wgsl)],
        &manifest("a.vert", "b.wgsl", ""),
    );
    let errors = p.errors();
    let e = find(&errors, "override scale");
    assert_eq!((file_name(e), e.position.line), ("b.wgsl", 1), "{e}");
}

#[test]
fn manifest_syntax_error_has_the_ron_position() {
    let broken = "(\n    render_passes: { \"out\": (color: Target) },\n    pipelines: { \"p\": (pass: \"out\" vertex: \"a.vert\") },\n)\n";
    let p = Project::new(
        "ron-syntax",
        &[("a.vert", QUAD_VERT), ("b.frag", UV_FRAG)],
        broken,
    );
    let errors = p.errors();
    let e = errors
        .iter()
        .find(|d| file_name(d) == "pipelines.ron")
        .unwrap_or_else(|| panic!("{}", render(&errors)));
    assert_eq!(e.position.line, 3, "{e}");
    assert!(e.position.column > 20, "{e}");
}

/// A semantic manifest error, found at the line of its offending text.
fn manifest_error(name: &str, files: &[(&str, &str)], manifest: &str, needle: &str, line: u32) {
    let p = Project::new(name, files, manifest);
    let errors = p.errors();
    let e = find(&errors, needle);
    assert_eq!(
        (file_name(e), e.position.line),
        ("pipelines.ron", line),
        "{e}"
    );
}

#[test]
fn missing_shader_file_is_reported_in_the_manifest() {
    let m = manifest("a.vert", "nope.frag", "");
    manifest_error(
        "missing-shader",
        &[("a.vert", QUAD_VERT)],
        &m,
        "`nope.frag` not found",
        7,
    );
}

#[test]
fn undeclared_render_pass_is_reported_in_the_manifest() {
    let m = manifest("a.vert", "b.frag", "").replace("pass: \"out\"", "pass: \"elsewhere\"");
    manifest_error(
        "undeclared-pass",
        &[("a.vert", QUAD_VERT), ("b.frag", UV_FRAG)],
        &m,
        "render pass `elsewhere`",
        5,
    );
}

#[test]
fn unknown_instance_input_is_reported_in_the_manifest() {
    let m = manifest("a.vert", "b.frag", "instance_inputs: [\"dest\"],");
    manifest_error(
        "instance-input",
        &[("a.vert", QUAD_VERT), ("b.frag", UV_FRAG)],
        &m,
        "names `dest`",
        8,
    );
}

#[test]
fn undeclared_descriptor_set_is_reported_in_the_manifest() {
    let frag = "#version 450\nlayout(set = 0, binding = 0) uniform sampler2D tex;\nlayout(location = 0) in vec2 uv;\nlayout(location = 0) out vec4 color;\nvoid main() { color = texture(tex, uv); }\n";
    let m = manifest("a.vert", "b.frag", "");
    manifest_error(
        "undeclared-set",
        &[("a.vert", QUAD_VERT), ("b.frag", frag)],
        &m,
        "descriptor set 0",
        4,
    );
}

#[test]
fn variant_of_an_unknown_constant_is_reported_in_the_manifest() {
    let frag = "#version 450\nlayout(constant_id = 0) const bool FANCY = true;\nlayout(location = 0) in vec2 uv;\nlayout(location = 0) out vec4 color;\nvoid main() { color = FANCY ? vec4(uv, 0.0, 1.0) : vec4(0.0); }\n";
    let m = manifest(
        "a.vert",
        "b.frag",
        "variants: { \"plain\": { \"FANCYER\": false } },",
    );
    manifest_error(
        "unknown-constant",
        &[("a.vert", QUAD_VERT), ("b.frag", frag)],
        &m,
        "`FANCYER`",
        8,
    );
}

#[test]
fn fragment_shader_as_vertex_stage_is_reported_in_the_manifest() {
    let m = manifest("b.frag", "b.frag", "");
    manifest_error(
        "wrong-stage",
        &[("b.frag", UV_FRAG)],
        &m,
        "used here as the vertex stage",
        6,
    );
}

#[test]
fn fragment_input_nobody_writes_is_a_mismatch() {
    let frag = "#version 450\nlayout(location = 3) in vec2 other;\nlayout(location = 0) out vec4 color;\nvoid main() { color = vec4(other, 0.0, 1.0); }\n";
    manifest_error(
        "unwritten-input",
        &[("a.vert", QUAD_VERT), ("b.frag", frag)],
        &manifest("a.vert", "b.frag", ""),
        "at location 3",
        7,
    );
}

#[test]
fn stage_types_that_disagree_are_a_mismatch() {
    let frag = "#version 450\nlayout(location = 0) in vec4 uv;\nlayout(location = 0) out vec4 color;\nvoid main() { color = uv; }\n";
    let p = Project::new(
        "type-mismatch",
        &[("a.vert", QUAD_VERT), ("b.frag", frag)],
        &manifest("a.vert", "b.frag", ""),
    );
    let errors = p.errors();
    let e = find(&errors, "writes `vec2 uv` but b.frag reads `vec4 uv`");
    assert_eq!(file_name(e), "pipelines.ron");
}

#[test]
fn push_constants_that_disagree_across_stages_are_a_mismatch() {
    let vert = "#version 450\nlayout(push_constant) uniform P { vec4 tint; } p;\nlayout(location = 0) out vec2 uv;\nvoid main() { uv = p.tint.xy; gl_Position = vec4(0.0); }\n";
    let frag = "#version 450\nlayout(push_constant) uniform P { float alpha; } p;\nlayout(location = 0) in vec2 uv;\nlayout(location = 0) out vec4 color;\nvoid main() { color = vec4(uv, 0.0, p.alpha); }\n";
    let p = Project::new(
        "push-mismatch",
        &[("a.vert", vert), ("b.frag", frag)],
        &manifest("a.vert", "b.frag", ""),
    );
    let errors = p.errors();
    find(&errors, "push constants disagree");
}

#[test]
fn every_error_of_a_build_is_reported_at_once() {
    let bad_vert = "#version 450\nvoid main() { gl_Position = nothing; }\n";
    let bad_frag = "#version 450\nlayout(location = 0) out vec4 color;\nvoid main() { color = nothing_either; }\n";
    let m = format!(
        "(\n    render_passes: {{ \"out\": (color: Target) }},\n    pipelines: {{\n        \"p\": (pass: \"out\", vertex: \"a.vert\", fragment: \"b.frag\"),\n        \"q\": (pass: \"out\", vertex: \"good.vert\", fragment: \"good.frag\", instance_inputs: [\"nope\"]),\n    }},\n)\n"
    );
    let p = Project::new(
        "all-at-once",
        &[
            ("a.vert", bad_vert),
            ("b.frag", bad_frag),
            ("good.vert", QUAD_VERT),
            ("good.frag", UV_FRAG),
        ],
        &m,
    );
    let errors: Vec<_> = p
        .errors()
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let files: Vec<&str> = errors.iter().map(file_name).collect();
    assert!(
        files.contains(&"a.vert") && files.contains(&"b.frag") && files.contains(&"pipelines.ron"),
        "{}",
        render(&errors)
    );
    assert!(errors.len() >= 3);
}

#[test]
fn an_unused_shader_is_a_warning_not_an_error() {
    let p = Project::new(
        "unused",
        &[
            ("a.vert", QUAD_VERT),
            ("b.frag", UV_FRAG),
            ("spare.frag", UV_FRAG),
        ],
        &manifest("a.vert", "b.frag", "instance_inputs: [\"dst\"],"),
    );
    let output = p.generate();
    let warning = output
        .warnings
        .iter()
        .find(|w| file_name(w) == "spare.frag")
        .expect("a warning for spare.frag");
    assert_eq!(warning.severity, Severity::Warning);
    assert!(warning.message.contains("not used"), "{warning}");
}

#[test]
fn manifest_defines_reach_glsl_and_their_absence_is_reported() {
    let frag = "#version 450\n#ifndef TINT\n#error TINT must be defined\n#endif\nlayout(location = 0) in vec2 uv;\nlayout(location = 0) out vec4 color;\nvoid main() { color = vec4(uv, TINT, 1.0); }\n";
    let with_define = manifest("a.vert", "b.frag", "").replace(
        "fragment: \"b.frag\"",
        "fragment: (file: \"b.frag\", defines: { \"TINT\": \"0.5\" })",
    );
    let p = Project::new(
        "defines",
        &[("a.vert", QUAD_VERT), ("b.frag", frag)],
        &with_define,
    );
    let output = p.generate();
    assert!(
        output.code.contains("spirv/b.frag-"),
        "a defined variant gets its own SPIR-V file:\n{}",
        output.code
    );

    let without = Project::new(
        "no-defines",
        &[("a.vert", QUAD_VERT), ("b.frag", frag)],
        &manifest("a.vert", "b.frag", ""),
    );
    let errors = without.errors();
    let e = find(&errors, "TINT must be defined");
    assert_eq!((file_name(e), e.position.line), ("b.frag", 3), "{e}");
}
