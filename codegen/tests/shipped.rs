//! Snapshot of the code generated for vkcompose's own shaders and manifest, so that a change
//! to the generated API shows up in review. Run with `UPDATE_SNAPSHOTS=1` to accept one.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn shipped_manifest_generates_the_snapshot() {
    let out = tempfile_dir("shipped");
    let output =
        vkcompose_codegen::Builder::new(root().join("shaders"), root().join("pipelines.ron"))
            .runtime_path("crate::pipelines")
            .out_dir(&out)
            .cache(false)
            .generate()
            .unwrap_or_else(|failure| panic!("shipped shaders must build:\n{failure}"));
    assert!(
        output.warnings.is_empty(),
        "warnings: {:?}",
        output.warnings
    );
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/pipelines.rs");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &output.code).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert!(
        expected == output.code,
        "generated code differs from {}; review the difference and rerun with UPDATE_SNAPSHOTS=1 to accept it",
        snapshot.display()
    );
    // Every stage's SPIR-V is written beside the code it is included from.
    for name in [
        "quad.vert.spv",
        "texture.frag.spv",
        "solid.vert.spv",
        "solid.wgsl.spv",
    ] {
        let spv = std::fs::read(out.join("spirv").join(name)).unwrap();
        assert_eq!(&spv[..4], &0x0723_0203u32.to_le_bytes(), "{name} is SPIR-V");
    }
}

fn tempfile_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vkcompose-codegen-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
