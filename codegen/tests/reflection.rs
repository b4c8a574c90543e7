//! Reflection of push-constant blocks into the generated `Push` struct: members at non-zero
//! offsets and split across stages, arrays, matrices, nested structs and gaps. Assertions
//! are on exact text of the generated code (printed when one fails).

mod common;

use common::*;

/// Generates a pipeline `main` of a vertex and a fragment shader; the code for it.
fn generated(name: &str, vert: &str, frag: &str) -> String {
    let dir = project(
        name,
        &[("a.vert", vert), ("a.frag", frag)],
        &manifest("a.vert", "a.frag"),
    );
    generate(&dir).code
}

/// A vertex shader whose only push-constant block has `members`, all read in `main`.
fn vertex_with_push(members: &str, uses: &str) -> String {
    format!(
        "#version 450
layout(push_constant) uniform Push {{
{members}
}} push;
void main() {{
    gl_Position = vec4({uses});
}}
"
    )
}

/// The text of `push_ranges: &[...]` in the generated code, whitespace made single spaces.
fn push_ranges(code: &str) -> String {
    let flat = flat(code);
    let start = flat
        .find("push_ranges: &[")
        .unwrap_or_else(|| panic!("no push ranges in:\n{code}"));
    let end = start + flat[start..].find("],").unwrap();
    flat[start..end + 2].to_string()
}

#[test]
fn push_constants_of_two_stages_merge_at_their_offsets() {
    let vert = "\
#version 450
layout(push_constant) uniform P { mat4 transform; } p;
void main() {
    gl_Position = p.transform * vec4(0.0, 0.0, 0.0, 1.0);
}
";
    let frag = "\
#version 450
layout(push_constant) uniform P { layout(offset = 64) vec4 tint; float alpha; } p;
layout(location = 0) out vec4 out_color;
void main() {
    out_color = p.tint * p.alpha;
}
";
    let code = generated("push-offsets", vert, frag);
    assert_contains(&code, "pub transform: [[f32; 4]; 4],");
    assert_contains(&code, "pub tint: [f32; 4],");
    assert_contains(&code, "pub alpha: f32,");
    assert_contains(
        &code,
        "const _: [(); 0] = [(); core::mem::offset_of!(Push, transform)];",
    );
    assert_contains(
        &code,
        "const _: [(); 64] = [(); core::mem::offset_of!(Push, tint)];",
    );
    assert_contains(
        &code,
        "const _: [(); 80] = [(); core::mem::offset_of!(Push, alpha)];",
    );
    assert_contains(
        &code,
        "const _: [(); 84] = [(); core::mem::size_of::<Push>()];",
    );
    assert_eq!(
        push_ranges(&code),
        flat(
            "push_ranges: &[
                rt::PushRange { stages: rt::ShaderStages::VERTEX, offset: 0, size: 64, },
                rt::PushRange { stages: rt::ShaderStages::FRAGMENT, offset: 64, size: 20, },
            ],"
        ),
        "generated code:\n{code}"
    );
}

#[test]
fn push_constant_arrays_keep_their_stride() {
    // Push constants are std430: a float array has stride 4, a vec3 array stride 16.
    let vert = vertex_with_push(
        "    float weights[4];
    vec4 colors[2];
    vec3 directions[2];",
        "push.weights[3] + push.colors[1].x + push.directions[1].z",
    );
    let code = generated("push-arrays", &vert, PLAIN_FRAG);
    assert_contains(&code, "pub weights: [f32; 4],");
    assert_contains(&code, "pub colors: [[f32; 4]; 2],");
    // Each vec3 is padded to its 16-byte stride.
    assert_contains(&code, "pub directions: [[f32; 4]; 2],");
    assert_contains(
        &code,
        "const _: [(); 16] = [(); core::mem::offset_of!(Push, colors)];",
    );
    assert_contains(
        &code,
        "const _: [(); 48] = [(); core::mem::offset_of!(Push, directions)];",
    );
    assert_contains(
        &code,
        "const _: [(); 80] = [(); core::mem::size_of::<Push>()];",
    );
}

#[test]
fn push_constant_mat3_columns_are_padded_to_16_bytes() {
    let vert = vertex_with_push(
        "    mat3 rotation;
    float scale;",
        "push.rotation[2] * push.scale, 1.0",
    );
    let code = generated("push-mat3", &vert, PLAIN_FRAG);
    assert_contains(&code, "pub rotation: [[f32; 4]; 3],");
    assert_contains(
        &code,
        "const _: [(); 48] = [(); core::mem::offset_of!(Push, scale)];",
    );
    assert_contains(
        &code,
        "const _: [(); 52] = [(); core::mem::size_of::<Push>()];",
    );
}

#[test]
fn push_constant_row_major_matrix_is_an_array_of_rows() {
    // mat2x4: 2 columns of 4 rows. Row-major, it is 4 rows of 2 floats, 8 bytes apart.
    let vert = vertex_with_push(
        "    layout(row_major) mat2x4 skew;
    float after;",
        "push.skew * vec2(push.after)",
    );
    let code = generated("push-row-major", &vert, PLAIN_FRAG);
    assert_contains(&code, "pub skew: [[f32; 2]; 4],");
    assert_contains(
        &code,
        "const _: [(); 32] = [(); core::mem::offset_of!(Push, after)];",
    );
}

#[test]
fn push_constant_nested_struct_array_becomes_a_named_struct() {
    let vert = "\
#version 450
struct Light {
    vec3 position;
    float radius;
};
layout(push_constant) uniform Push {
    Light lights[2];
    float ambient;
} push;
void main() {
    gl_Position = vec4(push.lights[1].position * push.lights[0].radius, push.ambient);
}
";
    let code = generated("push-nested", vert, PLAIN_FRAG);
    assert_contains(&code, "pub struct Light {");
    assert_contains(&code, "pub position: [f32; 3],");
    assert_contains(&code, "pub radius: f32,");
    assert_contains(
        &code,
        "const _: [(); 12] = [(); core::mem::offset_of!(Light, radius)];",
    );
    assert_contains(
        &code,
        "const _: [(); 16] = [(); core::mem::size_of::<Light>()];",
    );
    assert_contains(&code, "pub lights: [Light; 2],");
    assert_contains(
        &code,
        "const _: [(); 32] = [(); core::mem::offset_of!(Push, ambient)];",
    );
    // The nested struct is declared before the block that uses it, once.
    assert_eq!(code.matches("pub struct Light {").count(), 1, "{code}");
    assert!(
        code.find("pub struct Light {") < code.find("pub struct Push {"),
        "{code}"
    );
}

#[test]
fn push_constant_gap_becomes_a_padding_field() {
    let vert = vertex_with_push(
        "    float a;
    layout(offset = 16) vec4 b;",
        "push.b * push.a",
    );
    let code = generated("push-gap", &vert, PLAIN_FRAG);
    assert_contains(&code, "pub a: f32,");
    assert_contains(&code, "pub _pad0: [u8; 12],");
    assert_contains(&code, "pub b: [f32; 4],");
    assert_contains(
        &code,
        "const _: [(); 4] = [(); core::mem::offset_of!(Push, _pad0)];",
    );
    assert_contains(
        &code,
        "const _: [(); 16] = [(); core::mem::offset_of!(Push, b)];",
    );
    assert_contains(
        &code,
        "const _: [(); 32] = [(); core::mem::size_of::<Push>()];",
    );
}

#[test]
fn push_constant_fields_are_declared_in_offset_order_with_padding_between() {
    let vert = vertex_with_push(
        "    float a;
    layout(offset = 16) vec4 b;",
        "push.b * push.a",
    );
    let code = generated("push-gap-order", &vert, PLAIN_FRAG);
    let block = struct_block(&code, "main", "Push");
    let fields: Vec<&str> = block
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("pub ") && !l.starts_with("pub struct"))
        .collect();
    assert_eq!(
        fields,
        ["pub a: f32,", "pub _pad0: [u8; 12],", "pub b: [f32; 4],"],
        "{block}"
    );
}

#[test]
fn push_constant_struct_used_alone_and_in_an_array_is_one_struct() {
    let vert = "\
#version 450
struct Light {
    vec3 position;
};
layout(push_constant) uniform Push {
    Light key;
    Light fill[2];
} push;
void main() {
    gl_Position = vec4(push.key.position + push.fill[1].position, 1.0);
}
";
    let dir = project(
        "push-struct-twice",
        &[("a.vert", vert), ("a.frag", PLAIN_FRAG)],
        &manifest("a.vert", "a.frag"),
    );
    let code = generate(&dir).code;
    assert_eq!(code.matches("pub struct Light {").count(), 1, "{code}");
    assert_contains(&code, "pub key: Light,");
    assert_contains(&code, "pub fill: [Light; 2],");
    assert_contains(
        &code,
        "const _: [(); 16] = [(); core::mem::offset_of!(Push, fill)];",
    );
}
