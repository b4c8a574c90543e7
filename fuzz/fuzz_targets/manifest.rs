//! vkcompose-codegen's manifest parser and checks: any text as `pipelines.ron`, over a
//! fixed directory of real WGSL shaders (vkcompose's and the effects crate's). Generation
//! must end in code or in diagnostics, never a panic, and the diagnostics' positions must
//! lie inside the manifest.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vkcompose_codegen::Builder;

const SHADERS: [(&str, &str); 4] = [
    ("solid.wgsl", include_str!("../../shaders/solid.wgsl")),
    (
        "kawase_up.wgsl",
        include_str!("../../shaders/kawase_up.wgsl"),
    ),
    (
        "texture_decode.wgsl",
        include_str!("../../shaders/texture_decode.wgsl"),
    ),
    (
        "decorations.wgsl",
        include_str!("../../examples/effects/shaders/decorations.wgsl"),
    ),
];

/// A directory of its own per process: the shaders, the manifest and the output.
fn workspace() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("vkcompose-fuzz-manifest-{}", std::process::id()));
        let shaders = dir.join("shaders");
        std::fs::create_dir_all(&shaders).unwrap();
        for (name, text) in SHADERS {
            std::fs::write(shaders.join(name), text).unwrap();
        }
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let dir = workspace();
    let manifest = dir.join("pipelines.ron");
    std::fs::write(&manifest, text).unwrap();
    let result = Builder::new(dir.join("shaders"), &manifest)
        .out_dir(dir.join("out"))
        .generate();
    let lines = text.lines().count().max(1);
    if let Err(failure) = result {
        assert!(
            failure.diagnostics.has_errors(),
            "a failure has an error: {failure}"
        );
        for d in &failure.diagnostics.0 {
            let _ = d.to_string();
            if d.path.ends_with("pipelines.ron") {
                assert!(
                    d.position.line as usize <= lines + 1,
                    "{d} is past the manifest's {lines} lines"
                );
            }
        }
    }
});
