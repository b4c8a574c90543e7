//! The compile cache: SPIR-V kept in the output directory, keyed by the shader's path, its
//! macros and the compiler settings, and valid while the content hash of the shader and of
//! every file it included is unchanged. Editing one shader recompiles only that shader.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Position};
use crate::source::{Compiled, Fnv};

/// Bump when anything that shapes the SPIR-V changes (compiler options, naga settings).
const CACHE_VERSION: &str = "vkcompose-codegen cache 2";

pub struct Cache {
    dir: Option<PathBuf>,
}

impl Cache {
    pub fn new(dir: Option<PathBuf>) -> Cache {
        Cache { dir }
    }

    /// The key for one compilation unit.
    pub fn key(unit: &str) -> u64 {
        Fnv::default()
            .write(CACHE_VERSION.as_bytes())
            .write(env!("CARGO_PKG_VERSION").as_bytes())
            .write(unit.as_bytes())
            .finish()
    }

    /// The cached SPIR-V for `key` if every file it was built from is unchanged.
    pub fn load(&self, key: u64) -> Option<Compiled> {
        let dir = self.dir.as_ref()?;
        let deps = std::fs::read_to_string(dir.join(format!("{key:016x}.deps"))).ok()?;
        let mut includes = Vec::new();
        for (index, line) in deps.lines().enumerate() {
            let (hash, path) = line.split_once('\t')?;
            if format!("{:016x}", hash_file(Path::new(path))?) != hash {
                return None;
            }
            if index > 0 {
                includes.push(PathBuf::from(path));
            }
        }
        let bytes = std::fs::read(dir.join(format!("{key:016x}.spv"))).ok()?;
        if bytes.len() % 4 != 0 || bytes.is_empty() {
            return None;
        }
        let words = bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let warnings = std::fs::read_to_string(dir.join(format!("{key:016x}.warnings")))
            .ok()?
            .lines()
            .map(parse_warning)
            .collect::<Option<_>>()?;
        Some(Compiled {
            words,
            includes,
            warnings,
        })
    }

    /// Records a compilation. The main file comes first in the dependency list. Failing to
    /// write the cache only costs a recompilation next time, so errors are ignored.
    pub fn store(&self, key: u64, main: &Path, compiled: &Compiled) {
        let Some(dir) = &self.dir else { return };
        let _ = std::fs::create_dir_all(dir);
        let mut deps = String::new();
        for path in std::iter::once(main).chain(compiled.includes.iter().map(PathBuf::as_path)) {
            let Some(hash) = hash_file(path) else { return };
            let _ = writeln!(deps, "{hash:016x}\t{}", path.display());
        }
        let _ = std::fs::write(dir.join(format!("{key:016x}.spv")), compiled.spirv_bytes());
        let warnings: String = compiled.warnings.iter().map(format_warning).collect();
        let _ = std::fs::write(dir.join(format!("{key:016x}.warnings")), warnings);
        let _ = std::fs::write(dir.join(format!("{key:016x}.deps")), deps);
    }
}

fn hash_file(path: &Path) -> Option<u64> {
    let bytes = std::fs::read(path).ok()?;
    Some(Fnv::default().write(&bytes).finish())
}

/// A compiler warning as one cache line: `line\tcolumn\tpath\tmessage`, so that a shader
/// taken from the cache warns again, as it did when compiled.
fn format_warning(warning: &Diagnostic) -> String {
    let message = warning.message.replace(['\n', '\t'], " ");
    format!(
        "{}\t{}\t{}\t{message}\n",
        warning.position.line,
        warning.position.column,
        warning.path.display()
    )
}

fn parse_warning(line: &str) -> Option<Diagnostic> {
    let mut fields = line.splitn(4, '\t');
    let position = Position {
        line: fields.next()?.parse().ok()?,
        column: fields.next()?.parse().ok()?,
    };
    let path = fields.next()?;
    Some(Diagnostic::warning(path, position, fields.next()?))
}
