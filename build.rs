//! Compiles, validates and reflects `shaders/` against `pipelines.ron` and generates the
//! typed pipeline modules into OUT_DIR (see the vkcompose-codegen crate). The test-only
//! manifest in `tests/` is generated the same way, for the compile-fail and pixel tests.

fn main() {
    vkcompose_codegen::Builder::new("shaders", "pipelines.ron")
        .runtime_path("crate::pipelines")
        .build_script();
    vkcompose_codegen::Builder::new("tests/shaders", "tests/pipelines.ron")
        .runtime_path("crate::pipelines")
        .output_name("test_pipelines.rs")
        .build_script();
}
