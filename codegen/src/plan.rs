//! The resolved plan: the manifest checked against the reflected shaders. Everything the
//! generator emits comes from here, and every inconsistency becomes a positioned diagnostic.

use std::collections::BTreeMap;

use crate::diag::Diagnostic;
use crate::manifest::{Blend, ColorFormat, LoadOp, Loaded, Section, SpecValue, StoreOp, Topology};
use crate::model::{
    Binding, Count, DescriptorKind, Interface, InterfaceVar, Member, Scalar, SpecConstant, Stage,
    StructTy, Ty,
};

#[derive(Clone, Debug)]
pub struct Plan {
    pub passes: Vec<PassPlan>,
    pub sets: Vec<SetPlan>,
    pub pipelines: Vec<PipelinePlan>,
}

#[derive(Clone, Debug)]
pub struct PassPlan {
    pub name: String,
    pub color: ColorFormat,
    pub load: LoadOp,
    pub store: StoreOp,
    /// The existing type it is, by Rust path (see the manifest's `shared`).
    pub shared: Option<String>,
}

/// A named descriptor-set layout. `alias_of` names an identical layout declared first.
#[derive(Clone, Debug)]
pub struct SetPlan {
    pub name: String,
    pub alias_of: Option<String>,
    pub bindings: Vec<SetBinding>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetBinding {
    pub binding: u32,
    pub name: String,
    pub kind: DescriptorKind,
    pub count: Count,
    pub stages: Vec<Stage>,
    /// The sampler is baked into the set layout (the manifest's `immutable_samplers`);
    /// only the image is written at draw time.
    pub immutable_sampler: bool,
}

/// A binding of a pipeline whose immutable sampler is given when the pipeline is built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SamplerPlan {
    pub set: u32,
    pub binding: u32,
    /// The binding's name in the shader.
    pub name: String,
    /// The Rust field that takes the sampler: the binding's name, prefixed with its set
    /// (`set1_tex`) where two sets of the pipeline have bindings of that name.
    pub field: String,
}

/// One compiled stage of a pipeline.
#[derive(Clone, Debug)]
pub struct StagePlan {
    /// The shader file as the manifest names it.
    pub file: String,
    /// File name of the SPIR-V written beside the generated code.
    pub spirv: String,
    /// For a stage compiled once per variant (WGSL with `override`s), each variant's SPIR-V
    /// file, in the order of the manifest's variants (`spirv` is the first); else empty.
    pub variant_spirv: Vec<String>,
    pub interface: Interface,
}

#[derive(Clone, Debug)]
pub struct PushPlan {
    /// Members of every stage's block, merged by offset.
    pub block: StructTy,
    /// One range per stage, as the pipeline layout declares them.
    pub ranges: Vec<PushRange>,
    /// Disjoint byte ranges with the exact stage set covering them, as
    /// `vkCmdPushConstants` must be called.
    pub updates: Vec<PushRange>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushRange {
    pub stages: Vec<Stage>,
    pub offset: u32,
    pub size: u32,
}

#[derive(Clone, Debug)]
pub struct VariantPlan {
    pub name: String,
    /// (constant id, value) for every constant the variant sets.
    pub values: Vec<(SpecConstant, SpecValue)>,
}

#[derive(Clone, Debug)]
pub struct PipelinePlan {
    pub name: String,
    pub pass: String,
    pub vertex: StagePlan,
    pub fragment: StagePlan,
    pub blend: Blend,
    pub topology: Topology,
    pub vertices: u32,
    pub push: Option<PushPlan>,
    pub vertex_inputs: Vec<InterfaceVar>,
    pub instance_inputs: Vec<InterfaceVar>,
    /// (set number, set type name), in set order.
    pub sets: Vec<(u32, String)>,
    pub spec_constants: Vec<SpecConstant>,
    pub variants: Vec<VariantPlan>,
    /// The bindings whose samplers are immutable, in (set, binding) order; a pipeline with
    /// any is built with its samplers.
    pub samplers: Vec<SamplerPlan>,
    /// Built on demand, not by the generated `Pipelines` (the manifest's `on_demand`).
    pub on_demand: bool,
}

/// A render pass's `shared` type, when it is a Rust path; an error at the pass otherwise.
fn shared_pass_path(
    manifest: &Loaded,
    name: &str,
    shared: Option<&str>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<String> {
    let path = shared?;
    if syn::parse_str::<syn::Path>(path).is_ok() {
        return Some(path.to_string());
    }
    diagnostics.push(manifest.diagnostic_in(
        Section::RenderPasses,
        name,
        true,
        format!("render pass `{name}`: `shared` must be a Rust type path, such as `::vkcompose::shaders::passes::Output`; `{path}` is not"),
    ));
    None
}

/// Resolves the manifest against the reflected stages. `stages` maps each pipeline name to
/// its (vertex, fragment) stage plans, already compiled and reflected.
pub fn plan(
    manifest: &Loaded,
    stages: BTreeMap<String, (StagePlan, StagePlan)>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Plan {
    let passes = manifest
        .manifest
        .render_passes
        .iter()
        .map(|(name, p)| PassPlan {
            name: name.clone(),
            color: p.color,
            load: p.load,
            store: p.store,
            shared: shared_pass_path(manifest, name, p.shared.as_deref(), diagnostics),
        })
        .collect::<Vec<_>>();
    for name in manifest.manifest.render_passes.keys() {
        check_ident(manifest, Section::RenderPasses, name, diagnostics);
        let used = manifest
            .manifest
            .pipelines
            .values()
            .any(|p| &p.pass == name);
        if !used {
            diagnostics.push(manifest.diagnostic_in(
                Section::RenderPasses,
                name,
                false,
                format!("render pass `{name}` is not used by any pipeline"),
            ));
        }
    }

    let mut sets: BTreeMap<String, SetPlan> = BTreeMap::new();
    let mut pipelines = Vec::new();
    for (name, (vertex, fragment)) in stages {
        let spec = &manifest.manifest.pipelines[&name];
        check_ident(manifest, Section::Pipelines, &name, diagnostics);
        if !manifest.manifest.render_passes.contains_key(&spec.pass) {
            diagnostics.push(manifest.error_at(
                &name,
                &format!("\"{}\"", spec.pass),
                format!("pipeline `{name}` uses render pass `{}`, which `render_passes` does not declare", spec.pass),
            ));
        }
        let mut errors = Errors {
            manifest,
            pipeline: &name,
            out: diagnostics,
        };
        check_stage_interface(&vertex, &fragment, &mut errors);
        check_fragment_outputs(&fragment, &mut errors);
        let push = merge_push_constants(&vertex, &fragment, &mut errors);
        let (vertex_inputs, instance_inputs) =
            split_inputs(&vertex, &spec.instance_inputs, &mut errors);
        let declared = DeclaredSets {
            names: &spec.sets,
            immutable_samplers: &spec.immutable_samplers,
        };
        let (pipeline_sets, samplers) =
            resolve_sets(&vertex, &fragment, &declared, &mut sets, &mut errors);
        let spec_constants = merge_spec_constants(&vertex, &fragment, &mut errors);
        let variants = resolve_variants(&spec.variants, &spec_constants, &mut errors);
        if !vertex_inputs.is_empty() && spec.vertices == 0 {
            errors.error("vertices", "`vertices` must be at least 1".to_string());
        }
        pipelines.push(PipelinePlan {
            name,
            pass: spec.pass.clone(),
            blend: spec.blend,
            topology: spec.topology,
            vertices: spec.vertices,
            push,
            vertex_inputs,
            instance_inputs,
            sets: pipeline_sets,
            spec_constants,
            variants,
            samplers,
            on_demand: spec.on_demand,
            vertex,
            fragment,
        });
    }
    Plan {
        passes,
        sets: share_identical_sets(sets.into_values().collect()),
        pipelines,
    }
}

/// Diagnostics about one pipeline, positioned inside its manifest entry.
struct Errors<'a> {
    manifest: &'a Loaded,
    pipeline: &'a str,
    out: &'a mut Vec<Diagnostic>,
}

impl Errors<'_> {
    fn error(&mut self, needle: &str, message: String) {
        let message = format!("pipeline `{}`: {message}", self.pipeline);
        self.out
            .push(self.manifest.error_at(self.pipeline, needle, message));
    }

    /// An error inside the pipeline's `immutable_samplers`, at `set` or at its `binding`.
    fn immutable_sampler_error(&mut self, set: u32, binding: Option<u32>, message: String) {
        let message = format!("pipeline `{}`: {message}", self.pipeline);
        self.out.push(
            self.manifest
                .immutable_sampler_error(self.pipeline, set, binding, message),
        );
    }

    fn warning(&mut self, needle: &str, message: String) {
        let message = format!("pipeline `{}`: {message}", self.pipeline);
        self.out
            .push(self.manifest.warning_at(self.pipeline, needle, message));
    }
}

fn check_ident(manifest: &Loaded, section: Section, name: &str, out: &mut Vec<Diagnostic>) {
    let valid = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        out.push(manifest.diagnostic_in(
            section,
            name,
            true,
            format!("`{name}` is not usable as a Rust identifier (use letters, digits and `_`)"),
        ));
    }
}

/// Every fragment input must be written by the vertex stage, at the same location, with
/// the same type.
fn check_stage_interface(vertex: &StagePlan, fragment: &StagePlan, errors: &mut Errors) {
    for input in &fragment.interface.inputs {
        match vertex
            .interface
            .outputs
            .iter()
            .find(|o| o.location == input.location)
        {
            None => errors.error(
                &fragment.file,
                format!(
                    "{} reads `{} {}` at location {}, but {} writes nothing there",
                    fragment.file, input.ty, input.name, input.location, vertex.file
                ),
            ),
            Some(output) if output.ty != input.ty => errors.error(
                &fragment.file,
                format!(
                    "location {}: {} writes `{} {}` but {} reads `{} {}`",
                    input.location,
                    vertex.file,
                    output.ty,
                    output.name,
                    fragment.file,
                    input.ty,
                    input.name
                ),
            ),
            Some(_) => {}
        }
    }
}

fn check_fragment_outputs(fragment: &StagePlan, errors: &mut Errors) {
    for output in &fragment.interface.outputs {
        if output.location != 0 {
            errors.error(
                &fragment.file,
                format!(
                    "{} writes `{}` at location {}, but the render pass has one color attachment (location 0)",
                    fragment.file, output.name, output.location
                ),
            );
        }
    }
}

fn merge_push_constants(
    vertex: &StagePlan,
    fragment: &StagePlan,
    errors: &mut Errors,
) -> Option<PushPlan> {
    let blocks: Vec<(Stage, &StagePlan, &StructTy)> = [vertex, fragment]
        .into_iter()
        .filter_map(|s| Some((s.interface.stage, s, s.interface.push_constants.as_ref()?)))
        .collect();
    if blocks.is_empty() {
        return None;
    }
    let mut members: Vec<(Member, &str)> = Vec::new();
    let mut ranges = Vec::new();
    for (stage, plan, block) in &blocks {
        for member in &block.members {
            merge_member(&mut members, member, &plan.file, errors);
        }
        // Vulkan wants push-constant ranges in whole 4-byte words.
        let start = block.members.iter().map(|m| m.offset).min().unwrap_or(0) / 4 * 4;
        let end = block.size().div_ceil(4) * 4;
        ranges.push(PushRange {
            stages: vec![*stage],
            offset: start,
            size: end - start,
        });
    }
    members.sort_by_key(|(m, _)| m.offset);
    let name = blocks[0].2.name.clone();
    let updates = disjoint_updates(&ranges);
    Some(PushPlan {
        block: StructTy {
            name,
            members: members.into_iter().map(|(m, _)| m).collect(),
        },
        ranges,
        updates,
    })
}

fn merge_member<'a>(
    members: &mut Vec<(Member, &'a str)>,
    member: &Member,
    file: &'a str,
    errors: &mut Errors,
) {
    let end = member.offset + member.ty.size();
    for (existing, other_file) in members.iter() {
        let existing_end = existing.offset + existing.ty.size();
        let overlaps = member.offset < existing_end && existing.offset < end;
        if existing.offset == member.offset && existing.ty.same_layout(&member.ty) {
            if existing.name != member.name {
                errors.error(file, format!(
                    "push constant at offset {} is `{}` in {other_file} but `{}` in {file}; name it the same in both",
                    member.offset, existing.name, member.name
                ));
            }
            return;
        }
        if overlaps {
            errors.error(file, format!(
                "push constants disagree: `{} {}` at offset {} in {other_file} overlaps `{} {}` at offset {} in {file}",
                existing.ty, existing.name, existing.offset, member.ty, member.name, member.offset
            ));
            return;
        }
        if existing.name == member.name {
            errors.error(
                file,
                format!(
                    "push constant `{}` is at offset {} in {other_file} but at offset {} in {file}",
                    member.name, existing.offset, member.offset
                ),
            );
            return;
        }
    }
    members.push((member.clone(), file));
}

/// Splits the stage ranges at every boundary so each piece names exactly the stages whose
/// range covers it, which is what `vkCmdPushConstants` requires.
fn disjoint_updates(ranges: &[PushRange]) -> Vec<PushRange> {
    let mut cuts: Vec<u32> = ranges
        .iter()
        .flat_map(|r| [r.offset, r.offset + r.size])
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut updates: Vec<PushRange> = Vec::new();
    for pair in cuts.windows(2) {
        let (start, end) = (pair[0], pair[1]);
        let mut stages: Vec<Stage> = ranges
            .iter()
            .filter(|r| r.offset <= start && end <= r.offset + r.size)
            .flat_map(|r| r.stages.iter().copied())
            .collect();
        stages.sort();
        stages.dedup();
        if stages.is_empty() {
            continue;
        }
        match updates.last_mut() {
            Some(last) if last.stages == stages && last.offset + last.size == start => {
                last.size += end - start
            }
            _ => updates.push(PushRange {
                stages,
                offset: start,
                size: end - start,
            }),
        }
    }
    updates
}

fn split_inputs(
    vertex: &StagePlan,
    instance_names: &[String],
    errors: &mut Errors,
) -> (Vec<InterfaceVar>, Vec<InterfaceVar>) {
    for name in instance_names {
        if !vertex.interface.inputs.iter().any(|i| &i.name == name) {
            let known: Vec<&str> = vertex
                .interface
                .inputs
                .iter()
                .map(|i| i.name.as_str())
                .collect();
            errors.error(
                &format!("\"{name}\""),
                format!(
                    "`instance_inputs` names `{name}`, which {} does not declare (its inputs: {})",
                    vertex.file,
                    list(&known)
                ),
            );
        }
    }
    for input in &vertex.interface.inputs {
        let supported = matches!(&input.ty, Ty::Scalar(s) | Ty::Vector(s, _) if matches!(s, Scalar::F32 | Scalar::I32 | Scalar::U32));
        if !supported {
            errors.error(
                &vertex.file,
                format!(
                    "{}: input `{}` has type `{}`; vertex inputs must be 32-bit scalars or vectors",
                    vertex.file, input.name, input.ty
                ),
            );
        }
    }
    vertex
        .interface
        .inputs
        .iter()
        .cloned()
        .partition(|i| !instance_names.contains(&i.name))
}

/// What a pipeline's manifest entry says about its descriptor sets.
struct DeclaredSets<'a> {
    names: &'a BTreeMap<u32, String>,
    immutable_samplers: &'a BTreeMap<u32, Vec<u32>>,
}

/// The pipeline's (set number, set type name) list, and its immutable samplers.
fn resolve_sets(
    vertex: &StagePlan,
    fragment: &StagePlan,
    declared_sets: &DeclaredSets,
    sets: &mut BTreeMap<String, SetPlan>,
    errors: &mut Errors,
) -> (Vec<(u32, String)>, Vec<SamplerPlan>) {
    let declared = declared_sets.names;
    let mut used: BTreeMap<u32, Vec<SetBinding>> = BTreeMap::new();
    for stage in [vertex, fragment] {
        for binding in &stage.interface.bindings {
            check_binding_supported(binding, stage, errors);
            let bindings = used.entry(binding.set).or_default();
            merge_binding(bindings, binding, stage, errors);
        }
    }
    mark_immutable_samplers(&mut used, declared_sets.immutable_samplers, errors);
    let samplers = sampler_plans(&used);
    for (set, name) in declared {
        if !used.contains_key(set) {
            errors.warning(
                "sets",
                format!("set {set} (`{name}`) is declared but no stage uses it"),
            );
        }
        if !name.starts_with(|c: char| c.is_ascii_uppercase())
            || !name.chars().all(|c| c.is_ascii_alphanumeric())
        {
            errors.error(
                &format!("\"{name}\""),
                format!("set type name `{name}` must be CamelCase letters and digits"),
            );
        }
    }
    let mut result = Vec::new();
    for (set, mut bindings) in used {
        bindings.sort_by_key(|b| b.binding);
        let Some(name) = declared.get(&set) else {
            let described: Vec<String> = bindings
                .iter()
                .map(|b| format!("binding {} `{}` ({})", b.binding, b.name, b.kind.describe()))
                .collect();
            errors.error(
                "sets",
                format!("descriptor set {set} ({}) is used by the shaders but not declared; add `sets: {{ {set}: \"SomeName\" }}`", described.join(", ")),
            );
            continue;
        };
        match sets.get_mut(name) {
            Some(existing) => {
                if !same_bindings(&existing.bindings, &bindings) {
                    let why = if same_bindings_but_samplers(&existing.bindings, &bindings) {
                        "its immutable samplers differ; a layout with immutable samplers is a distinct set type, so give it its own name"
                    } else {
                        "a different layout"
                    };
                    errors.error(
                        &format!("\"{name}\""),
                        format!("set type `{name}` is declared by another pipeline with {why}"),
                    );
                } else {
                    for (e, b) in existing.bindings.iter_mut().zip(&bindings) {
                        union_stages(&mut e.stages, &b.stages);
                    }
                }
            }
            None => {
                sets.insert(
                    name.clone(),
                    SetPlan {
                        name: name.clone(),
                        alias_of: None,
                        bindings,
                    },
                );
            }
        }
        result.push((set, name.clone()));
    }
    (result, samplers)
}

/// Flags the bindings that `immutable_samplers` names; each must be a single combined
/// image sampler that a stage uses.
fn mark_immutable_samplers(
    used: &mut BTreeMap<u32, Vec<SetBinding>>,
    immutable: &BTreeMap<u32, Vec<u32>>,
    errors: &mut Errors,
) {
    for (&set, numbers) in immutable {
        let Some(bindings) = used.get_mut(&set) else {
            let used_sets: Vec<String> = used.keys().map(u32::to_string).collect();
            let used_sets: Vec<&str> = used_sets.iter().map(String::as_str).collect();
            errors.immutable_sampler_error(
                set,
                None,
                format!(
                    "`immutable_samplers` names set {set}, which no stage uses (sets used: {})",
                    list(&used_sets)
                ),
            );
            continue;
        };
        for &number in numbers {
            match bindings.iter_mut().find(|b| b.binding == number) {
                None => {
                    let described: Vec<String> = bindings
                        .iter()
                        .map(|b| format!("{} `{}`", b.binding, b.name))
                        .collect();
                    errors.immutable_sampler_error(
                        set,
                        Some(number),
                        format!(
                            "`immutable_samplers` names set {set} binding {number}, which no stage uses (the set's bindings: {})",
                            described.join(", ")
                        ),
                    );
                }
                Some(binding) => match immutable_sampler_allowed(binding) {
                    Ok(()) => binding.immutable_sampler = true,
                    Err(why) => errors.immutable_sampler_error(
                        set,
                        Some(number),
                        format!(
                            "set {set} binding {number} `{}` cannot have an immutable sampler: {why}",
                            binding.name
                        ),
                    ),
                },
            }
        }
    }
}

/// Immutable samplers are for single combined image samplers: what a YCbCr conversion
/// needs, and what the generated code can give a sampler field for.
fn immutable_sampler_allowed(binding: &SetBinding) -> Result<(), String> {
    if binding.kind != DescriptorKind::CombinedImageSampler {
        return Err(format!(
            "it is a {}, not a combined image sampler",
            binding.kind.describe()
        ));
    }
    if binding.count != Count::One {
        return Err("it is an array; only a single combined image sampler can be".into());
    }
    Ok(())
}

/// One sampler per immutable binding, its field named by the binding, prefixed with the
/// set where another set has a binding of the same name.
fn sampler_plans(used: &BTreeMap<u32, Vec<SetBinding>>) -> Vec<SamplerPlan> {
    let immutable: Vec<(u32, &SetBinding)> = used
        .iter()
        .flat_map(|(set, bindings)| bindings.iter().map(move |b| (*set, b)))
        .filter(|(_, b)| b.immutable_sampler)
        .collect();
    immutable
        .iter()
        .map(|(set, b)| {
            let shared = immutable
                .iter()
                .any(|(other, o)| other != set && o.name == b.name);
            SamplerPlan {
                set: *set,
                binding: b.binding,
                name: b.name.clone(),
                field: if shared {
                    format!("set{set}_{}", b.name)
                } else {
                    b.name.clone()
                },
            }
        })
        .collect()
}

fn check_binding_supported(binding: &Binding, stage: &StagePlan, errors: &mut Errors) {
    let supported = matches!(
        binding.kind,
        DescriptorKind::CombinedImageSampler
            | DescriptorKind::SampledImage
            | DescriptorKind::Sampler
            | DescriptorKind::StorageImage
            | DescriptorKind::UniformBuffer
            | DescriptorKind::StorageBuffer
    );
    if !supported {
        errors.error(
            &stage.file,
            format!(
                "{}: binding `{}` is a {}, which generated pipelines do not support yet",
                stage.file,
                binding.name,
                binding.kind.describe()
            ),
        );
    }
}

fn merge_binding(
    bindings: &mut Vec<SetBinding>,
    binding: &Binding,
    stage: &StagePlan,
    errors: &mut Errors,
) {
    let stage_kind = stage.interface.stage;
    match bindings.iter_mut().find(|b| b.binding == binding.binding) {
        Some(existing) if existing.kind != binding.kind || existing.count != binding.count => {
            errors.error(
                &stage.file,
                format!(
                    "set {} binding {} is a {} `{}` in one stage but a {} `{}` in {}",
                    binding.set,
                    binding.binding,
                    existing.kind.describe(),
                    existing.name,
                    binding.kind.describe(),
                    binding.name,
                    stage.file
                ),
            )
        }
        Some(existing) => union_stages(&mut existing.stages, &[stage_kind]),
        None => bindings.push(SetBinding {
            binding: binding.binding,
            name: binding.name.clone(),
            kind: binding.kind,
            count: binding.count,
            stages: vec![stage_kind],
            immutable_sampler: false,
        }),
    }
}

fn union_stages(into: &mut Vec<Stage>, from: &[Stage]) {
    into.extend_from_slice(from);
    into.sort();
    into.dedup();
}

fn same_bindings(a: &[SetBinding], b: &[SetBinding]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.binding == y.binding
                && x.name == y.name
                && x.kind == y.kind
                && x.count == y.count
                && x.immutable_sampler == y.immutable_sampler
        })
}

/// Whether two layouts differ only in which bindings have immutable samplers.
fn same_bindings_but_samplers(a: &[SetBinding], b: &[SetBinding]) -> bool {
    let plain = |bindings: &[SetBinding]| -> Vec<SetBinding> {
        bindings
            .iter()
            .map(|binding| SetBinding {
                immutable_sampler: false,
                ..binding.clone()
            })
            .collect()
    };
    same_bindings(&plain(a), &plain(b))
}

/// Later sets with the same bindings as an earlier one become aliases of it.
fn share_identical_sets(mut sets: Vec<SetPlan>) -> Vec<SetPlan> {
    for i in 0..sets.len() {
        let earlier = sets[..i]
            .iter()
            .find(|s| s.alias_of.is_none() && same_bindings(&s.bindings, &sets[i].bindings))
            .map(|s| s.name.clone());
        if let Some(original) = earlier {
            let stages: Vec<(usize, Vec<Stage>)> = sets[i]
                .bindings
                .iter()
                .map(|b| b.stages.clone())
                .enumerate()
                .collect();
            let target = sets
                .iter_mut()
                .find(|s| s.name == original)
                .expect("found above");
            for (index, s) in stages {
                union_stages(&mut target.bindings[index].stages, &s);
            }
            sets[i].alias_of = Some(original);
        }
    }
    sets
}

fn merge_spec_constants(
    vertex: &StagePlan,
    fragment: &StagePlan,
    errors: &mut Errors,
) -> Vec<SpecConstant> {
    let mut merged: Vec<SpecConstant> = Vec::new();
    for stage in [vertex, fragment] {
        for constant in &stage.interface.spec_constants {
            match merged.iter().find(|c| c.id == constant.id || c.name == constant.name) {
                Some(c) if c.id == constant.id && c.name == constant.name && c.scalar == constant.scalar => {}
                Some(c) => errors.error(&stage.file, format!(
                    "specialization constant `{} {}` (id {}) in {} clashes with `{} {}` (id {}) in the other stage",
                    constant.scalar.glsl(), constant.name, constant.id, stage.file, c.scalar.glsl(), c.name, c.id
                )),
                None => merged.push(constant.clone()),
            }
        }
    }
    merged.sort_by_key(|c| c.id);
    merged
}

fn resolve_variants(
    declared: &BTreeMap<String, BTreeMap<String, SpecValue>>,
    constants: &[SpecConstant],
    errors: &mut Errors,
) -> Vec<VariantPlan> {
    let mut variants = Vec::new();
    for (name, values) in declared {
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || name.is_empty() {
            errors.error(
                &format!("\"{name}\""),
                format!("variant name `{name}` must be letters, digits and `_`"),
            );
        }
        let mut resolved = Vec::new();
        for (constant_name, value) in values {
            let Some(constant) = constants.iter().find(|c| &c.name == constant_name) else {
                let known: Vec<&str> = constants.iter().map(|c| c.name.as_str()).collect();
                errors.error(
                    &format!("\"{constant_name}\""),
                    format!("variant `{name}` sets `{constant_name}`, which is not a specialization constant of this pipeline (it has: {})", list(&known)),
                );
                continue;
            };
            if !value_fits(constant.scalar, value) {
                errors.error(
                    &format!("\"{constant_name}\""),
                    format!("variant `{name}`: `{constant_name}` is a `{}`, which {value:?} does not fit", constant.scalar.glsl()),
                );
                continue;
            }
            resolved.push((constant.clone(), *value));
        }
        resolved.sort_by_key(|(c, _)| c.id);
        variants.push(VariantPlan {
            name: name.clone(),
            values: resolved,
        });
    }
    variants
}

fn value_fits(scalar: Scalar, value: &SpecValue) -> bool {
    match (scalar, value) {
        (Scalar::Bool, SpecValue::Bool(_)) => true,
        (Scalar::I32, SpecValue::Int(v)) => i32::try_from(*v).is_ok(),
        (Scalar::U32, SpecValue::Int(v)) => u32::try_from(*v).is_ok(),
        (Scalar::F32, SpecValue::Float(_) | SpecValue::Int(_)) => true,
        _ => false,
    }
}

fn list(items: &[&str]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items
            .iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
