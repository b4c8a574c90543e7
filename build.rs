//! vkcompose ships the code and SPIR-V generated from its own shaders
//! (`src/pipelines/generated/`, written by `scripts/regenerate-shaders`), so depending on
//! it needs no shader compiler. This script only refuses to build when a shader or
//! manifest changed since they were generated — otherwise an edited shader would silently
//! not be the one that runs. It has no dependencies and takes milliseconds.

use std::path::{Path, PathBuf};

const SOURCES: &str = "src/pipelines/generated/SOURCES";
const SHADER_DIRS: [&str; 2] = ["shaders", "tests/shaders"];

fn main() {
    println!("cargo:rerun-if-changed={SOURCES}");
    let listing = std::fs::read_to_string(SOURCES)
        .unwrap_or_else(|e| fail(&format!("cannot read {SOURCES}: {e}")));
    let mut listed = Vec::new();
    for line in listing.lines() {
        let (hash, path) = line
            .split_once(' ')
            .unwrap_or_else(|| fail(&format!("{SOURCES}: malformed line `{line}`")));
        println!("cargo:rerun-if-changed={path}");
        let current = std::fs::read(path).map(|bytes| format!("{:016x}", fnv(&bytes)));
        if current.as_deref().ok() != Some(hash) {
            stale(&format!("`{path}` changed"));
        }
        listed.push(PathBuf::from(path));
    }
    for dir in SHADER_DIRS {
        println!("cargo:rerun-if-changed={dir}");
        for file in shader_files(Path::new(dir)) {
            if !listed.contains(&file) {
                stale(&format!("`{}` is new", file.display()));
            }
        }
    }
}

fn stale(what: &str) -> ! {
    fail(&format!(
        "{what} since src/pipelines/generated/ was written: run scripts/regenerate-shaders \
         (it compiles, checks and reflects the shaders) and commit the result"
    ))
}

fn fail(message: &str) -> ! {
    eprintln!("vkcompose build: {message}");
    std::process::exit(1)
}

/// Shader sources and includes under `dir`, as the listing names them.
fn shader_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for path in entries.flatten().map(|entry| entry.path()) {
            if path.is_dir() {
                pending.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("vert" | "frag" | "comp" | "wgsl" | "glsl")
            ) {
                found.push(path);
            }
        }
    }
    found
}

/// FNV-1a, as the codegen crate's `shipped` test writes it into the listing.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
