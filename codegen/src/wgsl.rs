//! WGSL to SPIR-V with naga: parsed, validated, written as SPIR-V 1.5 with no Y flip.
//!
//! WGSL `override`s are a pipeline's variants: naga's SPIR-V writer cannot emit a
//! specialization constant, only an override folded to a value, so a WGSL stage is
//! compiled once per variant with that variant's values (each `override` needs an
//! `@id(N)`, the id the manifest's variants and the generated code name it by), and the
//! generated code picks the variant's module when it builds the pipeline.

use std::collections::BTreeMap;
use std::path::Path;

use naga::back::spv;
use naga::valid::{Capabilities, ValidationFlags, Validator};

use crate::diag::{Diagnostic, Position};
use crate::model::{Scalar, SpecConstant};
use crate::source::{display_path, Compiled};

/// The module's `override`s as specialization constants (id, name, type), in id order.
/// Errors (a parse error, an override without `@id` or of a non-scalar type) are left to
/// [`compile`], which reports them with positions; such overrides are skipped here.
pub fn overrides(path: &Path, source: &str, include_dir: &Path) -> Vec<SpecConstant> {
    let Ok((source, _)) = crate::wgsl_include::expand(path, source, include_dir) else {
        return Vec::new();
    };
    let Ok(module) = naga::front::wgsl::parse_str(&source) else {
        return Vec::new();
    };
    let mut found: Vec<SpecConstant> = module
        .overrides
        .iter()
        .filter_map(|(_, o)| {
            Some(SpecConstant {
                id: u32::from(o.id?),
                name: o.name.clone()?,
                scalar: scalar_of(&module.types[o.ty].inner)?,
            })
        })
        .collect();
    found.sort_by_key(|c| c.id);
    found
}

fn scalar_of(ty: &naga::TypeInner) -> Option<Scalar> {
    match ty {
        naga::TypeInner::Scalar(s) => match (s.kind, s.width) {
            (naga::ScalarKind::Bool, _) => Some(Scalar::Bool),
            (naga::ScalarKind::Uint, 4) => Some(Scalar::U32),
            (naga::ScalarKind::Sint, 4) => Some(Scalar::I32),
            (naga::ScalarKind::Float, 4) => Some(Scalar::F32),
            _ => None,
        },
        _ => None,
    }
}

/// Compiles `source` (its GLSL includes appended: see `wgsl_include`) with its overrides
/// set by name to `values` (names it does not declare are ignored: they belong to the
/// pipeline's other stage); the rest keep their defaults, and one without a default is
/// an error.
pub fn compile(
    path: &Path,
    source: &str,
    values: &BTreeMap<String, String>,
    include_dir: &Path,
) -> Result<Compiled, Vec<Diagnostic>> {
    let (source, includes) = crate::wgsl_include::expand(path, source, include_dir)?;
    let source = source.as_str();
    let shown = display_path(path);
    let error_at = |offset: Option<usize>, message: String| {
        let position = offset.map_or(Position::START, |o| Position::of_offset(source, o));
        Diagnostic::error(&shown, position, message)
    };

    let module = naga::front::wgsl::parse_str(source).map_err(|e| {
        let offset = e.labels().next().and_then(|(span, _)| span.to_range());
        vec![error_at(offset.map(|r| r.start), describe_parse_error(&e))]
    })?;

    let overrides: Vec<Diagnostic> = module
        .overrides
        .iter()
        .filter_map(|(handle, o)| {
            let span = module.overrides.get_span(handle).to_range();
            let name = o.name.as_deref().unwrap_or("?");
            let problem = if o.id.is_none() {
                "needs an `@id(N)`: variants set overrides by id, as specialization constants"
            } else if scalar_of(&module.types[o.ty].inner).is_none() {
                "must be a bool, u32, i32 or f32"
            } else {
                return None;
            };
            Some(error_at(
                span.map(|r| r.start),
                format!("WGSL `override {name}` {problem}"),
            ))
        })
        .collect();
    if !overrides.is_empty() {
        return Err(overrides);
    }

    let info = Validator::new(ValidationFlags::all(), Capabilities::IMMEDIATES)
        .validate(&module)
        .map_err(|e| {
            // The last span is the innermost: the offending expression, not its function.
            let offset = e.spans().last().and_then(|(span, _)| span.to_range());
            let mut message = e.as_inner().to_string();
            let mut source_error = std::error::Error::source(e.as_inner());
            while let Some(inner) = source_error {
                message.push_str(": ");
                message.push_str(&inner.to_string());
                source_error = inner.source();
            }
            vec![error_at(offset.map(|r| r.start), message)]
        })?;

    let options = spv::Options {
        lang_version: (1, 5),
        // No Y flip: the vertex shaders write Vulkan clip space directly, as GLSL ones do.
        flags: spv::WriterFlags::DEBUG | spv::WriterFlags::LABEL_VARYINGS,
        // With no binding map, naga keeps each resource's own @group/@binding only when
        // told to "fake" the missing map entries; otherwise any bound resource fails.
        fake_missing_bindings: true,
        ..spv::Options::default()
    };
    let constants = pipeline_constants(&module, values).map_err(|m| vec![error_at(None, m)])?;
    let (module, info) =
        naga::back::pipeline_constants::process_overrides(&module, &info, None, &constants)
            .map_err(|e| vec![error_at(None, format!("cannot set the overrides: {e}"))])?;
    let words = spv::write_vec(&module, &info, &options, None)
        .map_err(|e| vec![error_at(None, format!("SPIR-V generation failed: {e}"))])?;
    Ok(Compiled {
        words,
        includes,
        warnings: Vec::new(),
    })
}

/// naga's override values (keyed by id, as f64) from the variant's values by name.
fn pipeline_constants(
    module: &naga::Module,
    values: &BTreeMap<String, String>,
) -> Result<naga::back::PipelineConstants, String> {
    let mut constants = naga::back::PipelineConstants::default();
    for (_, o) in module.overrides.iter() {
        let (Some(name), Some(id)) = (&o.name, o.id) else {
            continue;
        };
        let Some(text) = values.get(name) else {
            continue;
        };
        let value = match text.as_str() {
            "true" => 1.0,
            "false" => 0.0,
            number => number
                .parse::<f64>()
                .map_err(|_| format!("override `{name}`: `{text}` is not a number"))?,
        };
        constants.insert(id.to_string(), value);
    }
    Ok(constants)
}

fn describe_parse_error(error: &naga::front::wgsl::ParseError) -> String {
    let mut message = error.message().to_string();
    for (_, label) in error.labels() {
        if !label.is_empty() && !message.contains(label) {
            message.push_str(": ");
            message.push_str(label);
        }
    }
    message
}
