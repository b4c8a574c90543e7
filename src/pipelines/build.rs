//! Building the Vulkan objects of a generated pipeline from its static description.

use ash::vk;

use crate::core::device::Device;
use crate::error::{Error, Result, VkResultExt};
use crate::pipelines::{
    BindingCount, BindingDesc, Blend, ImmutableSampler, PipelineDesc, Spirv, StageDesc, VariantDesc,
};

/// The most descriptors a runtime-sized array holds; a draw may use fewer.
pub(crate) const MAX_RUNTIME_DESCRIPTORS: u32 = 1024;

/// One layout per set number up to the highest used; gaps get empty layouts, as Vulkan
/// requires every set below a used one to have a layout. `samplers` are the immutable
/// samplers, one per binding marked so.
pub(crate) fn set_layouts(
    device: &Device,
    desc: &PipelineDesc,
    samplers: &[ImmutableSampler<'_>],
) -> Result<Vec<vk::DescriptorSetLayout>> {
    check_immutable_samplers(desc, samplers)?;
    let runtime = desc
        .sets
        .iter()
        .flat_map(|s| s.bindings)
        .any(|b| b.count == BindingCount::Runtime);
    if runtime && !device.capabilities().descriptor_indexing {
        return Err(Error::Unsupported {
            device: device.name().to_string(),
            what: format!(
                "descriptor indexing, which pipeline `{}` needs for its runtime-sized array",
                desc.name
            ),
        });
    }
    let count = desc.sets.iter().map(|s| s.set + 1).max().unwrap_or(0);
    let mut layouts = Vec::new();
    for number in 0..count {
        match set_layout(device, desc, samplers, number, runtime) {
            Ok(layout) => layouts.push(layout),
            Err(e) => {
                destroy_set_layouts(device, &layouts);
                return Err(e);
            }
        }
    }
    Ok(layouts)
}

/// The layout of set `number` (empty where `desc` has no such set). A pipeline with a
/// runtime-sized array (`runtime`) chains binding flags into every set's layout.
fn set_layout(
    device: &Device,
    desc: &PipelineDesc,
    samplers: &[ImmutableSampler<'_>],
    number: u32,
    runtime: bool,
) -> Result<vk::DescriptorSetLayout> {
    let bindings_of_set = || {
        desc.sets
            .iter()
            .filter(move |s| s.set == number)
            .flat_map(|s| s.bindings)
    };
    // The arrays `pImmutableSamplers` points into, one per binding, alive for the call.
    let immutable: Vec<[vk::Sampler; 1]> = bindings_of_set()
        .map(|b| [immutable_sampler(samplers, number, b)])
        .collect();
    let bindings: Vec<vk::DescriptorSetLayoutBinding> = bindings_of_set()
        .zip(&immutable)
        .map(|(b, sampler)| layout_binding(b, sampler))
        .collect();
    let flags: Vec<vk::DescriptorBindingFlags> = bindings_of_set().map(binding_flags_of).collect();
    let mut flags_info =
        vk::DescriptorSetLayoutBindingFlagsCreateInfo::default().binding_flags(&flags);
    let mut info = vk::DescriptorSetLayoutCreateInfo::default().bindings(&bindings);
    if runtime {
        info = info.push_next(&mut flags_info);
    }
    // SAFETY: a valid create info for this device; the arrays it points into are alive.
    let layout = unsafe { device.raw().create_descriptor_set_layout(&info, None) }
        .or_vk("vkCreateDescriptorSetLayout")?;
    device.count_created();
    Ok(layout)
}

/// One binding of a set layout; `sampler` is used only on a binding marked
/// `immutable_sampler`.
fn layout_binding<'a>(
    b: &BindingDesc,
    sampler: &'a [vk::Sampler; 1],
) -> vk::DescriptorSetLayoutBinding<'a> {
    let binding = vk::DescriptorSetLayoutBinding::default()
        .binding(b.binding)
        .descriptor_type(b.kind)
        .stage_flags(b.stages.0);
    if b.immutable_sampler {
        // Sets the count to 1 too: immutable samplers are on single bindings.
        return binding.immutable_samplers(sampler);
    }
    binding.descriptor_count(match b.count {
        BindingCount::One => 1,
        BindingCount::Array(n) => n,
        BindingCount::Runtime => MAX_RUNTIME_DESCRIPTORS,
    })
}

/// A runtime-sized array is the set's last binding, allocated with the count a draw needs,
/// and only partly written; other bindings need no flags.
fn binding_flags_of(b: &BindingDesc) -> vk::DescriptorBindingFlags {
    match b.count {
        BindingCount::Runtime => {
            vk::DescriptorBindingFlags::VARIABLE_DESCRIPTOR_COUNT
                | vk::DescriptorBindingFlags::PARTIALLY_BOUND
        }
        _ => vk::DescriptorBindingFlags::empty(),
    }
}

/// Every binding marked `immutable_sampler` gets exactly one sampler, on a single
/// combined image sampler, and no sampler is given for another binding.
fn check_immutable_samplers(desc: &PipelineDesc, samplers: &[ImmutableSampler<'_>]) -> Result<()> {
    let immutable = desc.sets.iter().flat_map(|slot| {
        slot.bindings
            .iter()
            .filter(|b| b.immutable_sampler)
            .map(move |b| (slot.set, b))
    });
    for (set, binding) in immutable {
        let given = samplers
            .iter()
            .filter(|s| s.set == set && s.binding == binding.binding)
            .count();
        let single = binding.kind == vk::DescriptorType::COMBINED_IMAGE_SAMPLER
            && binding.count == BindingCount::One;
        if given != 1 || !single {
            return Err(Error::InvalidArgument(format!(
                "pipeline `{}`: set {set} binding {} needs one immutable sampler on a single combined image sampler; {given} given for a {:?} ({:?})",
                desc.name, binding.binding, binding.kind, binding.count
            )));
        }
    }
    for sampler in samplers {
        let known = desc.sets.iter().any(|slot| {
            slot.set == sampler.set
                && slot
                    .bindings
                    .iter()
                    .any(|b| b.binding == sampler.binding && b.immutable_sampler)
        });
        if !known {
            return Err(Error::InvalidArgument(format!(
                "pipeline `{}` has no immutable sampler at set {} binding {}",
                desc.name, sampler.set, sampler.binding
            )));
        }
    }
    Ok(())
}

/// The immutable sampler of set `set`'s `binding`, or null for an ordinary binding.
fn immutable_sampler(
    samplers: &[ImmutableSampler<'_>],
    set: u32,
    binding: &BindingDesc,
) -> vk::Sampler {
    samplers
        .iter()
        .find(|s| binding.immutable_sampler && s.set == set && s.binding == binding.binding)
        .map_or(vk::Sampler::null(), |s| s.sampler.raw())
}

fn destroy_set_layouts(device: &Device, layouts: &[vk::DescriptorSetLayout]) {
    for &layout in layouts {
        // SAFETY: created above and never used.
        unsafe { device.raw().destroy_descriptor_set_layout(layout, None) };
    }
}

pub(crate) fn pipeline_layout(
    device: &Device,
    desc: &PipelineDesc,
    set_layouts: &[vk::DescriptorSetLayout],
) -> Result<vk::PipelineLayout> {
    let ranges: Vec<vk::PushConstantRange> = desc
        .push_ranges
        .iter()
        .map(|r| vk::PushConstantRange {
            stage_flags: r.stages.0,
            offset: r.offset,
            size: r.size,
        })
        .collect();
    let info = vk::PipelineLayoutCreateInfo::default()
        .set_layouts(set_layouts)
        .push_constant_ranges(&ranges);
    // SAFETY: a valid create info whose set layouts belong to this device.
    let layout = unsafe { device.raw().create_pipeline_layout(&info, None) }
        .or_vk("vkCreatePipelineLayout")?;
    device.count_created();
    Ok(layout)
}

/// A shader module that lives only while a pipeline is created.
struct Module<'d> {
    device: &'d Device,
    raw: vk::ShaderModule,
}

impl<'d> Module<'d> {
    fn new(device: &'d Device, spirv: &Spirv) -> Result<Module<'d>> {
        let info = vk::ShaderModuleCreateInfo::default().code(spirv.words());
        // SAFETY: the SPIR-V was validated by the build (shaderc or naga).
        let raw = unsafe { device.raw().create_shader_module(&info, None) }
            .or_vk("vkCreateShaderModule")?;
        device.count_created();
        Ok(Module { device, raw })
    }
}

impl Drop for Module<'_> {
    fn drop(&mut self) {
        // SAFETY: modules may be destroyed once the pipelines using them are created.
        unsafe { self.device.raw().destroy_shader_module(self.raw, None) };
    }
}

pub(crate) fn graphics_pipeline(
    device: &Device,
    desc: &PipelineDesc,
    variant: &VariantDesc,
    layout: vk::PipelineLayout,
    render_pass: vk::RenderPass,
    cache: vk::PipelineCache,
) -> Result<vk::Pipeline> {
    let vertex = Module::new(device, variant.vertex.unwrap_or(desc.vertex.spirv))?;
    let fragment = Module::new(device, variant.fragment.unwrap_or(desc.fragment.spirv))?;
    let (map, data) = crate::pipelines::specialization(variant);
    let specialization = vk::SpecializationInfo::default()
        .map_entries(&map)
        .data(&data);
    let stages = [
        shader_stage(
            vk::ShaderStageFlags::VERTEX,
            &vertex,
            &desc.vertex,
            &specialization,
        ),
        shader_stage(
            vk::ShaderStageFlags::FRAGMENT,
            &fragment,
            &desc.fragment,
            &specialization,
        ),
    ];
    let vertex_input = VertexInput::of(desc);
    let vertex_input_state = vertex_input.state();
    let assembly = vk::PipelineInputAssemblyStateCreateInfo::default().topology(desc.topology);
    let fixed = FixedFunction::new();
    let attachments = [blend_attachment(desc.blend)];
    let blend = vk::PipelineColorBlendStateCreateInfo::default().attachments(&attachments);
    let info = vk::GraphicsPipelineCreateInfo::default()
        .stages(&stages)
        .vertex_input_state(&vertex_input_state)
        .input_assembly_state(&assembly)
        .viewport_state(&fixed.viewport)
        .rasterization_state(&fixed.rasterization)
        .multisample_state(&fixed.multisample)
        .color_blend_state(&blend)
        .dynamic_state(&fixed.dynamic)
        .layout(layout)
        .render_pass(render_pass)
        .subpass(0);
    // SAFETY: every pointer in `info` refers to locals alive for the call; the layout and
    // render pass belong to this device.
    let created = unsafe { device.raw().create_graphics_pipelines(cache, &[info], None) };
    match created {
        Ok(pipelines) => {
            device.count_created();
            Ok(pipelines[0])
        }
        Err((_, e)) => Err(e).or_vk("vkCreateGraphicsPipelines"),
    }
}

/// One stage of a pipeline: `module` built from `stage`, entered at its entry point.
fn shader_stage<'a>(
    flags: vk::ShaderStageFlags,
    module: &Module<'_>,
    stage: &'a StageDesc,
    specialization: &'a vk::SpecializationInfo<'a>,
) -> vk::PipelineShaderStageCreateInfo<'a> {
    vk::PipelineShaderStageCreateInfo::default()
        .stage(flags)
        .module(module.raw)
        .name(stage.entry)
        .specialization_info(specialization)
}

/// Where the vertex shader's inputs come from: per-vertex data at binding 0 and
/// per-instance data at binding 1, each only when the shader reads some.
struct VertexInput {
    bindings: Vec<vk::VertexInputBindingDescription>,
    attributes: Vec<vk::VertexInputAttributeDescription>,
}

impl VertexInput {
    fn of(desc: &PipelineDesc) -> VertexInput {
        let mut bindings = Vec::new();
        if desc.vertex_stride > 0 {
            bindings.push(vk::VertexInputBindingDescription {
                binding: 0,
                stride: desc.vertex_stride,
                input_rate: vk::VertexInputRate::VERTEX,
            });
        }
        if desc.instance_stride > 0 {
            bindings.push(vk::VertexInputBindingDescription {
                binding: 1,
                stride: desc.instance_stride,
                input_rate: vk::VertexInputRate::INSTANCE,
            });
        }
        let attributes = desc
            .attributes
            .iter()
            .map(|a| vk::VertexInputAttributeDescription {
                location: a.location,
                binding: a.binding,
                format: a.format,
                offset: a.offset,
            })
            .collect();
        VertexInput {
            bindings,
            attributes,
        }
    }

    fn state(&self) -> vk::PipelineVertexInputStateCreateInfo<'_> {
        vk::PipelineVertexInputStateCreateInfo::default()
            .vertex_binding_descriptions(&self.bindings)
            .vertex_attribute_descriptions(&self.attributes)
    }
}

/// Viewport and scissor are dynamic so one pipeline serves every target size.
static DYNAMIC_STATES: [vk::DynamicState; 2] =
    [vk::DynamicState::VIEWPORT, vk::DynamicState::SCISSOR];

/// The fixed-function state every pipeline shares: filled, unculled polygons, one sample,
/// and one viewport and scissor, both set at draw time.
struct FixedFunction {
    viewport: vk::PipelineViewportStateCreateInfo<'static>,
    rasterization: vk::PipelineRasterizationStateCreateInfo<'static>,
    multisample: vk::PipelineMultisampleStateCreateInfo<'static>,
    dynamic: vk::PipelineDynamicStateCreateInfo<'static>,
}

impl FixedFunction {
    fn new() -> FixedFunction {
        FixedFunction {
            viewport: vk::PipelineViewportStateCreateInfo::default()
                .viewport_count(1)
                .scissor_count(1),
            rasterization: vk::PipelineRasterizationStateCreateInfo::default()
                .polygon_mode(vk::PolygonMode::FILL)
                .cull_mode(vk::CullModeFlags::NONE)
                .line_width(1.0),
            multisample: vk::PipelineMultisampleStateCreateInfo::default()
                .rasterization_samples(vk::SampleCountFlags::TYPE_1),
            dynamic: vk::PipelineDynamicStateCreateInfo::default().dynamic_states(&DYNAMIC_STATES),
        }
    }
}

fn blend_attachment(blend: Blend) -> vk::PipelineColorBlendAttachmentState {
    let state = vk::PipelineColorBlendAttachmentState::default()
        .color_write_mask(vk::ColorComponentFlags::RGBA);
    let source = match blend {
        Blend::Replace => return state.blend_enable(false),
        Blend::Premultiplied => vk::BlendFactor::ONE,
        Blend::Straight => vk::BlendFactor::SRC_ALPHA,
    };
    state
        .blend_enable(true)
        .src_color_blend_factor(source)
        .dst_color_blend_factor(vk::BlendFactor::ONE_MINUS_SRC_ALPHA)
        .color_blend_op(vk::BlendOp::ADD)
        .src_alpha_blend_factor(vk::BlendFactor::ONE)
        .dst_alpha_blend_factor(vk::BlendFactor::ONE_MINUS_SRC_ALPHA)
        .alpha_blend_op(vk::BlendOp::ADD)
}
