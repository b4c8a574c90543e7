//! Compiles, validates and reflects `shaders/` against `pipelines.ron` and generates the
//! typed pipeline modules into OUT_DIR (see the vkcompose-codegen crate).

fn main() {
    vkcompose_codegen::Builder::new("shaders", "pipelines.ron")
        .runtime_path("crate::pipelines")
        .build_script();
}
