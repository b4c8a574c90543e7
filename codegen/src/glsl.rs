//! GLSL to SPIR-V with shaderc: `#include` resolved relative to the including file and then
//! from the include directory, `#define`s from the manifest, Vulkan 1.2 / SPIR-V 1.5.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use shaderc::{
    CompileOptions, Compiler, EnvVersion, IncludeType, ResolvedInclude, ShaderKind, SpirvVersion,
    TargetEnv,
};

use crate::diag::{Diagnostic, Position};
use crate::model::Stage;
use crate::source::{display_path, Compiled};

/// Compiles one GLSL file for `stage` with the given macro definitions.
pub fn compile(
    path: &Path,
    source: &str,
    stage: Stage,
    include_dir: &Path,
    defines: &BTreeMap<String, String>,
) -> Result<Compiled, Vec<Diagnostic>> {
    let shown = display_path(path);
    if source.contains('\0') {
        return Err(vec![Diagnostic::error(
            &shown,
            Position::START,
            "the file contains a NUL byte",
        )]);
    }
    // Includes are recorded so the build reruns when one changes and the cache can hash them.
    let includes: RefCell<Vec<(PathBuf, String)>> = RefCell::new(Vec::new());
    let compiler = Compiler::new().map_err(|e| vec![internal(&shown, e)])?;
    let mut options = CompileOptions::new().map_err(|e| vec![internal(&shown, e)])?;
    options.set_target_env(TargetEnv::Vulkan, EnvVersion::Vulkan1_2 as u32);
    options.set_target_spirv(SpirvVersion::V1_5);
    for (name, value) in defines {
        options.add_macro_definition(name, Some(value));
    }
    options.set_include_callback(|requested, kind, requester, _depth| {
        let found = resolve_include(requested, kind, Path::new(requester), path, include_dir)?;
        let content = std::fs::read_to_string(&found)
            .map_err(|e| format!("cannot read `{}`: {e}", found.display()))?;
        if content.contains('\0') {
            return Err(format!("`{}` contains a NUL byte", found.display()));
        }
        includes.borrow_mut().push((found.clone(), content.clone()));
        Ok(ResolvedInclude {
            resolved_name: display_path(&found).display().to_string(),
            content,
        })
    });

    let kind = match stage {
        Stage::Vertex => ShaderKind::Vertex,
        Stage::Fragment => ShaderKind::Fragment,
        Stage::Compute => ShaderKind::Compute,
    };
    let shown_name = shown.display().to_string();
    let result = compiler.compile_into_spirv(source, kind, &shown_name, "main", Some(&options));
    drop(options);
    let includes = includes.into_inner();
    match result {
        Ok(artifact) => {
            let warnings =
                parse_messages(&artifact.get_warning_messages(), path, source, &includes)
                    .into_iter()
                    .map(|mut d| {
                        d.severity = crate::diag::Severity::Warning;
                        d
                    })
                    .collect();
            Ok(Compiled {
                words: artifact.as_binary().to_vec(),
                includes: includes.into_iter().map(|(p, _)| p).collect(),
                warnings,
            })
        }
        Err(shaderc::Error::CompilationError(_, text)) => {
            let diagnostics = parse_messages(&text, path, source, &includes);
            if diagnostics.is_empty() {
                Err(vec![Diagnostic::error(
                    &shown,
                    Position::START,
                    text.trim(),
                )])
            } else {
                Err(diagnostics)
            }
        }
        Err(other) => Err(vec![internal(&shown, other)]),
    }
}

fn internal(shown: &Path, error: shaderc::Error) -> Diagnostic {
    Diagnostic::error(shown, Position::START, format!("shaderc failed: {error}"))
}

/// `#include "x"` looks beside the including file first, then in the include directory;
/// `#include <x>` only in the include directory.
fn resolve_include(
    requested: &str,
    kind: IncludeType,
    requester: &Path,
    root_file: &Path,
    include_dir: &Path,
) -> Result<PathBuf, String> {
    let mut candidates = Vec::new();
    if kind == IncludeType::Relative {
        // shaderc hands back the name we gave the requester, which is the display path;
        // map the root file's name back to its real path.
        let requester_dir = if requester == display_path(root_file) {
            root_file.parent()
        } else {
            requester.parent()
        };
        if let Some(dir) = requester_dir {
            candidates.push(absolute(dir).join(requested));
        }
    }
    candidates.push(include_dir.join(requested));
    candidates.into_iter().find(|c| c.is_file()).ok_or_else(|| {
        format!(
            "cannot find include `{requested}` (looked beside the including file and in `{}`)",
            display_path(include_dir).display()
        )
    })
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Turns glslang's `file:line: error: 'token' : message` lines into diagnostics. glslang
/// gives no column, so the column is where the quoted token first appears on that line.
fn parse_messages(
    text: &str,
    root: &Path,
    root_source: &str,
    includes: &[(PathBuf, String)],
) -> Vec<Diagnostic> {
    text.lines()
        .filter_map(|line| parse_message(line, root, root_source, includes))
        .collect()
}

fn parse_message(
    line: &str,
    root: &Path,
    root_source: &str,
    includes: &[(PathBuf, String)],
) -> Option<Diagnostic> {
    let (location, severity, message) = ["error", "warning"].iter().find_map(|kind| {
        let marker = format!(": {kind}: ");
        let at = line.find(&marker)?;
        Some((&line[..at], *kind, &line[at + marker.len()..]))
    })?;
    let (file, line_no) = location.rsplit_once(':')?;
    let line_no: u32 = line_no.trim().parse().ok()?;
    let (path, source) = if Path::new(file) == display_path(root) {
        (display_path(root), root_source)
    } else {
        includes
            .iter()
            .find(|(p, _)| display_path(p) == Path::new(file))
            .map(|(p, s)| (display_path(p), s.as_str()))
            .unwrap_or((PathBuf::from(file), ""))
    };
    let column = token_column(source, line_no, message).unwrap_or(1);
    let position = Position {
        line: line_no.max(1),
        column,
    };
    let message = tidy(message);
    Some(if severity == "error" {
        Diagnostic::error(path, position, message)
    } else {
        Diagnostic::warning(path, position, message)
    })
}

fn token_column(source: &str, line_no: u32, message: &str) -> Option<u32> {
    let token = message.split('\'').nth(1).filter(|t| !t.is_empty())?;
    let text = source.lines().nth(line_no.checked_sub(1)? as usize)?;
    let byte = text.find(token)?;
    Some(text[..byte].chars().count() as u32 + 1)
}

/// glslang pads its messages (`'x' :  syntax error`); collapse the runs of spaces.
fn tidy(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
