//! Reflection of push-constant blocks into host structs: non-zero offsets, arrays,
//! matrices, nested structs, and the same struct from GLSL and from WGSL.

mod support;

use support::*;

const FRAG_WRITE: &str = "layout(location = 0) out vec4 color;\n";

/// Generates a pipeline whose vertex stage declares `vertex_push` and fragment stage
/// `fragment_push` (GLSL declarations), returning the generated code.
fn generate(
    name: &str,
    vertex_push: &str,
    vertex_use: &str,
    fragment_push: &str,
    fragment_use: &str,
) -> String {
    let vert =
        format!("#version 450\n{vertex_push}\nvoid main() {{ gl_Position = {vertex_use}; }}\n");
    let frag = format!(
        "#version 450\n{fragment_push}\n{FRAG_WRITE}void main() {{ color = {fragment_use}; }}\n"
    );
    let p = Project::new(
        name,
        &[("a.vert", &vert), ("b.frag", &frag)],
        &manifest("a.vert", "b.frag", ""),
    );
    p.generate().code
}

fn assert_contains(code: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            code.contains(needle),
            "missing `{needle}` in generated code:\n{code}"
        );
    }
}

#[test]
fn push_constants_at_non_zero_offsets_keep_their_offsets_and_ranges() {
    let code = generate(
        "push-offsets",
        "layout(push_constant) uniform P { mat4 transform; } p;",
        "p.transform * vec4(1.0)",
        "layout(push_constant) uniform P { layout(offset = 64) vec4 tint; float alpha; } p;",
        "p.tint * p.alpha",
    );
    assert_contains(
        &code,
        &[
            "pub transform: [[f32; 4]; 4],",
            "pub tint: [f32; 4],",
            "pub alpha: f32,",
            "const _: [(); 64] = [(); core::mem::offset_of!(Push, tint)];",
            "const _: [(); 80] = [(); core::mem::offset_of!(Push, alpha)];",
            "const _: [(); 84] = [(); core::mem::size_of::<Push>()];",
            "stages: rt::ShaderStages::VERTEX,\n                offset: 0,\n                size: 64,",
            "stages: rt::ShaderStages::FRAGMENT,\n                offset: 64,\n                size: 20,",
        ],
    );
}

#[test]
fn arrays_keep_their_stride() {
    let code = generate(
        "push-arrays",
        "layout(push_constant, std430) uniform P { float weights[4]; vec4 colors[2]; } p;",
        "p.colors[1] * p.weights[3]",
        "",
        "vec4(1.0)",
    );
    assert_contains(
        &code,
        &[
            "pub weights: [f32; 4],",
            "pub colors: [[f32; 4]; 2],",
            "const _: [(); 16] = [(); core::mem::offset_of!(Push, colors)];",
            "const _: [(); 48] = [(); core::mem::size_of::<Push>()];",
        ],
    );
}

#[test]
fn matrices_carry_their_column_padding() {
    let code = generate(
        "push-matrices",
        "layout(push_constant) uniform P { mat3 rotation; layout(row_major) mat2x4 skew; } p;",
        "vec4(p.rotation * vec3(1.0), 1.0) + p.skew * vec2(1.0)",
        "",
        "vec4(1.0)",
    );
    // mat3: three columns of 16 bytes; row-major mat2x4 (2 columns, 4 rows): four rows of
    // two floats (std430 rows of a row-major matrix are 8 bytes apart).
    assert_contains(
        &code,
        &[
            "pub rotation: [[f32; 4]; 3],",
            "const _: [(); 48] = [(); core::mem::offset_of!(Push, skew)];",
            "pub skew: [[f32; 2]; 4],",
        ],
    );
}

#[test]
fn nested_structs_become_named_structs_and_gaps_become_padding() {
    let code = generate(
        "push-nested",
        "struct Light { vec3 position; float radius; };\nlayout(push_constant) uniform P { float a; layout(offset = 16) vec4 b; Light lights[2]; } p;",
        "p.b + vec4(p.lights[1].position, p.lights[0].radius) * p.a",
        "",
        "vec4(1.0)",
    );
    assert_contains(
        &code,
        &[
            "pub struct Light {",
            "pub position: [f32; 3],",
            "pub radius: f32,",
            "pub a: f32,",
            "pub _pad0: [u8; 12],",
            "pub b: [f32; 4],",
            "pub lights: [Light; 2],",
            "const _: [(); 32] = [(); core::mem::offset_of!(Push, lights)];",
            "const _: [(); 64] = [(); core::mem::size_of::<Push>()];",
        ],
    );
}

/// The generated `Push` struct with its assertions: from `pub struct Push` to the
/// `Pod` impl.
fn push_struct(code: &str) -> &str {
    let start = code.find("pub struct Push").expect("a Push struct");
    let end = code[start..].find("unsafe impl").expect("its Pod impls") + start;
    &code[start..end]
}

#[test]
fn glsl_and_wgsl_declaring_the_same_block_generate_the_same_struct() {
    let glsl_vert = "#version 450\nlayout(push_constant) uniform Push { vec4 color; vec2 offset; float scale; } push;\nvoid main() { gl_Position = push.color + vec4(push.offset, push.scale, 0.0); }\n";
    let wgsl_vert = "struct Push { color: vec4<f32>, offset: vec2<f32>, scale: f32 }\nvar<immediate> push: Push;\n@vertex\nfn main() -> @builtin(position) vec4<f32> {\n    return push.color + vec4<f32>(push.offset, push.scale, 0.0);\n}\n";
    let frag = format!("#version 450\n{FRAG_WRITE}void main() {{ color = vec4(1.0); }}\n");
    let glsl = Project::new(
        "same-glsl",
        &[("a.vert", glsl_vert), ("b.frag", &frag)],
        &manifest("a.vert", "b.frag", ""),
    );
    let wgsl = Project::new(
        "same-wgsl",
        &[("a.wgsl", wgsl_vert), ("b.frag", &frag)],
        &manifest("a.wgsl", "b.frag", ""),
    );
    let (glsl_code, wgsl_code) = (glsl.generate().code, wgsl.generate().code);
    assert_eq!(push_struct(&glsl_code), push_struct(&wgsl_code));
    assert_contains(
        push_struct(&glsl_code),
        &[
            "pub color: [f32; 4],",
            "pub offset: [f32; 2],",
            "pub scale: f32,",
        ],
    );
}
