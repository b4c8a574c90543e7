//! Every class of error the builder reports, each with the position it is reported at: the
//! shader file (GLSL, an included file, WGSL) or the line of `pipelines.ron` where the
//! offending text is. Also: all errors of a run come back together, and an unused shader
//! is only a warning.

mod common;

use common::*;
use vkcompose_codegen::Severity;

// ---------------------------------------------------------------------------------------
// GLSL

#[test]
fn glsl_undeclared_identifier_is_reported_at_its_line_in_the_fragment_shader() {
    let frag = "\
#version 450
layout(location = 0) out vec4 out_color;
void main() {
    out_color = vec4(brightness);
}
";
    let dir = project(
        "glsl-undeclared",
        &[("a.vert", PLAIN_VERT), ("a.frag", frag)],
        &manifest("a.vert", "a.frag"),
    );
    let errors = errors(&dir);
    let error = find(&errors, "a.frag", "undeclared identifier");
    assert!(error.message.contains("brightness"), "{error}");
    let (line, column) = position_of(frag, "brightness");
    assert_eq!(line, 4);
    assert_at(error, line, column);
}

#[test]
fn glsl_error_in_an_included_file_is_reported_at_the_included_file() {
    let common = "\
// Shared lighting helpers.
float brighten(float x) {
    return x * missing_factor;
}
";
    let frag = "\
#version 450
#include \"common.glsl\"
layout(location = 0) out vec4 out_color;
void main() {
    out_color = vec4(brighten(0.5));
}
";
    let dir = project(
        "glsl-include",
        &[
            ("a.vert", PLAIN_VERT),
            ("a.frag", frag),
            ("include/common.glsl", common),
        ],
        &manifest("a.vert", "a.frag"),
    );
    let errors = errors(&dir);
    let error = find(&errors, "include/common.glsl", "missing_factor");
    let (line, column) = position_of(common, "missing_factor");
    assert_eq!(line, 3);
    assert_at(error, line, column);
    assert!(
        !errors
            .iter()
            .any(|e| e.path.ends_with("a.frag") && e.message.contains("missing_factor")),
        "the error must not be attributed to the including file:\n{}",
        list(&errors)
    );
}

// ---------------------------------------------------------------------------------------
// WGSL

#[test]
fn wgsl_parse_error_is_reported_at_its_line_and_column() {
    let wgsl = "\
@fragment
fn main() -> @location(0) vec4<f32> {
    let x = 1.0 + ;
    return vec4<f32>(x);
}
";
    let dir = project(
        "wgsl-parse",
        &[("a.vert", PLAIN_VERT), ("a.wgsl", wgsl)],
        &manifest("a.vert", "a.wgsl"),
    );
    let errors = errors(&dir);
    let error = find(&errors, "a.wgsl", "expected expression");
    // naga points at the token where an expression was expected: the `;`.
    let (line, column) = position_of(wgsl, ";");
    assert_eq!(line, 3);
    assert_at(error, line, column);
}

#[test]
fn wgsl_validation_error_at_a_global_is_reported_at_its_declaration() {
    // Parses, but a `bool` cannot live in a uniform buffer: the validator rejects it.
    let wgsl = "\
// A flag the host sets.
@group(0) @binding(0)
var<uniform> enabled: bool;

@fragment
fn main() -> @location(0) vec4<f32> {
    return vec4<f32>(select(0.0, 1.0, enabled));
}
";
    let dir = project(
        "wgsl-validation-global",
        &[("a.vert", PLAIN_VERT), ("a.wgsl", wgsl)],
        &manifest("a.vert", "a.wgsl"),
    );
    let errors = errors(&dir);
    let error = find(&errors, "a.wgsl", "enabled");
    let (line, column) = position_of(wgsl, "var<uniform>");
    assert_eq!(line, 3);
    assert_on_line(error, line, column..=column + "var<uniform> ".len() as u32);
}

#[test]
fn wgsl_type_mismatch_is_reported_at_the_offending_expression() {
    // Parses, but returns a vec2 from a function declared to return a vec4.
    let wgsl = "\
// Tint helper.
fn tint() -> vec4<f32> {
    let half = 0.5;
    return vec2<f32>(half, 1.0);
}

@fragment
fn main() -> @location(0) vec4<f32> {
    return tint();
}
";
    let dir = project(
        "wgsl-validation-mismatch",
        &[("a.vert", PLAIN_VERT), ("a.wgsl", wgsl)],
        &manifest("a.vert", "a.wgsl"),
    );
    let errors = errors(&dir);
    let error = find(&errors, "a.wgsl", "return");
    // Today: 2:1, the start of `fn tint`. naga's innermost span is the returned value.
    let (line, column) = position_of(wgsl, "return vec2");
    assert_eq!(line, 4);
    assert_on_line(error, line, column..=column + "return ".len() as u32);
}

#[test]
fn wgsl_override_without_an_id_is_reported_at_its_declaration() {
    let wgsl = "\
// Variants set overrides by id, so each needs one.

override scale: f32 = 1.0;

@fragment
fn main() -> @location(0) vec4<f32> {
    return vec4<f32>(scale);
}
";
    let dir = project(
        "wgsl-override",
        &[("a.vert", PLAIN_VERT), ("a.wgsl", wgsl)],
        &manifest("a.vert", "a.wgsl"),
    );
    let errors = errors(&dir);
    let error = find(&errors, "a.wgsl", "override scale");
    assert!(error.message.contains("needs an `@id(N)`"), "{error}");
    // The span starts at the `override` keyword or at the name, depending on naga.
    let (line, column) = position_of(wgsl, "override scale");
    assert_eq!(line, 3);
    assert_on_line(error, line, column..=column + "override ".len() as u32);
}

#[test]
fn wgsl_override_without_a_default_or_a_value_is_an_error() {
    let wgsl = "\
@id(0) override scale: f32;

@fragment
fn main() -> @location(0) vec4<f32> {
    return vec4<f32>(scale);
}
";
    let dir = project(
        "wgsl-override-no-value",
        &[("a.vert", PLAIN_VERT), ("a.wgsl", wgsl)],
        &manifest("a.vert", "a.wgsl"),
    );
    let errors = errors(&dir);
    let error = find(&errors, "a.wgsl", "override");
    assert!(
        error.message.contains("cannot set the overrides"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------
// The manifest

#[test]
fn manifest_syntax_error_is_reported_at_the_ron_position() {
    let ron = r#"(
    render_passes: { "output": (color: Target) },
    pipelines: {
        "main": (pass: "output" vertex: "a.vert", fragment: "a.frag"),
    },
)
"#;
    let dir = project(
        "ron-syntax",
        &[("a.vert", PLAIN_VERT), ("a.frag", PLAIN_FRAG)],
        ron,
    );
    let errors = errors(&dir);
    assert_eq!(errors.len(), 1, "{}", list(&errors));
    let error = &errors[0];
    assert!(error.path.ends_with("pipelines.ron"), "{error}");
    assert!(error.message.to_lowercase().contains("comma"), "{error}");
    // At the `vertex` that should have followed a comma.
    let (line, column) = position_of(ron, "vertex:");
    assert_eq!(line, 4);
    assert_at(error, line, column);
}

/// A manifest of one pipeline `main` with extra fields, over `a.vert` and `a.frag`.
fn manifest_with(fields: &str) -> String {
    format!(
        r#"(
    render_passes: {{ "output": (color: Target) }},
    pipelines: {{
        "main": (
            pass: "output",
            vertex: "a.vert",
            fragment: "a.frag",
{fields}
        ),
    }},
)
"#
    )
}

#[test]
fn manifest_naming_a_missing_shader_is_reported_at_the_file_name() {
    let ron = r#"(
    render_passes: { "output": (color: Target) },
    pipelines: {
        "main": (
            pass: "output",
            vertex: "a.vert",
            fragment: "missing.frag",
        ),
    },
)
"#;
    let dir = project("ron-missing-shader", &[("a.vert", PLAIN_VERT)], ron);
    let errors = errors(&dir);
    let error = find(&errors, "pipelines.ron", "missing.frag");
    assert!(error.message.contains("not found"), "{error}");
    let (line, column) = position_of(ron, "\"missing.frag\"");
    assert_eq!(line, 7);
    assert_at(error, line, column);
}

#[test]
fn manifest_using_an_undeclared_render_pass_is_reported_at_the_pass_name() {
    let ron = r#"(
    render_passes: { "output": (color: Target) },
    pipelines: {
        "main": (
            vertex: "a.vert",
            fragment: "a.frag",
            pass: "offscreen",
        ),
    },
)
"#;
    let dir = project(
        "ron-undeclared-pass",
        &[("a.vert", PLAIN_VERT), ("a.frag", PLAIN_FRAG)],
        ron,
    );
    let errors = errors(&dir);
    let error = find(&errors, "pipelines.ron", "render pass `offscreen`");
    let (line, column) = position_of(ron, "\"offscreen\"");
    assert_eq!(line, 7);
    assert_at(error, line, column);
}

#[test]
fn manifest_instance_input_that_the_vertex_shader_lacks_is_reported_at_its_name() {
    let vert = "\
#version 450
layout(location = 0) in vec4 dst;
void main() {
    gl_Position = dst;
}
";
    let ron = manifest_with(r#"            instance_inputs: ["dst", "colour"],"#);
    let dir = project(
        "ron-instance-input",
        &[("a.vert", vert), ("a.frag", PLAIN_FRAG)],
        &ron,
    );
    let errors = errors(&dir);
    let error = find(&errors, "pipelines.ron", "`colour`");
    assert!(
        error.message.contains("`dst`"),
        "lists the real inputs: {error}"
    );
    let (line, column) = position_of(&ron, "\"colour\"");
    assert_eq!(line, 8);
    assert_at(error, line, column);
}

const TEXTURED_FRAG: &str = "\
#version 450
layout(set = 0, binding = 0) uniform sampler2D tex;
layout(location = 0) out vec4 out_color;
void main() {
    out_color = texture(tex, vec2(0.5));
}
";

#[test]
fn manifest_missing_a_descriptor_set_the_shader_uses_is_reported_at_the_pipeline() {
    let ron = manifest_with("");
    let dir = project(
        "ron-undeclared-set",
        &[("a.vert", PLAIN_VERT), ("a.frag", TEXTURED_FRAG)],
        &ron,
    );
    let errors = errors(&dir);
    let error = find(&errors, "pipelines.ron", "descriptor set 0");
    assert!(error.message.contains("`tex`"), "{error}");
    // No `sets` field to point at: the pipeline's own entry.
    let (line, column) = position_of(&ron, "\"main\"");
    assert_eq!(line, 4);
    assert_at(error, line, column);
}

#[test]
fn manifest_declaring_the_wrong_descriptor_set_is_reported_at_its_sets_field() {
    let ron = manifest_with(r#"            sets: { 1: "Textured" },"#);
    let dir = project(
        "ron-wrong-set",
        &[("a.vert", PLAIN_VERT), ("a.frag", TEXTURED_FRAG)],
        &ron,
    );
    let errors = errors(&dir);
    let error = find(&errors, "pipelines.ron", "descriptor set 0");
    let (line, column) = position_of(&ron, "sets:");
    assert_eq!(line, 8);
    assert_at(error, line, column);
}

#[test]
fn manifest_missing_descriptor_set_is_not_reported_inside_another_pipeline() {
    let ron = r#"(
    render_passes: { "output": (color: Target) },
    pipelines: {
        "bare": (pass: "output", vertex: "a.vert", fragment: "a.frag"),
        "textured": (
            pass: "output",
            vertex: "a.vert",
            fragment: "b.frag",
            sets: { 0: "Textured" },
        ),
    },
)
"#;
    let dir = project(
        "ron-set-other-pipeline",
        &[
            ("a.vert", PLAIN_VERT),
            ("a.frag", TEXTURED_FRAG),
            ("b.frag", TEXTURED_FRAG),
        ],
        ron,
    );
    let errors = errors(&dir);
    let error = find(&errors, "pipelines.ron", "pipeline `bare`");
    let (line, _) = position_of(ron, "\"bare\"");
    assert_eq!(error.position.line, line, "{error}");
}

#[test]
fn manifest_variant_setting_an_unknown_constant_is_reported_at_the_constant() {
    let frag = "\
#version 450
layout(constant_id = 0) const int LEVEL = 1;
layout(location = 0) out vec4 out_color;
void main() {
    out_color = vec4(float(LEVEL));
}
";
    let ron = manifest_with(
        r#"            variants: {
                "low": { "LEVEL": 0 },
                "high": { "QUALITY": 2 },
            },"#,
    );
    let dir = project(
        "ron-unknown-constant",
        &[("a.vert", PLAIN_VERT), ("a.frag", frag)],
        &ron,
    );
    let errors = errors(&dir);
    assert_eq!(errors.len(), 1, "{}", list(&errors));
    let error = find(&errors, "pipelines.ron", "`QUALITY`");
    assert!(
        error.message.contains("`LEVEL`"),
        "lists the real ones: {error}"
    );
    let (line, column) = position_of(&ron, "\"QUALITY\"");
    assert_eq!(line, 10);
    assert_at(error, line, column);
}

#[test]
fn manifest_using_a_fragment_shader_as_the_vertex_stage_is_reported_at_the_file_name() {
    let ron = r#"(
    render_passes: { "output": (color: Target) },
    pipelines: {
        "main": (
            pass: "output",
            vertex: "a.frag",
            fragment: "a.frag",
        ),
    },
)
"#;
    let dir = project("ron-wrong-stage", &[("a.frag", PLAIN_FRAG)], ron);
    let errors = errors(&dir);
    let error = find(&errors, "pipelines.ron", "used here as the vertex stage");
    let (line, column) = position_of(ron, "\"a.frag\"");
    assert_eq!(line, 6);
    assert_at(error, line, column);
}

#[test]
fn a_fragment_shader_used_as_the_vertex_stage_is_reported_only_in_the_manifest() {
    let dir = project(
        "ron-wrong-stage-once",
        &[("a.frag", PLAIN_FRAG)],
        &manifest("a.frag", "a.frag"),
    );
    let errors = errors(&dir);
    assert_eq!(errors.len(), 1, "{}", list(&errors));
    assert!(errors[0].path.ends_with("pipelines.ron"), "{}", errors[0]);
}

// ---------------------------------------------------------------------------------------
// The manifest: immutable samplers

/// Set 0: a sampler, a uniform buffer and an array of samplers.
const MIXED_FRAG: &str = "\
#version 450
layout(set = 0, binding = 0) uniform sampler2D tex;
layout(set = 0, binding = 1) uniform Tint { vec4 tint; };
layout(set = 0, binding = 2) uniform sampler2D layers[2];
layout(location = 0) out vec4 out_color;
void main() {
    out_color = texture(tex, vec2(0.5)) * tint + texture(layers[1], vec2(0.5));
}
";

#[test]
fn immutable_samplers_on_a_buffer_an_array_or_a_missing_binding_are_reported_at_the_binding() {
    let ron = manifest_with(
        r#"            sets: { 0: "Mixed" },
            immutable_samplers: { 0: [0, 1, 2, 5] },"#,
    );
    let dir = project(
        "ron-immutable-bindings",
        &[("a.vert", PLAIN_VERT), ("a.frag", MIXED_FRAG)],
        &ron,
    );
    let errors = errors(&dir);
    assert_eq!(errors.len(), 3, "binding 0 is fine:\n{}", list(&errors));
    let (line, list_start) = position_of(&ron, "[0, 1, 2, 5]");
    assert_eq!(line, 9);
    // The columns of `1`, `2` and `5` in the list.
    let column = |offset: u32| list_start + offset;

    let buffer = find(&errors, "pipelines.ron", "binding 1 `");
    assert!(buffer.message.contains("uniform buffer"), "{buffer}");
    assert!(
        buffer.message.contains("not a combined image sampler"),
        "{buffer}"
    );
    assert_at(buffer, line, column(4));

    let array = find(&errors, "pipelines.ron", "binding 2 `layers`");
    assert!(array.message.contains("array"), "{array}");
    assert_at(array, line, column(7));

    let missing = find(&errors, "pipelines.ron", "binding 5");
    assert!(
        missing.message.contains("0 `tex`"),
        "lists the set's bindings: {missing}"
    );
    assert_at(missing, line, column(10));
}

#[test]
fn immutable_samplers_naming_a_set_no_stage_uses_are_reported_at_the_set() {
    let ron = manifest_with(
        r#"            sets: { 0: "Textured" },
            immutable_samplers: { 0: [0], 3: [0] },"#,
    );
    let dir = project(
        "ron-immutable-set",
        &[("a.vert", PLAIN_VERT), ("a.frag", TEXTURED_FRAG)],
        &ron,
    );
    let errors = errors(&dir);
    assert_eq!(errors.len(), 1, "{}", list(&errors));
    let error = find(&errors, "pipelines.ron", "set 3");
    assert!(error.message.contains("sets used: `0`"), "{error}");
    let (line, column) = position_of(&ron, "3: [0]");
    assert_eq!(line, 9);
    assert_at(error, line, column);
}

#[test]
fn one_set_name_with_and_without_immutable_samplers_is_an_error_asking_for_another_name() {
    let ron = r#"(
    render_passes: { "output": (color: Target) },
    pipelines: {
        "plain": (pass: "output", vertex: "a.vert", fragment: "a.frag",
            sets: { 0: "Textured" }),
        "yuv": (pass: "output", vertex: "a.vert", fragment: "a.frag",
            sets: { 0: "Textured" }, immutable_samplers: { 0: [0] }),
    },
)
"#;
    let dir = project(
        "ron-immutable-set-name",
        &[("a.vert", PLAIN_VERT), ("a.frag", TEXTURED_FRAG)],
        ron,
    );
    let errors = errors(&dir);
    assert_eq!(errors.len(), 1, "{}", list(&errors));
    let error = find(&errors, "pipelines.ron", "pipeline `yuv`");
    assert!(
        error.message.contains("immutable samplers differ"),
        "{error}"
    );
    assert!(error.message.contains("its own name"), "{error}");
    // At the set name in the second pipeline's entry.
    let entry = ron.find("\"yuv\"").unwrap();
    let (line, column) = position_of(&ron[entry..], "\"Textured\"");
    let (entry_line, _) = position_of(ron, "\"yuv\"");
    assert_at(error, entry_line + line - 1, column);
}

// ---------------------------------------------------------------------------------------
// Reflection: the stages against each other

/// A manifest with the fragment file on a line of its own, line 7.
fn manifest_of(vertex: &str, fragment: &str) -> String {
    format!(
        r#"(
    render_passes: {{ "output": (color: Target) }},
    pipelines: {{
        "main": (
            pass: "output",
            vertex: "{vertex}",
            fragment: "{fragment}",
        ),
    }},
)
"#
    )
}

#[test]
fn fragment_reading_a_location_the_vertex_stage_does_not_write_is_an_error() {
    let vert = "\
#version 450
layout(location = 0) out vec4 v_color;
void main() {
    v_color = vec4(1.0);
    gl_Position = vec4(0.0);
}
";
    let frag = "\
#version 450
layout(location = 0) in vec4 v_color;
layout(location = 1) in vec2 v_uv;
layout(location = 0) out vec4 out_color;
void main() {
    out_color = v_color * v_uv.x;
}
";
    let ron = manifest_of("a.vert", "a.frag");
    let dir = project(
        "reflect-missing-location",
        &[("a.vert", vert), ("a.frag", frag)],
        &ron,
    );
    let errors = errors(&dir);
    assert_eq!(errors.len(), 1, "{}", list(&errors));
    let error = find(&errors, "pipelines.ron", "location 1");
    assert!(error.message.contains("v_uv"), "{error}");
    let (line, _) = position_of(&ron, "fragment: ");
    assert_eq!(line, 7);
    assert_on_line(error, line, 13..=24);
}

#[test]
fn vertex_and_fragment_disagreeing_on_a_location_type_is_an_error() {
    let vert = "\
#version 450
layout(location = 0) out vec2 v_uv;
void main() {
    v_uv = vec2(1.0);
    gl_Position = vec4(0.0);
}
";
    let frag = "\
#version 450
layout(location = 0) in vec4 v_uv;
layout(location = 0) out vec4 out_color;
void main() {
    out_color = v_uv;
}
";
    let ron = manifest_of("a.vert", "a.frag");
    let dir = project(
        "reflect-location-type",
        &[("a.vert", vert), ("a.frag", frag)],
        &ron,
    );
    let errors = errors(&dir);
    assert_eq!(errors.len(), 1, "{}", list(&errors));
    let error = find(&errors, "pipelines.ron", "location 0");
    assert!(error.message.contains("`vec2 v_uv`"), "{error}");
    assert!(error.message.contains("`vec4 v_uv`"), "{error}");
    assert_on_line(error, 7, 13..=24);
}

#[test]
fn push_constants_with_different_types_at_one_offset_are_an_error() {
    let vert = "\
#version 450
layout(push_constant) uniform Push { vec4 tint; } push;
void main() {
    gl_Position = push.tint;
}
";
    let frag = "\
#version 450
layout(push_constant) uniform Push { float tint; } push;
layout(location = 0) out vec4 out_color;
void main() {
    out_color = vec4(push.tint);
}
";
    let ron = manifest_of("a.vert", "a.frag");
    let dir = project(
        "reflect-push-mismatch",
        &[("a.vert", vert), ("a.frag", frag)],
        &ron,
    );
    let errors = errors(&dir);
    assert_eq!(errors.len(), 1, "{}", list(&errors));
    let error = find(&errors, "pipelines.ron", "push constants disagree");
    assert!(error.message.contains("`vec4 tint`"), "{error}");
    assert!(error.message.contains("`float tint`"), "{error}");
    assert!(error.message.contains("offset 0"), "{error}");
    assert_on_line(error, 7, 13..=24);
}

// ---------------------------------------------------------------------------------------
// All at once

#[test]
fn two_broken_shaders_and_a_manifest_error_are_all_reported_in_one_run() {
    let broken_frag = "\
#version 450
layout(location = 0) out vec4 out_color;
void main() {
    out_color = vec4(undefined_in_fragment);
}
";
    let broken_vert = "\
#version 450
void main() {
    gl_Position = undefined_in_vertex;
}
";
    let ron = r#"(
    render_passes: { "output": (color: Target) },
    pipelines: {
        "first": (pass: "output", vertex: "a.vert", fragment: "broken.frag"),
        "second": (pass: "output", vertex: "broken.vert", fragment: "a.frag"),
        "third": (pass: "nowhere", vertex: "a.vert", fragment: "a.frag"),
    },
)
"#;
    let dir = project(
        "all-at-once",
        &[
            ("a.vert", PLAIN_VERT),
            ("a.frag", PLAIN_FRAG),
            ("broken.frag", broken_frag),
            ("broken.vert", broken_vert),
        ],
        ron,
    );
    let errors = errors(&dir);
    assert!(errors.len() >= 3, "{}", list(&errors));
    assert_on_line(
        find(&errors, "broken.frag", "undefined_in_fragment"),
        4,
        1..=40,
    );
    assert_on_line(
        find(&errors, "broken.vert", "undefined_in_vertex"),
        3,
        1..=40,
    );
    let pass = find(&errors, "pipelines.ron", "`nowhere`");
    assert_eq!(pass.position.line, 6, "{pass}");
}

#[test]
fn an_unused_shader_is_a_warning_and_generation_succeeds() {
    let dir = project(
        "unused-shader",
        &[
            ("a.vert", PLAIN_VERT),
            ("a.frag", PLAIN_FRAG),
            ("spare.frag", PLAIN_FRAG),
        ],
        &manifest("a.vert", "a.frag"),
    );
    let output = generate(&dir);
    let warning = find(&output.warnings, "spare.frag", "not used");
    assert_eq!(warning.severity, Severity::Warning);
    assert_eq!(output.warnings.len(), 1, "{}", list(&output.warnings));
    assert!(output.path.is_file());
}

#[test]
fn manifest_defines_reach_glsl_and_a_missing_one_is_reported_at_its_error_directive() {
    let frag = "#version 450\n#ifndef TINT\n#error TINT must be defined\n#endif\nlayout(location = 0) out vec4 out_color;\nvoid main() { out_color = vec4(TINT); }\n";
    let with_define = manifest("a.vert", "a.frag").replace(
        "fragment: \"a.frag\"",
        "fragment: (file: \"a.frag\", defines: { \"TINT\": \"0.5\" })",
    );
    let dir = project(
        "defines",
        &[("a.vert", PLAIN_VERT), ("a.frag", frag)],
        &with_define,
    );
    let output = generate(&dir);
    // A shader compiled with its own macros gets its own SPIR-V file.
    assert_contains(&output.code, "spirv/a.frag-");

    let dir = project(
        "defines-missing",
        &[("a.vert", PLAIN_VERT), ("a.frag", frag)],
        &manifest("a.vert", "a.frag"),
    );
    let errors = errors(&dir);
    let error = find(&errors, "a.frag", "TINT must be defined");
    assert_eq!(error.position.line, 3, "{error}");
}

/// A render pass `shared` with another crate names a Rust type: the generated code is an
/// alias with a compile-time check of the description; anything but a path is an error
/// at the pass.
#[test]
fn a_shared_render_pass_is_an_alias_and_a_bad_path_an_error_at_it() {
    let good = manifest("a.vert", "a.frag").replace(
        "(color: Target)",
        r#"(color: Target, shared: "::other::passes::Output")"#,
    );
    let files = [("a.vert", PLAIN_VERT), ("a.frag", PLAIN_FRAG)];
    let dir = project("err-shared-pass-good", &files, &good);
    let code = generate(&dir).code;
    assert_contains_flat(&code, "pub type Output = ::other::passes::Output;");
    assert_contains_flat(&code, ".same_as(");
    let bad = good.replace("::other::passes::Output", "not a path!");
    let dir = project("err-shared-pass-bad", &files, &bad);
    let errors = errors(&dir);
    let error = find(&errors, "pipelines.ron", "must be a Rust type path");
    assert_eq!(error.position.line, 2, "at the pass: {error}");
}
