//! Helpers shared by the integration tests: a throwaway project (shader directory plus
//! `pipelines.ron`) in a temp dir, a run of the builder over it, and lookups of its
//! diagnostics and generated code.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use vkcompose_codegen::{Builder, Diagnostic, Output, Severity};

/// A fresh project directory named after the test: `shaders/` with `files` (paths relative
/// to it, `include/x.glsl` for includes), `pipelines.ron` with `manifest`, `out/` for output.
pub fn project(name: &str, files: &[(&str, &str)], manifest: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "vkcompose-codegen-test-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("shaders")).unwrap();
    for (file, text) in files {
        write(&dir, file, text);
    }
    std::fs::write(dir.join("pipelines.ron"), manifest).unwrap();
    dir
}

/// Writes (or overwrites) one shader file of the project.
pub fn write(dir: &Path, file: &str, text: &str) {
    let path = dir.join("shaders").join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The builder for a project, without the cache.
pub fn builder(dir: &Path) -> Builder {
    Builder::new(dir.join("shaders"), dir.join("pipelines.ron"))
        .out_dir(dir.join("out"))
        .runtime_path("crate::pipelines")
        .cache(false)
}

/// Runs the builder; the project must build.
pub fn generate(dir: &Path) -> Output {
    builder(dir)
        .generate()
        .unwrap_or_else(|failure| panic!("the project must build, but:\n{failure}"))
}

/// Runs the builder; the project must fail. Every diagnostic, warnings included.
pub fn diagnostics(dir: &Path) -> Vec<Diagnostic> {
    match builder(dir).generate() {
        Ok(output) => panic!(
            "the project must fail to build, but it generated:\n{}",
            output.code
        ),
        Err(failure) => {
            eprintln!("diagnostics:\n{failure}");
            failure.diagnostics.0
        }
    }
}

/// Runs the builder; the project must fail. Only the errors.
pub fn errors(dir: &Path) -> Vec<Diagnostic> {
    diagnostics(dir)
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect()
}

/// The one diagnostic in a file named `file` whose message contains `text`.
pub fn find<'a>(diagnostics: &'a [Diagnostic], file: &str, text: &str) -> &'a Diagnostic {
    let matching: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.path.ends_with(file) && d.message.contains(text))
        .collect();
    match matching.as_slice() {
        [one] => one,
        _ => panic!(
            "expected exactly one diagnostic in `{file}` containing `{text}`, found {}:\n{}",
            matching.len(),
            list(diagnostics)
        ),
    }
}

/// Asserts a diagnostic's line and column.
pub fn assert_at(diagnostic: &Diagnostic, line: u32, column: u32) {
    assert_eq!(
        (diagnostic.position.line, diagnostic.position.column),
        (line, column),
        "wrong position for: {diagnostic}"
    );
}

/// Asserts a diagnostic's line, with a column anywhere in `columns`.
pub fn assert_on_line(diagnostic: &Diagnostic, line: u32, columns: std::ops::RangeInclusive<u32>) {
    assert_eq!(
        diagnostic.position.line, line,
        "wrong line for: {diagnostic}"
    );
    assert!(
        columns.contains(&diagnostic.position.column),
        "column {} not in {columns:?} for: {diagnostic}",
        diagnostic.position.column
    );
}

/// The 1-based line and column of the first occurrence of `needle` in `text`.
pub fn position_of(text: &str, needle: &str) -> (u32, u32) {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in:\n{text}"));
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32 + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count() as u32
        + 1;
    (line, column)
}

pub fn list(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("  {d}\n"))
        .collect::<String>()
}

/// Asserts that the generated code contains `expected`, printing the code if it does not.
#[track_caller]
pub fn assert_contains(code: &str, expected: &str) {
    if !code.contains(expected) {
        eprintln!("generated code:\n{code}");
        panic!("the generated code does not contain `{expected}` (printed above)");
    }
}

/// The text of `pub struct <name> { ... }` in `module`'s part of the generated code: its
/// doc line, attributes, fields and the `const _` assertions that follow it.
pub fn struct_block(code: &str, module: &str, name: &str) -> String {
    let module_start = code
        .find(&format!("pub mod {module} {{"))
        .unwrap_or_else(|| panic!("no module `{module}` in:\n{code}"));
    let code = &code[module_start..];
    let start = code
        .find(&format!("pub struct {name} {{"))
        .unwrap_or_else(|| panic!("no struct `{name}` in module `{module}` of:\n{code}"));
    // The struct's doc line and attributes precede it: start at the doc line before its
    // `#[repr(C)]`.
    let repr = code[..start].rfind("#[repr(C)]").unwrap_or(start);
    let start = code[..repr]
        .trim_end()
        .rfind('\n')
        .map_or(repr, |newline| newline + 1);
    let rest = &code[start..];
    let end = rest
        .find("unsafe impl")
        .unwrap_or_else(|| panic!("struct `{name}` is not followed by its impls:\n{rest}"));
    // Drop the SAFETY doc line that precedes the first impl.
    let block = rest[..end].trim_end();
    block[..block.rfind('\n').unwrap_or(block.len())].to_string()
}

/// A vertex shader with no inputs, outputs or push constants.
pub const PLAIN_VERT: &str = "\
#version 450
void main() {
    gl_Position = vec4(0.0, 0.0, 0.0, 1.0);
}
";

/// A fragment shader that reads nothing and writes location 0.
pub const PLAIN_FRAG: &str = "\
#version 450
layout(location = 0) out vec4 out_color;
void main() {
    out_color = vec4(1.0);
}
";

/// A manifest with render pass `output` and one pipeline `main` of the two stages.
pub fn manifest(vertex: &str, fragment: &str) -> String {
    format!(
        r#"(
    render_passes: {{ "output": (color: Target) }},
    pipelines: {{
        "main": (pass: "output", vertex: "{vertex}", fragment: "{fragment}"),
    }},
)
"#
    )
}

/// `code` with every run of whitespace made one space, to compare items that the formatter
/// may spread over several lines.
pub fn flat(code: &str) -> String {
    code.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Asserts that the generated code contains `expected`, ignoring how whitespace is laid out.
#[track_caller]
pub fn assert_contains_flat(code: &str, expected: &str) {
    if !flat(code).contains(&flat(expected)) {
        eprintln!("generated code:\n{code}");
        panic!("the generated code does not contain `{expected}` (printed above)");
    }
}
