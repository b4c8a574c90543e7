//! The code generated for a pipeline with immutable samplers: set fields that take the
//! texture alone, a `Samplers` struct (fields named by binding, prefixed with the set where
//! two sets share a name), `Pipeline::new` taking it, and no field in `Pipelines`.

mod common;

use common::*;

/// Samples `tex` at set 0 in the vertex stage.
const VERT: &str = "\
#version 450
layout(set = 0, binding = 0) uniform sampler2D tex;
void main() {
    gl_Position = textureLod(tex, vec2(0.5), 0.0);
}
";

/// Set 1: `tex` and `mask` (immutable in the manifest) and `plain` (not).
const FRAG: &str = "\
#version 450
layout(set = 1, binding = 0) uniform sampler2D tex;
layout(set = 1, binding = 1) uniform sampler2D mask;
layout(set = 1, binding = 2) uniform sampler2D plain;
layout(location = 0) out vec4 out_color;
void main() {
    out_color = texture(tex, vec2(0.5)) * texture(mask, vec2(0.5)).a
        + texture(plain, vec2(0.5));
}
";

const MANIFEST: &str = r#"(
    render_passes: { "output": (color: Target) },
    pipelines: {
        "bare": (pass: "output", vertex: "plain.vert", fragment: "plain.frag"),
        "yuv": (pass: "output", vertex: "a.vert", fragment: "a.frag",
            sets: { 0: "VertexSet", 1: "FragmentSet" },
            immutable_samplers: { 0: [0], 1: [0, 1] }),
    },
)
"#;

/// The code for `MANIFEST`, in a project directory of its own per test (`name`), as tests
/// run in parallel.
fn generated(name: &str) -> String {
    let dir = project(
        name,
        &[
            ("a.vert", VERT),
            ("a.frag", FRAG),
            ("plain.vert", PLAIN_VERT),
            ("plain.frag", PLAIN_FRAG),
        ],
        MANIFEST,
    );
    generate(&dir).code
}

#[test]
fn immutable_bindings_take_the_texture_alone_and_record_the_immutable_sampler() {
    let code = generated("immutable-set-fields");
    assert_contains_flat(
        &code,
        "pub struct FragmentSet<'a> {
            /// Binding 0: combined image sampler `tex` whose sampler is immutable (given when the pipeline is built), used by the fragment stage.
            pub tex: &'a rt::Texture,
            /// Binding 1: combined image sampler `mask` whose sampler is immutable (given when the pipeline is built), used by the fragment stage.
            pub mask: &'a rt::Texture,
            /// Binding 2: combined image sampler `plain`, used by the fragment stage.
            pub plain: rt::SampledTexture<'a>,
        }",
    );
    assert_contains_flat(
        &code,
        "rt::BindingDesc {
            binding: 1,
            kind: rt::vk::DescriptorType::COMBINED_IMAGE_SAMPLER,
            count: rt::BindingCount::One,
            stages: rt::ShaderStages::FRAGMENT,
            immutable_sampler: true,
        }",
    );
    assert_contains_flat(
        &code,
        "rt::BindingDesc {
            binding: 2,
            kind: rt::vk::DescriptorType::COMBINED_IMAGE_SAMPLER,
            count: rt::BindingCount::One,
            stages: rt::ShaderStages::FRAGMENT,
            immutable_sampler: false,
        }",
    );
    // Only the image is written where the layout holds the sampler.
    assert_contains(
        &code,
        "writer.write(1, &[rt::ImmutablySampled(self.mask)]);",
    );
    assert_contains(
        &code,
        "writer.write(2, core::slice::from_ref(&self.plain));",
    );
}

#[test]
fn the_pipeline_takes_its_samplers_named_by_binding_and_set_where_names_clash() {
    let code = generated("immutable-samplers-struct");
    assert_contains_flat(
        &code,
        "pub struct Samplers<'a> {
            /// The sampler of set 0 binding 0 (`tex`).
            pub set0_tex: &'a rt::Sampler,
            /// The sampler of set 1 binding 0 (`tex`).
            pub set1_tex: &'a rt::Sampler,
            /// The sampler of set 1 binding 1 (`mask`).
            pub mask: &'a rt::Sampler,
        }",
    );
    assert_contains_flat(
        &code,
        "pub fn new(
            device: &rt::Device,
            pass: &rt::RenderPass<super::passes::Output>,
            cache: rt::vk::PipelineCache,
            samplers: &Samplers<'_>,
        ) -> Result<Self, rt::Error> {",
    );
    assert_contains_flat(
        &code,
        "rt::ImmutableSampler { set: 1, binding: 1, sampler: samplers.mask, }",
    );
    assert_contains_flat(
        &code,
        "rt::ImmutableSampler { set: 0, binding: 0, sampler: samplers.set0_tex, }",
    );
}

#[test]
fn pipelines_leaves_out_those_with_immutable_samplers_and_says_so() {
    let code = generated("immutable-not-in-pipelines");
    let start = code.find("pub struct Pipelines {").unwrap();
    let end = start + code[start..].find('}').unwrap();
    let fields = &code[start..end];
    assert!(fields.contains("pub bare: bare::Pipeline"), "{fields}");
    assert!(!fields.contains("yuv"), "{fields}");
    assert_contains(
        &code,
        "/// Every pipeline of the manifest except those with immutable samplers or built on demand ([`yuv`](yuv::Pipeline)): those are built by their own `Pipeline::new`.",
    );
    assert_contains(&code, "bare: bare::Pipeline::new(device, output, cache)?");
    // The `bare` pipeline's constructor is unchanged.
    let bare = &code[code.find("pub mod bare {").unwrap()..code.find("pub mod yuv {").unwrap()];
    assert!(!bare.contains("Samplers"), "{bare}");
}
