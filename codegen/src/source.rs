//! Shader files on disk: discovery, languages, display paths, content hashing.

use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;
use crate::model::Stage;

/// The language a shader file is written in, from its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    /// GLSL, one stage per file: `.vert`, `.frag`, `.comp`.
    Glsl(Stage),
    /// WGSL, any number of entry points per file.
    Wgsl,
}

impl Language {
    pub fn of(path: &Path) -> Option<Language> {
        match path.extension()?.to_str()? {
            "vert" => Some(Language::Glsl(Stage::Vertex)),
            "frag" => Some(Language::Glsl(Stage::Fragment)),
            "comp" => Some(Language::Glsl(Stage::Compute)),
            "wgsl" => Some(Language::Wgsl),
            _ => None,
        }
    }
}

/// SPIR-V produced from one source, with what it read.
#[derive(Clone, Debug, Default)]
pub struct Compiled {
    pub words: Vec<u32>,
    /// Files pulled in with `#include`, for rerun-if-changed and the cache key.
    pub includes: Vec<PathBuf>,
    pub warnings: Vec<Diagnostic>,
}

impl Compiled {
    /// The SPIR-V as little-endian bytes, as written to disk.
    pub fn spirv_bytes(&self) -> Vec<u8> {
        self.words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }
}

/// Every shader file under `dir`, sorted, except those in `include_dir`.
pub fn discover(dir: &Path, include_dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    walk(dir, include_dir, &mut found)?;
    found.sort();
    Ok(found)
}

fn walk(dir: &Path, include_dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            if path != include_dir {
                walk(&path, include_dir, found)?;
            }
        } else if Language::of(&path).is_some() {
            found.push(path);
        }
    }
    Ok(())
}

/// The path as messages show it: relative to the working directory (the crate root in a
/// build script) when it lies below it.
pub fn display_path(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().ok();
    cwd.as_deref()
        .and_then(|cwd| path.strip_prefix(cwd).ok())
        .map_or_else(|| path.to_path_buf(), Path::to_path_buf)
}

/// FNV-1a: a stable content hash (std's hasher may change between Rust releases, and the
/// cache outlives a toolchain update).
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    pub fn write(&mut self, bytes: &[u8]) -> &mut Self {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        // Separate fields so ("ab", "c") and ("a", "bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        self
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}
