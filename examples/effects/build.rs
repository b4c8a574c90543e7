//! Compiles, checks and reflects `shaders/` against `pipelines.ron` and generates the typed
//! pipelines into OUT_DIR; errors name `path:line:col` in this crate's files.

fn main() {
    vkcompose_codegen::Builder::new("shaders", "pipelines.ron")
        .runtime_path("::vkcompose::pipelines")
        .build_script();
}
