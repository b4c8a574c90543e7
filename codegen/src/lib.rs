//! # vkcompose-codegen
//!
//! Build-time half of vkcompose: compiles every shader in a directory (WGSL with naga;
//! GLSL with shaderc behind the `glsl` feature) to SPIR-V, validates and reflects it (with
//! `spirq`), checks it against a `pipelines.ron` manifest, and generates typed Rust:
//! push-constant and instance structs with asserted layouts, descriptor-set structs,
//! render-pass types and pipeline constructors. Any problem fails the build with
//! `path:line:col: message`, all at once.
//!
//! WGSL needs nothing but Rust. GLSL needs the `glsl` feature, which builds shaderc's C++
//! (cmake, ninja, a C++ compiler; about 11 minutes on two cores, once per target
//! directory, or point `SHADERC_LIB_DIR` at a prebuilt `libshaderc_combined.a`).
//!
//! From a build script:
//!
//! ```no_run
//! // in build.rs's `fn main`
//! vkcompose_codegen::Builder::new("shaders", "pipelines.ron")
//!     .runtime_path("::vkcompose::pipelines")
//!     .build_script();
//! ```
//!
//! and in the crate: `include!(concat!(env!("OUT_DIR"), "/pipelines.rs"));`.

mod cache;
mod diag;
mod generate;
#[cfg(feature = "glsl")]
mod glsl;
mod layout;
mod manifest;
mod model;
mod names;
mod plan;
mod reflect;
mod source;
mod wgsl;
mod wgsl_include;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use diag::{Diagnostic, Diagnostics, Position, Severity};
pub use model::{
    Binding, Count, DescriptorKind, Interface, InterfaceVar, Member, Scalar, SpecConstant, Stage,
    StructTy, Ty,
};

use cache::Cache;
use manifest::{Loaded, ShaderRef, SpecValue};
use plan::StagePlan;
use source::{display_path, Compiled, Language};

/// Configures and runs code generation.
#[derive(Clone, Debug)]
pub struct Builder {
    shader_dir: PathBuf,
    include_dir: Option<PathBuf>,
    manifest: PathBuf,
    out_dir: Option<PathBuf>,
    runtime_path: String,
    output_name: String,
    cache: bool,
}

/// What a successful run produced.
#[derive(Clone, Debug)]
pub struct Output {
    /// The generated Rust source.
    pub code: String,
    /// Where it was written.
    pub path: PathBuf,
    /// Warnings (unused shaders, compiler warnings, declared-but-unused sets).
    pub warnings: Vec<Diagnostic>,
    /// Every file the result depends on: the manifest, shaders and their includes.
    pub inputs: Vec<PathBuf>,
    /// Shaders compiled in this run, and those taken unchanged from the cache.
    pub compiled: usize,
    pub cached: usize,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}

/// A failed run: every diagnostic, and the inputs to watch for a rerun.
#[derive(Clone, Debug)]
pub struct Failure {
    pub diagnostics: Diagnostics,
    pub inputs: Vec<PathBuf>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.diagnostics.fmt(f)
    }
}

impl std::error::Error for Failure {}

impl Builder {
    /// Shaders under `shader_dir` (includes from `shader_dir/include`), described by the
    /// manifest at `manifest`.
    pub fn new(shader_dir: impl Into<PathBuf>, manifest: impl Into<PathBuf>) -> Builder {
        Builder {
            shader_dir: shader_dir.into(),
            include_dir: None,
            manifest: manifest.into(),
            out_dir: None,
            runtime_path: "::vkcompose::pipelines".into(),
            output_name: "pipelines.rs".into(),
            cache: true,
        }
    }

    /// Directory searched by `#include` after the including file's own; default
    /// `<shader_dir>/include`.
    pub fn include_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.include_dir = Some(dir.into());
        self
    }

    /// Where the Rust file and the SPIR-V go; default `$OUT_DIR`.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.out_dir = Some(dir.into());
        self
    }

    /// The path of vkcompose's `pipelines` module as the generated code sees it:
    /// `::vkcompose::pipelines` (the default) from another crate, `crate::pipelines` inside
    /// vkcompose itself.
    pub fn runtime_path(mut self, path: impl Into<String>) -> Builder {
        self.runtime_path = path.into();
        self
    }

    /// File name of the generated Rust; default `pipelines.rs`.
    pub fn output_name(mut self, name: impl Into<String>) -> Builder {
        self.output_name = name.into();
        self
    }

    /// Whether unchanged shaders are taken from the cache in the output directory.
    pub fn cache(mut self, enabled: bool) -> Builder {
        self.cache = enabled;
        self
    }

    /// For `build.rs`: generates, prints `cargo:rerun-if-changed` for every input and a
    /// `cargo:warning` per warning, and on errors prints each as `path:line:col: message`
    /// and exits with status 1 (no panic, no backtrace).
    pub fn build_script(self) {
        match self.generate_without_panicking() {
            Ok(output) => {
                for input in &output.inputs {
                    println!("cargo:rerun-if-changed={}", input.display());
                }
                for warning in &output.warnings {
                    println!("cargo:warning={warning}");
                }
            }
            Err(failure) => {
                for input in &failure.inputs {
                    println!("cargo:rerun-if-changed={}", input.display());
                }
                for warning in failure.diagnostics.warnings() {
                    println!("cargo:warning={warning}");
                }
                let errors: Vec<_> = failure.diagnostics.errors().collect();
                for error in &errors {
                    eprintln!("{error}");
                }
                eprintln!(
                    "vkcompose-codegen: {} error{} in shaders or manifest",
                    errors.len(),
                    if errors.len() == 1 { "" } else { "s" }
                );
                std::process::exit(1);
            }
        }
    }

    /// `generate`, with a panic in a dependency (a compiler bug on odd input, say) turned
    /// into one error line instead of a backtrace.
    fn generate_without_panicking(&self) -> Result<Output, Failure> {
        let previous_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let result = std::panic::catch_unwind(|| self.generate());
        std::panic::set_hook(previous_hook);
        result.unwrap_or_else(|payload| {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            Err(Failure {
                diagnostics: Diagnostics(vec![Diagnostic::error(
                    display_path(&self.manifest),
                    Position::START,
                    format!("internal error in vkcompose-codegen (please report it): {message}"),
                )]),
                inputs: vec![self.manifest.clone(), self.shader_dir.clone()],
            })
        })
    }

    /// Runs everything and writes the output; returns every diagnostic on failure.
    pub fn generate(&self) -> Result<Output, Failure> {
        let started = Instant::now();
        let mut run = Run::new(self);
        let result = run.execute();
        let inputs = run.inputs.iter().cloned().collect();
        // Two pipelines sharing a shader would otherwise report its problems twice.
        let mut unique = Vec::new();
        for d in run.diagnostics.drain(..) {
            if !unique.contains(&d) {
                unique.push(d);
            }
        }
        let diagnostics = Diagnostics(unique);
        match result {
            Some(code) if !diagnostics.has_errors() => {
                let path = self.resolved_out_dir().join(&self.output_name);
                if let Err(e) = write_if_changed(&path, code.as_bytes()) {
                    return Err(Failure {
                        diagnostics: Diagnostics(vec![Diagnostic::error(
                            &path,
                            Position::START,
                            format!("cannot write the generated code: {e}"),
                        )]),
                        inputs,
                    });
                }
                Ok(Output {
                    code,
                    path,
                    warnings: diagnostics.0,
                    inputs,
                    compiled: run.compiled,
                    cached: run.cached,
                    elapsed: started.elapsed(),
                })
            }
            _ => Err(Failure {
                diagnostics,
                inputs,
            }),
        }
    }

    fn resolved_out_dir(&self) -> PathBuf {
        self.out_dir
            .clone()
            .or_else(|| std::env::var_os("OUT_DIR").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("target/vkcompose-codegen"))
    }

    fn include_dir_or_default(&self) -> PathBuf {
        self.include_dir
            .clone()
            .unwrap_or_else(|| self.shader_dir.join("include"))
    }
}

/// GLSL through shaderc, where the `glsl` feature is on.
#[cfg(feature = "glsl")]
fn compile_glsl(
    path: &Path,
    source: &str,
    stage: Stage,
    include_dir: &Path,
    defines: &BTreeMap<String, String>,
) -> Result<Compiled, Vec<Diagnostic>> {
    glsl::compile(path, source, stage, include_dir, defines)
}

/// Without the `glsl` feature a GLSL file is an error that says how to turn it on.
#[cfg(not(feature = "glsl"))]
fn compile_glsl(
    path: &Path,
    _source: &str,
    _stage: Stage,
    _include_dir: &Path,
    _defines: &BTreeMap<String, String>,
) -> Result<Compiled, Vec<Diagnostic>> {
    Err(vec![Diagnostic::error(
        display_path(path),
        Position::START,
        "GLSL needs vkcompose-codegen's `glsl` feature (shaderc, built from C++ source: \
         cmake, ninja and a C++ compiler); turn it on in [build-dependencies], or write \
         the shader in WGSL",
    )])
}

/// Writing an unchanged file would make cargo rebuild the crate for nothing.
fn write_if_changed(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if std::fs::read(path).ok().as_deref() == Some(contents) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, contents)
}

/// One compilation unit: a shader file with its macros.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Unit {
    /// Path relative to the shader directory, with `/` separators, as the manifest names it.
    file: String,
    defines: BTreeMap<String, String>,
}

impl Unit {
    /// File name of its SPIR-V beside the generated code.
    fn spirv_name(&self) -> String {
        let base = self.file.replace(['/', '\\'], "_");
        if self.defines.is_empty() {
            format!("{base}.spv")
        } else {
            let mut hash = source::Fnv::default();
            for (k, v) in &self.defines {
                hash.write(k.as_bytes()).write(v.as_bytes());
            }
            format!("{base}-{:08x}.spv", hash.finish() as u32)
        }
    }
}

/// State of one generation run.
struct Run<'a> {
    builder: &'a Builder,
    diagnostics: Vec<Diagnostic>,
    inputs: BTreeSet<PathBuf>,
    units: BTreeMap<Unit, Option<Compiled>>,
    /// (pipeline, stage) references already reported as unusable; not reflected.
    rejected: BTreeSet<(String, Stage)>,
    cache: Cache,
    compiled: usize,
    cached: usize,
}

const SPIRV_DIR: &str = "spirv";

impl<'a> Run<'a> {
    fn new(builder: &'a Builder) -> Run<'a> {
        let cache_dir = builder
            .cache
            .then(|| builder.resolved_out_dir().join("vkcompose-cache"));
        Run {
            builder,
            diagnostics: Vec::new(),
            inputs: BTreeSet::new(),
            units: BTreeMap::new(),
            rejected: BTreeSet::new(),
            cache: Cache::new(cache_dir),
            compiled: 0,
            cached: 0,
        }
    }

    fn execute(&mut self) -> Option<String> {
        let manifest_path = self.builder.manifest.clone();
        self.inputs.insert(manifest_path.clone());
        self.inputs.insert(self.builder.shader_dir.clone());
        let include_dir = self.builder.include_dir_or_default();
        if include_dir.is_dir() {
            self.inputs.insert(include_dir.clone());
        }
        let manifest = self.load_manifest(&manifest_path);
        let files = self.discover(&include_dir);

        // Units the manifest asks for, then every other file once, so that every shader in
        // the directory is checked even when no pipeline uses it (yet).
        let global = manifest
            .as_ref()
            .map(|m| m.manifest.defines.clone())
            .unwrap_or_default();
        let mut referenced = BTreeSet::new();
        if let Some(m) = &manifest {
            for (name, p) in &m.manifest.pipelines {
                for (stage, r) in [(Stage::Vertex, &p.vertex), (Stage::Fragment, &p.fragment)] {
                    if self.check_reference(m, name, stage, r, &files) {
                        referenced.insert(r.file().to_string());
                        for unit in stage_units(r, &global, &p.variants) {
                            self.units.insert(unit, None);
                        }
                    } else {
                        self.rejected.insert((name.clone(), stage));
                    }
                }
            }
        }
        for file in &files {
            if !referenced.contains(file) {
                if manifest.is_some() {
                    let shown = display_path(&self.builder.shader_dir.join(file));
                    self.diagnostics.push(Diagnostic::warning(
                        shown,
                        Position::START,
                        "shader is not used by any pipeline in the manifest",
                    ));
                }
                self.units
                    .insert(unit_of(&ShaderRef::File(file.clone()), &global), None);
            }
        }
        self.compile_units(&include_dir);

        let manifest = manifest?;
        let stages = self.pipeline_stages(&manifest, &global);
        let plan = plan::plan(&manifest, stages, &mut self.diagnostics);
        if self.diagnostics.iter().any(Diagnostic::is_error) {
            return None;
        }
        self.write_spirv(&plan)?;
        let runtime: syn::Path = match syn::parse_str(&self.builder.runtime_path) {
            Ok(path) => path,
            Err(e) => {
                self.diagnostics.push(Diagnostic::error(
                    &manifest_path,
                    Position::START,
                    format!(
                        "runtime path `{}` is not a Rust path: {e}",
                        self.builder.runtime_path
                    ),
                ));
                return None;
            }
        };
        let name = manifest_path
            .file_name()
            .map_or("the manifest".into(), |n| n.to_string_lossy().into_owned());
        match generate::generate(&plan, &runtime, &name) {
            Ok(code) => Some(code),
            Err(message) => {
                self.diagnostics
                    .push(Diagnostic::error(&manifest_path, Position::START, message));
                None
            }
        }
    }

    fn load_manifest(&mut self, path: &Path) -> Option<Loaded> {
        let shown = display_path(path);
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                self.diagnostics.push(Diagnostic::error(
                    &shown,
                    Position::START,
                    format!("cannot read the manifest: {e}"),
                ));
                return None;
            }
        };
        match Loaded::parse(&shown, text) {
            Ok(loaded) => Some(loaded),
            Err(d) => {
                self.diagnostics.push(d);
                None
            }
        }
    }

    /// Shader files relative to the shader directory, `/`-separated.
    fn discover(&mut self, include_dir: &Path) -> Vec<String> {
        let dir = &self.builder.shader_dir;
        match source::discover(dir, include_dir) {
            Ok(found) => found
                .into_iter()
                .filter_map(|path| {
                    let relative = path
                        .strip_prefix(dir)
                        .ok()?
                        .to_string_lossy()
                        .replace('\\', "/");
                    self.inputs.insert(path);
                    Some(relative)
                })
                .collect(),
            Err(e) => {
                self.diagnostics.push(Diagnostic::error(
                    display_path(dir),
                    Position::START,
                    format!("cannot read the shader directory: {e}"),
                ));
                Vec::new()
            }
        }
    }

    /// The referenced file exists and can be the stage it is used as.
    fn check_reference(
        &mut self,
        m: &Loaded,
        pipeline: &str,
        stage: Stage,
        r: &ShaderRef,
        files: &[String],
    ) -> bool {
        let needle = format!("\"{}\"", r.file());
        if !files.iter().any(|f| f == r.file()) {
            let mut message = format!(
                "pipeline `{pipeline}`: {} shader `{}` not found in `{}`",
                stage.name(),
                r.file(),
                display_path(&self.builder.shader_dir).display()
            );
            if let Some(close) = files
                .iter()
                .find(|f| f.ends_with(r.file()) || r.file().ends_with(f.as_str()))
            {
                message.push_str(&format!(" (did you mean `{close}`?)"));
            }
            self.diagnostics
                .push(m.error_at(pipeline, &needle, message));
            return false;
        }
        match Language::of(Path::new(r.file())) {
            Some(Language::Glsl(s)) if s != stage => {
                self.diagnostics.push(m.error_at(
                    pipeline,
                    &needle,
                    format!(
                        "pipeline `{pipeline}`: `{}` is a {} shader, used here as the {} stage",
                        r.file(),
                        s.name(),
                        stage.name()
                    ),
                ));
                false
            }
            Some(Language::Wgsl) if r.defines().is_some_and(|d| !d.is_empty()) => {
                self.diagnostics.push(m.error_at(
                    pipeline,
                    &needle,
                    format!(
                        "pipeline `{pipeline}`: `defines` apply to GLSL only, but `{}` is WGSL",
                        r.file()
                    ),
                ));
                false
            }
            _ => true,
        }
    }

    fn compile_units(&mut self, include_dir: &Path) {
        let units: Vec<Unit> = self.units.keys().cloned().collect();
        for unit in units {
            let compiled = self.compile_unit(&unit, include_dir);
            self.units.insert(unit, compiled);
        }
    }

    fn compile_unit(&mut self, unit: &Unit, include_dir: &Path) -> Option<Compiled> {
        let path = self.builder.shader_dir.join(&unit.file);
        let key = Cache::key(&format!("{}\n{:?}", path.display(), unit.defines));
        if let Some(hit) = self.cache.load(key) {
            self.cached += 1;
            self.inputs.extend(hit.includes.iter().cloned());
            self.diagnostics.extend(hit.warnings.iter().cloned());
            return Some(hit);
        }
        let source = match std::fs::read_to_string(&path) {
            Ok(s) => s,
            Err(e) => {
                self.diagnostics.push(Diagnostic::error(
                    display_path(&path),
                    Position::START,
                    format!("cannot read: {e}"),
                ));
                return None;
            }
        };
        let result = match Language::of(&path) {
            Some(Language::Glsl(stage)) => {
                compile_glsl(&path, &source, stage, include_dir, &unit.defines)
            }
            _ => wgsl::compile(&path, &source, &unit.defines, include_dir),
        };
        self.compiled += 1;
        match result {
            Ok(compiled) => {
                self.inputs.extend(compiled.includes.iter().cloned());
                self.diagnostics.extend(compiled.warnings.iter().cloned());
                self.cache.store(key, &path, &compiled);
                Some(compiled)
            }
            Err(errors) => {
                self.diagnostics.extend(errors);
                None
            }
        }
    }

    /// Reflects each pipeline's two stages. Pipelines with a stage that failed to compile
    /// are left out (their errors are already reported), so the others are still checked
    /// and every error shows in one build.
    fn pipeline_stages(
        &mut self,
        m: &Loaded,
        global: &BTreeMap<String, String>,
    ) -> BTreeMap<String, (StagePlan, StagePlan)> {
        let mut stages = BTreeMap::new();
        for (name, p) in &m.manifest.pipelines {
            let vertex = self.stage_plan(m, name, Stage::Vertex, &p.vertex, global);
            let fragment = self.stage_plan(m, name, Stage::Fragment, &p.fragment, global);
            if let (Some(v), Some(f)) = (vertex, fragment) {
                stages.insert(name.clone(), (v, f));
            }
        }
        stages
    }

    fn stage_plan(
        &mut self,
        m: &Loaded,
        pipeline: &str,
        stage: Stage,
        r: &ShaderRef,
        global: &BTreeMap<String, String>,
    ) -> Option<StagePlan> {
        if self.rejected.contains(&(pipeline.to_string(), stage)) {
            return None;
        }
        let variants = &m.manifest.pipelines[pipeline].variants;
        let units = stage_units(r, global, variants);
        let unit = units[0].clone();
        let compiled = self.units.get(&unit)?.as_ref()?;
        let needle = format!("\"{}\"", r.file());
        let entry = match (r.entry(), Language::of(Path::new(r.file()))) {
            (Some(entry), _) => entry.to_string(),
            (None, Some(Language::Glsl(_))) => "main".to_string(),
            (None, _) => {
                let found = reflect::entry_points(&compiled.words).unwrap_or_default();
                let of_stage: Vec<&String> = found
                    .iter()
                    .filter(|(s, _)| *s == stage)
                    .map(|(_, n)| n)
                    .collect();
                match of_stage.as_slice() {
                    [one] => one.to_string(),
                    [] => {
                        self.diagnostics.push(m.error_at(
                            pipeline,
                            &needle,
                            format!(
                                "pipeline `{pipeline}`: `{}` has no {} entry point",
                                r.file(),
                                stage.name()
                            ),
                        ));
                        return None;
                    }
                    many => {
                        let names: Vec<String> = many.iter().map(|n| format!("`{n}`")).collect();
                        self.diagnostics.push(m.error_at(pipeline, &needle, format!(
                            "pipeline `{pipeline}`: `{}` has several {} entry points ({}); name one with `(file: \"{}\", entry: \"...\")`",
                            r.file(), stage.name(), names.join(", "), r.file()
                        )));
                        return None;
                    }
                }
            }
        };
        match reflect::reflect(&compiled.words, stage, &entry) {
            Ok(mut interface) => {
                let wgsl = Language::of(Path::new(r.file())) == Some(Language::Wgsl);
                if wgsl {
                    let path = self.builder.shader_dir.join(r.file());
                    let source = std::fs::read_to_string(&path).unwrap_or_default();
                    let include_dir = self.builder.include_dir_or_default();
                    interface.spec_constants = wgsl::overrides(&path, &source, &include_dir);
                }
                let spirv_of = |u: &Unit| format!("{SPIRV_DIR}/{}", u.spirv_name());
                Some(StagePlan {
                    file: r.file().to_string(),
                    spirv: spirv_of(&unit),
                    // One unit per variant: see `stage_units`.
                    variant_spirv: if wgsl && !variants.is_empty() {
                        units.iter().map(spirv_of).collect()
                    } else {
                        Vec::new()
                    },
                    interface,
                })
            }
            Err(message) => {
                let shown = display_path(&self.builder.shader_dir.join(r.file()));
                self.diagnostics
                    .push(Diagnostic::error(shown, Position::START, message));
                None
            }
        }
    }

    /// Writes the SPIR-V of every unit a pipeline uses, once each, beside the code.
    fn write_spirv(&mut self, plan: &plan::Plan) -> Option<()> {
        let dir = self.builder.resolved_out_dir();
        let used: BTreeSet<&str> = plan
            .pipelines
            .iter()
            .flat_map(|p| [&p.vertex, &p.fragment])
            .flat_map(|stage| std::iter::once(&stage.spirv).chain(&stage.variant_spirv))
            .map(String::as_str)
            .collect();
        for (unit, compiled) in &self.units {
            let name = format!("{SPIRV_DIR}/{}", unit.spirv_name());
            let Some(compiled) = compiled.as_ref().filter(|_| used.contains(name.as_str())) else {
                continue;
            };
            let path = dir.join(&name);
            if let Err(e) = write_if_changed(&path, &compiled.spirv_bytes()) {
                self.diagnostics.push(Diagnostic::error(
                    &path,
                    Position::START,
                    format!("cannot write SPIR-V: {e}"),
                ));
                return None;
            }
        }
        Some(())
    }
}

/// The units a pipeline's stage compiles: one, or for a WGSL stage of a pipeline with
/// variants, one per variant (in the manifest's order) with its values as the unit's
/// `defines` (override values: naga cannot leave them to specialization).
fn stage_units(
    r: &ShaderRef,
    global: &BTreeMap<String, String>,
    variants: &BTreeMap<String, BTreeMap<String, SpecValue>>,
) -> Vec<Unit> {
    let unit = unit_of(r, global);
    if Language::of(Path::new(r.file())) != Some(Language::Wgsl) || variants.is_empty() {
        return vec![unit];
    }
    variants
        .values()
        .map(|values| Unit {
            file: unit.file.clone(),
            defines: values
                .iter()
                .map(|(name, value)| (name.clone(), override_text(value)))
                .collect(),
        })
        .collect()
}

fn override_text(value: &SpecValue) -> String {
    match value {
        SpecValue::Bool(b) => b.to_string(),
        SpecValue::Int(i) => i.to_string(),
        SpecValue::Float(f) => format!("{f:?}"),
    }
}

fn unit_of(r: &ShaderRef, global: &BTreeMap<String, String>) -> Unit {
    let mut defines = global.clone();
    if let Some(extra) = r.defines() {
        defines.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    // WGSL has no preprocessor; keep one unit per WGSL file.
    if Language::of(Path::new(r.file())) == Some(Language::Wgsl) {
        defines.clear();
    }
    Unit {
        file: r.file().to_string(),
        defines,
    }
}
