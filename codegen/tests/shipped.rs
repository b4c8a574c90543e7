//! vkcompose ships the code and SPIR-V generated from its own shaders (so that depending on
//! it needs neither shaderc's C++ nor naga): `src/pipelines/generated/`. This test
//! generates them afresh from `shaders/` + `pipelines.ron` (and the tests' manifest) and
//! fails when a checked-in file differs, is missing or is left over, so a stale output
//! cannot land. `scripts/regenerate-shaders` (this test with `UPDATE_SNAPSHOTS=1`) writes
//! them; vkcompose's `build.rs` refuses to build when a source changed since.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The checkout under test: cargo's `CARGO_MANIFEST_DIR` as it runs the test, else as it
/// built it. Checkouts sharing one target directory (CI's clone beside a working tree)
/// can reuse a binary built in the other, whose compiled-in path is then not this one.
fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir.join("..").canonicalize().unwrap()
}

/// The two manifests vkcompose generates code from, and where each one's output lives.
const MANIFESTS: [(&str, &str, &str); 2] = [
    (
        "shaders",
        "pipelines.ron",
        "src/pipelines/generated/shipped",
    ),
    (
        "tests/shaders",
        "tests/pipelines.ron",
        "src/pipelines/generated/tests",
    ),
];

#[test]
fn checked_in_generated_code_equals_a_fresh_generation() {
    let root = root();
    let mut sources = BTreeMap::new();
    let mut differences = Vec::new();
    for (index, (shaders, manifest, checked_in)) in MANIFESTS.iter().enumerate() {
        let fresh = tempfile_dir(&format!("shipped-{index}"));
        let output = vkcompose_codegen::Builder::new(root.join(shaders), root.join(manifest))
            .runtime_path("crate::pipelines")
            .out_dir(&fresh)
            .cache(false)
            .generate()
            .unwrap_or_else(|failure| panic!("{manifest} must build:\n{failure}"));
        assert!(
            output.warnings.is_empty(),
            "warnings: {:?}",
            output.warnings
        );
        for input in output.inputs.iter().filter(|p| p.is_file()) {
            let relative = input.strip_prefix(&root).unwrap_or(input);
            sources.insert(relative.to_path_buf(), fnv(&std::fs::read(input).unwrap()));
        }
        let checked_in = root.join(checked_in);
        if updating() {
            replace_dir(&fresh, &checked_in);
        }
        differences.extend(compare_dirs(&fresh, &checked_in));
        // Every stage's SPIR-V is written beside the code it is included from.
        let modules: Vec<_> = files(&fresh.join("spirv")).into_values().collect();
        assert!(!modules.is_empty(), "{manifest} generates SPIR-V");
        for spv in modules {
            assert_eq!(&spv[..4], &0x0723_0203u32.to_le_bytes(), "SPIR-V magic");
        }
    }
    let listing: String = sources
        .iter()
        .map(|(path, hash)| format!("{hash:016x} {}\n", path.display()))
        .collect();
    let sources_file = root.join("src/pipelines/generated/SOURCES");
    if updating() {
        std::fs::write(&sources_file, &listing).unwrap();
    }
    if std::fs::read_to_string(&sources_file).unwrap_or_default() != listing {
        differences.push(format!("{} (the sources' hashes)", sources_file.display()));
    }
    assert!(
        differences.is_empty(),
        "the checked-in generated code is stale: {differences:?}; run scripts/regenerate-shaders and review the difference"
    );
}

fn updating() -> bool {
    std::env::var_os("UPDATE_SNAPSHOTS").is_some()
}

/// Files that differ between the two trees, are missing from one, or only in the other.
fn compare_dirs(fresh: &Path, checked_in: &Path) -> Vec<String> {
    let (a, b) = (files(fresh), files(checked_in));
    let mut differences = Vec::new();
    for (name, bytes) in &a {
        match b.get(name) {
            Some(other) if other == bytes => {}
            Some(_) => differences.push(format!("{} differs", checked_in.join(name).display())),
            None => differences.push(format!("{} is missing", checked_in.join(name).display())),
        }
    }
    for name in b.keys().filter(|name| !a.contains_key(*name)) {
        differences.push(format!("{} is left over", checked_in.join(name).display()));
    }
    differences
}

/// Every file under `dir`, by its path relative to `dir`.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().to_path_buf();
                found.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    found
}

fn replace_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    for (name, bytes) in files(from) {
        let path = to.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

/// FNV-1a over a file's bytes: what vkcompose's `build.rs` computes to see a source changed.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn tempfile_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vkcompose-codegen-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
