//! `pipelines.ron`: the render passes and pipelines a crate wants generated.
//!
//! ```ron
//! (
//!     render_passes: { "output": (color: Target, load: Load, store: Store) },
//!     pipelines: {
//!         "texture": (
//!             pass: "output",
//!             vertex: "quad.vert",
//!             fragment: "texture.frag",
//!             blend: Premultiplied,
//!             instance_inputs: ["dst", "uv_origin", "uv_axes", "alpha"],
//!             sets: { 0: "Textured" },
//!             variants: { "alpha": { "HAS_ALPHA": true }, "opaque": { "HAS_ALPHA": false } },
//!         ),
//!         "texture_ycbcr": (
//!             pass: "output",
//!             vertex: "quad.vert",
//!             fragment: "texture.frag",
//!             sets: { 0: "YcbcrTextured" },
//!             // Set 0, binding 0 takes its sampler from the layout (a YCbCr conversion).
//!             immutable_samplers: { 0: [0] },
//!         ),
//!     },
//! )
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diag::{Diagnostic, Position};

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Macros defined for every GLSL shader.
    #[serde(default)]
    pub defines: BTreeMap<String, String>,
    pub render_passes: BTreeMap<String, RenderPass>,
    pub pipelines: BTreeMap<String, Pipeline>,
}

/// A render pass with one color attachment.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenderPass {
    pub color: ColorFormat,
    #[serde(default)]
    pub load: LoadOp,
    #[serde(default)]
    pub store: StoreOp,
    /// The Rust path of an existing render-pass type this one is (vkcompose's own
    /// `output` pass is `::vkcompose::shaders::passes::Output`): the pipelines built for it
    /// then draw in that crate's frames. The generated code asserts at compile time that
    /// `color`, `load` and `store` describe it.
    #[serde(default, deserialize_with = "plain_some")]
    pub shared: Option<String>,
}

/// An optional string written plainly (`shared: "::a::B"`), not as RON's `Some("::a::B")`.
fn plain_some<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

/// The attachment's format class: `Target` takes the format of whatever the pass renders
/// into, chosen when the render pass object is created; the others are fixed.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub enum ColorFormat {
    Target,
    Rgba8Unorm,
    Bgra8Unorm,
    Rgba8Srgb,
    Bgra8Srgb,
    Rgb10A2Unorm,
    Rgba16Float,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum LoadOp {
    #[default]
    Load,
    Clear,
    DontCare,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum StoreOp {
    #[default]
    Store,
    DontCare,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    pub pass: String,
    pub vertex: ShaderRef,
    pub fragment: ShaderRef,
    #[serde(default)]
    pub blend: Blend,
    #[serde(default)]
    pub topology: Topology,
    /// Vertices drawn per instance (4: a quad as a triangle strip).
    #[serde(default = "default_vertices")]
    pub vertices: u32,
    /// Vertex-shader inputs that advance per instance; all others advance per vertex.
    #[serde(default)]
    pub instance_inputs: Vec<String>,
    /// The descriptor sets the pipeline binds, by set number, each named: the name is the
    /// generated Rust type, shared by every pipeline that names it.
    #[serde(default)]
    pub sets: BTreeMap<u32, String>,
    /// Combined-image-sampler bindings, by set number, whose sampler is baked into the set
    /// layout as an immutable sampler and given when the pipeline is built. A sampler with
    /// a YCbCr conversion can only be bound this way.
    #[serde(default)]
    pub immutable_samplers: BTreeMap<u32, Vec<u32>>,
    /// Named variants, each a value for some specialization constants (by name).
    #[serde(default)]
    pub variants: BTreeMap<String, BTreeMap<String, SpecValue>>,
    /// Left out of the generated `Pipelines` (which builds every pipeline at once): built
    /// by its own `Pipeline::new` when first needed, for pipelines most renderers never
    /// draw with.
    #[serde(default)]
    pub on_demand: bool,
}

fn default_vertices() -> u32 {
    4
}

/// A shader stage: a file under the shader directory, optionally with the entry point
/// (needed when a WGSL file has several for one stage) and extra GLSL macros.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum ShaderRef {
    File(String),
    Detailed {
        file: String,
        #[serde(default)]
        entry: Option<String>,
        #[serde(default)]
        defines: BTreeMap<String, String>,
    },
}

impl ShaderRef {
    pub fn file(&self) -> &str {
        match self {
            ShaderRef::File(f) | ShaderRef::Detailed { file: f, .. } => f,
        }
    }

    pub fn entry(&self) -> Option<&str> {
        match self {
            ShaderRef::Detailed { entry, .. } => entry.as_deref(),
            ShaderRef::File(_) => None,
        }
    }

    pub fn defines(&self) -> Option<&BTreeMap<String, String>> {
        match self {
            ShaderRef::Detailed { defines, .. } => Some(defines),
            ShaderRef::File(_) => None,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum Blend {
    /// Source replaces destination.
    Replace,
    /// `src + dst * (1 - src.a)`: Wayland's premultiplied alpha.
    #[default]
    Premultiplied,
    /// `src * src.a + dst * (1 - src.a)`.
    Straight,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum Topology {
    #[default]
    TriangleStrip,
    TriangleList,
    TriangleFan,
    LineList,
    LineStrip,
    PointList,
}

/// A specialization constant's value in a variant.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum SpecValue {
    Bool(bool),
    Int(i64),
    Float(f64),
}

/// The manifest with its text, so later checks can point into it.
pub struct Loaded {
    pub path: PathBuf,
    pub text: String,
    pub manifest: Manifest,
}

impl Loaded {
    pub fn parse(path: &Path, text: String) -> Result<Loaded, Diagnostic> {
        let options = ron::Options::default();
        match options.from_str::<Manifest>(&text) {
            Ok(manifest) => Ok(Loaded {
                path: path.to_path_buf(),
                text,
                manifest,
            }),
            Err(e) => Err(Diagnostic::error(
                path,
                Position {
                    line: e.span.start.line as u32,
                    column: e.span.start.col as u32,
                },
                e.code.to_string(),
            )),
        }
    }

    /// An error pointing at `needle` inside pipeline `key`'s entry, or at the entry itself
    /// when the needle is not in it.
    pub fn error_at(&self, key: &str, needle: &str, message: impl Into<String>) -> Diagnostic {
        let position = self.locate(Section::Pipelines, key, needle);
        Diagnostic::error(&self.path, position, message)
    }

    pub fn warning_at(&self, key: &str, needle: &str, message: impl Into<String>) -> Diagnostic {
        let position = self.locate(Section::Pipelines, key, needle);
        Diagnostic::warning(&self.path, position, message)
    }

    /// An error pointing into pipeline `key`'s `immutable_samplers`: at set `set`'s key, or
    /// at `binding` in its list; at the field itself when those are not found.
    pub fn immutable_sampler_error(
        &self,
        key: &str,
        set: u32,
        binding: Option<u32>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let position = self.locate_immutable(key, set, binding);
        Diagnostic::error(&self.path, position, message)
    }

    /// Like [`Loaded::error_at`], for an entry of `section`.
    pub fn diagnostic_in(
        &self,
        section: Section,
        key: &str,
        error: bool,
        message: impl Into<String>,
    ) -> Diagnostic {
        let position = self.locate(section, key, "");
        if error {
            Diagnostic::error(&self.path, position, message)
        } else {
            Diagnostic::warning(&self.path, position, message)
        }
    }

    /// RON gives no spans for values, so positions are found in the text: the entry
    /// `"key": (...)` after the section's name, then the needle inside that entry's
    /// parentheses.
    fn locate(&self, section: Section, key: &str, needle: &str) -> Position {
        let text = &self.text;
        let section_start = text.find(section.field()).unwrap_or(0);
        let Some(entry) = find_entry(text, section_start, key) else {
            return Position::START;
        };
        let end = matching_paren(text, entry).unwrap_or(text.len());
        let offset = match needle {
            "" => entry,
            needle => text[entry..end]
                .find(needle)
                .map_or(entry, |found| entry + found),
        };
        Position::of_offset(text, offset)
    }
}

impl Loaded {
    fn locate_immutable(&self, key: &str, set: u32, binding: Option<u32>) -> Position {
        let text = &self.text;
        let section_start = text.find(Section::Pipelines.field()).unwrap_or(0);
        let Some(entry) = find_entry(text, section_start, key) else {
            return Position::START;
        };
        let end = matching_paren(text, entry).unwrap_or(text.len());
        let Some(field) = text[entry..end]
            .find("immutable_samplers")
            .map(|f| entry + f)
        else {
            return Position::of_offset(text, entry);
        };
        // The map runs to the `}` that closes it; its keys are numbers followed by `:`.
        let map_end = text[field..end].find('}').map_or(end, |f| field + f);
        let set_key = find_number(text, field..map_end, set, |rest| rest.starts_with(':'));
        let offset = match (set_key, binding) {
            (None, _) => field,
            (Some(at), None) => at,
            (Some(at), Some(binding)) => {
                let list_end = text[at..map_end].find(']').map_or(map_end, |f| at + f);
                find_number(text, at..list_end, binding, |rest| !rest.starts_with(':'))
                    .unwrap_or(at)
            }
        };
        Position::of_offset(text, offset)
    }
}

/// The offset of the whole number `n` in `text[range]` whose following text (spaces
/// skipped) satisfies `followed`.
fn find_number(
    text: &str,
    range: std::ops::Range<usize>,
    n: u32,
    followed: impl Fn(&str) -> bool,
) -> Option<usize> {
    let wanted = n.to_string();
    let bytes = text.as_bytes();
    let mut at = range.start;
    while let Some(found) = text[at..range.end].find(&wanted) {
        let start = at + found;
        let end = start + wanted.len();
        let whole = (start == 0 || !bytes[start - 1].is_ascii_digit())
            && !bytes.get(end).is_some_and(u8::is_ascii_digit);
        if whole && followed(text[end..].trim_start()) {
            return Some(start);
        }
        at = end;
    }
    None
}

/// The top-level manifest fields that hold named entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Pipelines,
    RenderPasses,
}

impl Section {
    fn field(self) -> &'static str {
        match self {
            Section::Pipelines => "pipelines:",
            Section::RenderPasses => "render_passes:",
        }
    }
}

/// The offset of `"key"` used as a map key (followed by `:`) at or after `from`.
fn find_entry(text: &str, from: usize, key: &str) -> Option<usize> {
    let quoted = format!("\"{key}\"");
    let mut at = from;
    while let Some(found) = text[at..].find(&quoted) {
        let start = at + found;
        let after = &text[start + quoted.len()..];
        if after.trim_start().starts_with(':') {
            return Some(start);
        }
        at = start + quoted.len();
    }
    None
}

/// The end of the parenthesised value that follows `from`, skipping strings and comments.
fn matching_paren(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let open = from + text[from..].find('(')?;
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_carry_the_ron_position() {
        let text = "(\n  render_passes: {},\n  pipelines: { \"a\": (pass: 3) },\n)".to_string();
        let error = Loaded::parse(Path::new("p.ron"), text).err().unwrap();
        assert_eq!(error.position.line, 3);
        assert!(error.message.contains("string"), "{}", error.message);
    }

    #[test]
    fn shader_refs_are_strings_or_structs() {
        let text = r#"(
            render_passes: { "o": (color: Target) },
            pipelines: { "p": (pass: "o", vertex: "a.vert",
                fragment: (file: "b.wgsl", entry: "fs")) },
        )"#;
        let loaded = Loaded::parse(Path::new("p.ron"), text.into()).unwrap();
        let p = &loaded.manifest.pipelines["p"];
        assert_eq!(p.vertex.file(), "a.vert");
        assert_eq!(p.fragment.entry(), Some("fs"));
        assert_eq!(p.blend, Blend::Premultiplied);
        assert_eq!(p.vertices, 4);
    }

    #[test]
    fn immutable_sampler_errors_point_at_the_set_and_the_binding() {
        let text = r#"(
            render_passes: { "o": (color: Target) },
            pipelines: { "p": (pass: "o", vertex: "a.vert", fragment: "b.frag",
                sets: { 1: "A", 10: "B" },
                immutable_samplers: { 1: [2, 12], 10: [1] }) },
        )"#;
        let loaded = Loaded::parse(Path::new("p.ron"), text.into()).unwrap();
        let at = |set, binding| loaded.locate_immutable("p", set, binding);
        let line = "                immutable_samplers: { 1: [2, 12], 10: [1] }) },";
        let column = |needle: &str| line.find(needle).unwrap() as u32 + 1;
        assert_eq!(
            at(1, None),
            Position {
                line: 5,
                column: column("1:")
            }
        );
        assert_eq!(
            at(10, None),
            Position {
                line: 5,
                column: column("10:")
            }
        );
        assert_eq!(
            at(1, Some(12)),
            Position {
                line: 5,
                column: column("12")
            }
        );
        assert_eq!(
            at(10, Some(1)),
            Position {
                line: 5,
                column: column("[1]") + 1
            }
        );
        // Unknown set: the field itself.
        assert_eq!(
            at(3, None),
            Position {
                line: 5,
                column: column("immutable")
            }
        );
    }
}
