//! A throwaway project directory per test: shaders, an include directory and a manifest.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use vkcompose_codegen::{Builder, Diagnostic, Output, Severity};

pub struct Project {
    pub dir: PathBuf,
}

impl Project {
    /// Writes `files` (paths relative to the shader directory) and the manifest.
    pub fn new(name: &str, files: &[(&str, &str)], manifest: &str) -> Project {
        let dir =
            std::env::temp_dir().join(format!("vkcompose-codegen-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("shaders/include")).unwrap();
        let project = Project { dir };
        for (path, text) in files {
            project.write(path, text);
        }
        std::fs::write(project.manifest(), manifest).unwrap();
        project
    }

    pub fn write(&self, path: &str, text: &str) {
        let path = self.dir.join("shaders").join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn manifest(&self) -> PathBuf {
        self.dir.join("pipelines.ron")
    }

    pub fn builder(&self) -> Builder {
        Builder::new(self.dir.join("shaders"), self.manifest())
            .out_dir(self.dir.join("out"))
            .runtime_path("crate::pipelines")
    }

    pub fn generate(&self) -> Output {
        self.builder()
            .cache(false)
            .generate()
            .unwrap_or_else(|failure| panic!("expected success, got:\n{failure}"))
    }

    /// The diagnostics of a run that must fail.
    pub fn errors(&self) -> Vec<Diagnostic> {
        match self.builder().cache(false).generate() {
            Ok(output) => panic!("expected errors, generated:\n{}", output.code),
            Err(failure) => failure.diagnostics.0,
        }
    }
}

/// The one error whose message contains `needle`, with its file name, line and column.
pub fn find<'a>(errors: &'a [Diagnostic], needle: &str) -> &'a Diagnostic {
    errors
        .iter()
        .find(|d| d.severity == Severity::Error && d.message.contains(needle))
        .unwrap_or_else(|| panic!("no error mentioning `{needle}` in:\n{}", render(errors)))
}

pub fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics.iter().map(|d| format!("{d}\n")).collect()
}

pub fn file_name(d: &Diagnostic) -> &str {
    Path::new(&d.path).file_name().unwrap().to_str().unwrap()
}

/// A vertex shader writing `vec2 uv` at location 0 from one instance input.
pub const QUAD_VERT: &str = "#version 450
layout(location = 0) in vec4 dst;
layout(location = 0) out vec2 uv;
void main() {
    uv = dst.xy;
    gl_Position = vec4(dst.xy, 0.0, 1.0);
}
";

/// A fragment shader reading `vec2 uv` at location 0.
pub const UV_FRAG: &str = "#version 450
layout(location = 0) in vec2 uv;
layout(location = 0) out vec4 color;
void main() {
    color = vec4(uv, 0.0, 1.0);
}
";

/// A manifest with one render pass and one pipeline `p` of the given stages and extra
/// fields.
pub fn manifest(vertex: &str, fragment: &str, extra: &str) -> String {
    format!(
        "(\n    render_passes: {{ \"out\": (color: Target) }},\n    pipelines: {{\n        \"p\": (\n            pass: \"out\",\n            vertex: \"{vertex}\",\n            fragment: \"{fragment}\",\n            {extra}\n        ),\n    }},\n)\n"
    )
}
