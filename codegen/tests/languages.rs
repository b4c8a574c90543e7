//! GLSL and WGSL are two front ends to one model: the same push-constant block written in
//! either language must generate the same Rust struct.

mod common;

use common::*;

const GLSL_VERT: &str = "\
#version 450
layout(push_constant) uniform Push {
    vec4 color;
    vec2 offset;
    float scale;
} push;
void main() {
    gl_Position = push.color + vec4(push.offset * push.scale, 0.0, 0.0);
}
";

const WGSL_VERT: &str = "\
struct Push {
    color: vec4<f32>,
    offset: vec2<f32>,
    scale: f32,
}

var<immediate> push: Push;

@vertex
fn main() -> @builtin(position) vec4<f32> {
    return push.color + vec4<f32>(push.offset * push.scale, 0.0, 0.0);
}
";

/// The code generated for a pipeline `main` of `vertex` (named `file`) and a trivial
/// fragment stage.
fn generated(name: &str, file: &str, vertex: &str) -> String {
    let dir = project(
        name,
        &[(file, vertex), ("a.frag", PLAIN_FRAG)],
        &manifest(file, "a.frag"),
    );
    generate(&dir).code
}

#[test]
fn glsl_push_constants_generate_one_push_struct_with_the_members() {
    let code = generated("lang-glsl-push", "a.vert", GLSL_VERT);
    assert_eq!(code.matches("pub struct Push {").count(), 1, "{code}");
    let block = struct_block(&code, "main", "Push");
    assert_contains(&block, "pub color: [f32; 4],");
    assert_contains(&block, "pub offset: [f32; 2],");
    assert_contains(&block, "pub scale: f32,");
}

#[test]
fn wgsl_push_constant_members_keep_their_names_and_offsets() {
    let code = generated("lang-wgsl-members", "a.wgsl", WGSL_VERT);
    assert_contains(&code, "pub color: [f32; 4],");
    assert_contains(&code, "pub offset: [f32; 2],");
    assert_contains(&code, "pub scale: f32,");
    assert_contains(
        &code,
        "const _: [(); 16] = [(); core::mem::offset_of!(Push, offset)];",
    );
    assert_contains(
        &code,
        "const _: [(); 24] = [(); core::mem::offset_of!(Push, scale)];",
    );
}

#[test]
fn glsl_and_wgsl_push_constants_generate_the_same_struct() {
    let glsl = generated("lang-same-glsl", "a.vert", GLSL_VERT);
    let wgsl = generated("lang-same-wgsl", "a.wgsl", WGSL_VERT);
    for code in [&glsl, &wgsl] {
        assert_eq!(
            code.matches("pub struct Push {").count(),
            1,
            "one Push struct in:\n{code}"
        );
    }
    let from_glsl = struct_block(&glsl, "main", "Push");
    let from_wgsl = struct_block(&wgsl, "main", "Push");
    assert_eq!(
        from_glsl, from_wgsl,
        "GLSL generated:\n{from_glsl}\nWGSL generated:\n{from_wgsl}"
    );
}

const WGSL_VARIANT_FRAG: &str = "\
@id(3) override LEVEL: u32 = 1u;
@id(4) override BRIGHT: bool = false;

@fragment
fn main() -> @location(0) vec4<f32> {
    var level = f32(LEVEL) / 4.0;
    if BRIGHT {
        level = 1.0;
    }
    return vec4<f32>(level);
}
";

/// WGSL `override`s are variants as GLSL spec constants are: the same generated enum and
/// constants, but one SPIR-V module per variant with the values folded in.
#[test]
fn wgsl_overrides_make_one_module_per_variant() {
    let ron = r#"(
    render_passes: { "output": (color: Target) },
    pipelines: {
        "main": (pass: "output", vertex: "a.vert", fragment: "a.wgsl",
            variants: { "dim": { "LEVEL": 2 }, "bright": { "BRIGHT": true }, "plain": {} }),
    },
)
"#;
    let dir = project(
        "lang-wgsl-variants",
        &[("a.vert", PLAIN_VERT), ("a.wgsl", WGSL_VARIANT_FRAG)],
        ron,
    );
    let code = generate(&dir).code;
    assert_contains(&code, "`uint LEVEL` (id 3)");
    assert_contains(&code, "`bool BRIGHT` (id 4)");
    assert_contains(&code, "/// Variant `dim`: `LEVEL` = 2.");
    let flat_code = flat(&code);
    assert!(
        !flat_code.contains("name: \"dim\", constants: &[rt::SpecConstant { id: 3, value: rt::SpecValue::U32(2) }], vertex: None, fragment: None"),
        "a WGSL stage's variant has its own module:\n{code}"
    );
    // The variants' modules: three files, of different SPIR-V where the values differ.
    let modules: Vec<String> = ["bright", "dim", "plain"]
        .iter()
        .map(|v| {
            let start = flat_code.find(&format!("name: \"{v}\"")).unwrap();
            let rest = &flat_code[start..];
            let fragment = &rest[rest.find("fragment: Some").expect("a module per variant")..];
            let path = fragment.split('"').nth(1).unwrap().to_string();
            path
        })
        .collect();
    let bytes: Vec<Vec<u8>> = modules
        .iter()
        .map(|m| std::fs::read(dir.join("out").join(m)).unwrap())
        .collect();
    assert!(bytes
        .iter()
        .all(|b| b.len() > 20 && b[..4] == [0x03, 0x02, 0x23, 0x07]));
    assert_ne!(bytes[0], bytes[1], "bright and dim fold different values");
    assert_ne!(bytes[1], bytes[2], "dim and plain fold different values");
}

/// One WGSL file, two fragment entry points with their own push blocks: two pipelines of
/// it share the module's SPIR-V but not their types (each gets its own `Push`).
#[test]
fn wgsl_entry_points_of_one_file_get_their_own_types() {
    let wgsl = "\
struct Quad { target_size: vec2<f32> }
struct Tint { target_size: vec2<f32>, tint: vec4<f32> }
struct Fade { target_size: vec2<f32>, fade: f32 }
var<immediate> quad: Quad;
var<immediate> tint: Tint;
var<immediate> fade: Fade;

@vertex
fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    return vec4<f32>(f32(i) / quad.target_size.x, 0.0, 0.0, 1.0);
}
@fragment
fn fs_tint() -> @location(0) vec4<f32> { return tint.tint; }
@fragment
fn fs_fade() -> @location(0) vec4<f32> { return vec4<f32>(fade.fade); }
";
    let manifest = r#"(
    render_passes: { "output": (color: Target) },
    pipelines: {
        "tinted": (pass: "output", vertex: (file: "e.wgsl", entry: "vs"), fragment: (file: "e.wgsl", entry: "fs_tint")),
        "faded": (pass: "output", vertex: (file: "e.wgsl", entry: "vs"), fragment: (file: "e.wgsl", entry: "fs_fade")),
    },
)"#;
    let dir = project("lang-wgsl-entries", &[("e.wgsl", wgsl)], manifest);
    let code = generate(&dir).code;
    assert_contains(
        &struct_block(&code, "tinted", "Push"),
        "pub tint: [f32; 4],",
    );
    assert_contains(&struct_block(&code, "faded", "Push"), "pub fade: f32,");
}
