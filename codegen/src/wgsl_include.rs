//! GLSL includes for WGSL: a line `// #include "color.glsl"` in a WGSL shader appends
//! that GLSL file's constants and functions, translated to WGSL by naga. So colour math
//! written once (`shaders/include/color.glsl`) serves the GLSL shaders that `#include` it
//! and the WGSL ones alike. The translation goes at the end of the source: WGSL's
//! module-scope declarations may come in any order, so the file's own lines keep their
//! numbers in diagnostics. The include is looked up beside the shader, then in the include
//! directory, as shaderc looks up GLSL's. naga renames what could collide with its own
//! names (a constant ending in a digit gains a `_`); functions keep theirs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use naga::valid::{Capabilities, ValidationFlags, Validator};

use crate::diag::{Diagnostic, Position};
use crate::source::display_path;

const DIRECTIVE: &str = "// #include \"";

/// `source` with its includes appended, and the files they came from.
pub fn expand(
    path: &Path,
    source: &str,
    include_dir: &Path,
) -> Result<(String, Vec<PathBuf>), Vec<Diagnostic>> {
    let mut expanded = source.to_string();
    let mut includes = Vec::new();
    let mut errors = Vec::new();
    for (offset, name) in directives(source) {
        let error = |message: String| {
            Diagnostic::error(
                display_path(path),
                Position::of_offset(source, offset),
                message,
            )
        };
        let Some(file) = locate(path, include_dir, name) else {
            errors.push(error(format!(
                "include `{name}` not found beside the shader or in {}",
                include_dir.display()
            )));
            continue;
        };
        match std::fs::read_to_string(&file)
            .map_err(|e| e.to_string())
            .and_then(|glsl| translate(&glsl))
        {
            Ok(wgsl) => {
                expanded.push_str(&format!(
                    "\n// ---- {name}, translated from GLSL ----\n{wgsl}"
                ));
                includes.push(file);
            }
            Err(why) => errors.push(error(format!("include `{name}`: {why}"))),
        }
    }
    if errors.is_empty() {
        Ok((expanded, includes))
    } else {
        Err(errors)
    }
}

/// Each directive's byte offset and file name.
fn directives(source: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix(DIRECTIVE) {
            if let Some(name) = rest.strip_suffix('"') {
                found.push((offset + line.find(DIRECTIVE).unwrap_or(0), name));
            }
        }
        offset += line.len();
    }
    found
}

fn locate(path: &Path, include_dir: &Path, name: &str) -> Option<PathBuf> {
    let beside = path.parent().map(|p| p.join(name));
    beside
        .into_iter()
        .chain([include_dir.join(name)])
        .find(|p| p.is_file())
}

/// [`translate_uncached`], once per distinct GLSL text in this process: a shader's every
/// variant, and the reading of its overrides, expand the same includes.
fn translate(glsl: &str) -> Result<String, String> {
    type Translations = Mutex<HashMap<String, Result<String, String>>>;
    static TRANSLATED: OnceLock<Translations> = OnceLock::new();
    let memo = TRANSLATED.get_or_init(Translations::default);
    // A poisoned lock only means another thread panicked mid-insert: the map is still whole.
    if let Some(done) = memo.lock().unwrap_or_else(|e| e.into_inner()).get(glsl) {
        return done.clone();
    }
    let translated = translate_uncached(glsl);
    memo.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(glsl.to_string(), translated.clone());
    translated
}

/// The GLSL file's declarations as WGSL: parsed as a fragment shader around an empty
/// `main`, validated, written by naga's WGSL backend, the entry point cut off (naga
/// writes it last).
fn translate_uncached(glsl: &str) -> Result<String, String> {
    if !glsl.is_ascii() {
        return Err("only ASCII GLSL is translated".into());
    }
    let wrapped = format!("#version 450\n{glsl}\nvoid main() {{}}\n");
    let options = naga::front::glsl::Options::from(naga::ShaderStage::Fragment);
    let module = naga::front::glsl::Frontend::default()
        .parse(&options, &wrapped)
        .map_err(|e| {
            format!(
                "naga cannot read it as GLSL: {}",
                e.emit_to_string(&wrapped)
            )
        })?;
    let info = Validator::new(ValidationFlags::all(), Capabilities::all())
        .validate(&module)
        .map_err(|e| format!("naga rejects its GLSL: {}", e.as_inner()))?;
    let wgsl =
        naga::back::wgsl::write_string(&module, &info, naga::back::wgsl::WriterFlags::empty())
            .map_err(|e| format!("naga cannot write it as WGSL: {e}"))?;
    let end = wgsl
        .rfind("@fragment")
        .ok_or("naga wrote no entry point to cut")?;
    Ok(wgsl[..end].to_string())
}
