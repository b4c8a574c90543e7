//! WGSL to SPIR-V with naga: parsed, validated, written as SPIR-V 1.5 with no Y flip.
//!
//! WGSL `override` declarations are rejected: naga's SPIR-V writer can only emit them after
//! they are folded into constants, which would silently turn a specialization point into a
//! fixed value. Variants belong in GLSL `constant_id` constants for now.

use std::path::Path;

use naga::back::spv;
use naga::valid::{Capabilities, ValidationFlags, Validator};

use crate::diag::{Diagnostic, Position};
use crate::source::{display_path, Compiled};

pub fn compile(path: &Path, source: &str) -> Result<Compiled, Vec<Diagnostic>> {
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
        .map(|(handle, o)| {
            let span = module.overrides.get_span(handle).to_range();
            let name = o.name.as_deref().unwrap_or("?");
            error_at(
                span.map(|r| r.start),
                format!(
                    "WGSL `override {name}` is not supported: naga cannot write it as a SPIR-V \
                     specialization constant; use a `const`, or a GLSL shader with \
                     `layout(constant_id = N)`"
                ),
            )
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
    let words = spv::write_vec(&module, &info, &options, None)
        .map_err(|e| vec![error_at(None, format!("SPIR-V generation failed: {e}"))])?;
    Ok(Compiled {
        words,
        includes: Vec::new(),
        warnings: Vec::new(),
    })
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
