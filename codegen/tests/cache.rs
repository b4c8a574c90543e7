//! The compile cache: with `cache(true)` and a fixed output directory, a rerun compiles
//! nothing that did not change; editing a shader recompiles it alone, and editing an
//! included file recompiles exactly the shaders that include it.

mod common;

use std::path::Path;

use common::*;
use vkcompose_codegen::Output;

const QUAD_VERT: &str = "\
#version 450
layout(location = 0) out vec2 v_uv;
void main() {
    v_uv = vec2(float(gl_VertexIndex & 1), float(gl_VertexIndex >> 1));
    gl_Position = vec4(v_uv * 2.0 - 1.0, 0.0, 1.0);
}
";

const PLAIN_UV_FRAG: &str = "\
#version 450
layout(location = 0) in vec2 v_uv;
layout(location = 0) out vec4 out_color;
void main() {
    out_color = vec4(v_uv, 0.0, 1.0);
}
";

const LIGHT_GLSL: &str = "\
float light(vec2 uv) {
    return uv.x * 0.5;
}
";

const LIT_FRAG: &str = "\
#version 450
#include \"light.glsl\"
layout(location = 0) in vec2 v_uv;
layout(location = 0) out vec4 out_color;
void main() {
    out_color = vec4(light(v_uv));
}
";

const GLOW_FRAG: &str = "\
#version 450
#include \"light.glsl\"
layout(location = 0) in vec2 v_uv;
layout(location = 0) out vec4 out_color;
void main() {
    out_color = vec4(light(v_uv) * 2.0);
}
";

const MANIFEST: &str = r#"(
    render_passes: { "output": (color: Target) },
    pipelines: {
        "plain": (pass: "output", vertex: "quad.vert", fragment: "plain.frag"),
        "lit": (pass: "output", vertex: "quad.vert", fragment: "lit.frag"),
        "glow": (pass: "output", vertex: "quad.vert", fragment: "glow.frag"),
    },
)
"#;

/// Four shaders, two of which include `include/light.glsl`.
const SHADERS: usize = 4;

fn cached_project(name: &str) -> std::path::PathBuf {
    project(
        name,
        &[
            ("quad.vert", QUAD_VERT),
            ("plain.frag", PLAIN_UV_FRAG),
            ("lit.frag", LIT_FRAG),
            ("glow.frag", GLOW_FRAG),
            ("include/light.glsl", LIGHT_GLSL),
        ],
        MANIFEST,
    )
}

/// One run with the cache in the project's output directory.
fn run(dir: &Path) -> Output {
    builder(dir)
        .cache(true)
        .generate()
        .unwrap_or_else(|failure| panic!("the project must build, but:\n{failure}"))
}

#[track_caller]
fn assert_counts(output: &Output, compiled: usize, cached: usize) {
    assert_eq!(
        (output.compiled, output.cached),
        (compiled, cached),
        "(compiled, cached)"
    );
}

#[test]
fn first_run_compiles_every_shader() {
    let dir = cached_project("cache-first");
    assert_counts(&run(&dir), SHADERS, 0);
}

#[test]
fn unchanged_rerun_takes_every_shader_from_the_cache() {
    let dir = cached_project("cache-unchanged");
    let first = run(&dir);
    let second = run(&dir);
    assert_counts(&second, 0, SHADERS);
    assert_eq!(
        first.code, second.code,
        "the cache changes nothing generated"
    );
    // The inputs to watch still include the include file, though nothing was compiled.
    assert_eq!(first.inputs, second.inputs);
    assert!(
        second
            .inputs
            .iter()
            .any(|p| p.ends_with("include/light.glsl")),
        "{:?}",
        second.inputs
    );
}

#[test]
fn editing_one_shader_recompiles_only_that_shader() {
    let dir = cached_project("cache-edit-shader");
    run(&dir);
    write(
        &dir,
        "plain.frag",
        &PLAIN_UV_FRAG.replace("0.0, 1.0)", "0.5, 1.0)"),
    );
    assert_counts(&run(&dir), 1, SHADERS - 1);
    assert_counts(&run(&dir), 0, SHADERS);
}

#[test]
fn editing_an_include_recompiles_only_the_shaders_that_include_it() {
    let dir = cached_project("cache-edit-include");
    run(&dir);
    write(
        &dir,
        "include/light.glsl",
        &LIGHT_GLSL.replace("0.5", "0.25"),
    );
    // lit.frag and glow.frag include it; quad.vert and plain.frag do not.
    assert_counts(&run(&dir), 2, SHADERS - 2);
    assert_counts(&run(&dir), 0, SHADERS);
}

#[test]
fn edited_shader_output_is_used_not_the_stale_cache() {
    let dir = cached_project("cache-fresh-spirv");
    run(&dir);
    let spirv = dir.join("out/spirv/plain.frag.spv");
    let before = std::fs::read(&spirv).unwrap();
    write(
        &dir,
        "plain.frag",
        &PLAIN_UV_FRAG.replace("0.0, 1.0)", "0.5, 1.0)"),
    );
    run(&dir);
    assert_ne!(
        before,
        std::fs::read(&spirv).unwrap(),
        "the written SPIR-V follows the edit"
    );
}

#[test]
fn compiler_warnings_are_reported_again_when_the_shader_comes_from_the_cache() {
    let frag = "\
#version 450
#extension GL_EXT_no_such_extension : enable
layout(location = 0) in vec2 v_uv;
layout(location = 0) out vec4 out_color;
void main() {
    out_color = vec4(v_uv, 0.0, 1.0);
}
";
    let dir = project(
        "cache-warnings",
        &[("quad.vert", QUAD_VERT), ("plain.frag", frag)],
        r#"(
    render_passes: { "output": (color: Target) },
    pipelines: { "plain": (pass: "output", vertex: "quad.vert", fragment: "plain.frag") },
)
"#,
    );
    let first = run(&dir);
    let warning = find(&first.warnings, "plain.frag", "GL_EXT_no_such_extension");
    assert_at(warning, 2, 1);
    let second = run(&dir);
    assert_counts(&second, 0, 2);
    assert_eq!(first.warnings, second.warnings);
}
