//! The compile cache: an unchanged shader is not recompiled, an edited one is, and an edited
//! include recompiles exactly the shaders that include it.

mod support;

use support::*;

const WITH_INCLUDE: &str = "#version 450\n#extension GL_GOOGLE_include_directive : require\n#include \"shade.glsl\"\nlayout(location = 0) in vec2 uv;\nlayout(location = 0) out vec4 color;\nvoid main() { color = shade(uv); }\n";

#[test]
fn only_changed_shaders_recompile() {
    let p = Project::new(
        "incremental",
        &[
            ("a.vert", QUAD_VERT),
            ("b.frag", WITH_INCLUDE),
            ("plain.frag", UV_FRAG),
            ("include/shade.glsl", "vec4 shade(vec2 uv) { return vec4(uv, 0.0, 1.0); }\n"),
        ],
        "(\n    render_passes: { \"out\": (color: Target) },\n    pipelines: {\n        \"p\": (pass: \"out\", vertex: \"a.vert\", fragment: \"b.frag\", instance_inputs: [\"dst\"]),\n        \"q\": (pass: \"out\", vertex: \"a.vert\", fragment: \"plain.frag\", instance_inputs: [\"dst\"]),\n    },\n)\n",
    );
    let run = || {
        p.builder()
            .cache(true)
            .generate()
            .unwrap_or_else(|f| panic!("{f}"))
    };

    let first = run();
    assert_eq!((first.compiled, first.cached), (3, 0));
    assert!(
        first.inputs.iter().any(|i| i.ends_with("shade.glsl")),
        "includes are rerun-if-changed inputs"
    );

    let second = run();
    assert_eq!((second.compiled, second.cached), (0, 3), "nothing changed");
    assert_eq!(first.code, second.code);

    p.write("plain.frag", &UV_FRAG.replace("1.0", "0.5"));
    let third = run();
    assert_eq!(
        (third.compiled, third.cached),
        (1, 2),
        "only the edited shader"
    );

    p.write(
        "include/shade.glsl",
        "vec4 shade(vec2 uv) { return vec4(uv, 1.0, 1.0); }\n",
    );
    let fourth = run();
    assert_eq!(
        (fourth.compiled, fourth.cached),
        (1, 2),
        "only the shader including it"
    );
}
