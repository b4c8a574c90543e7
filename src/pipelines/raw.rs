//! The Vulkan objects of a generated pipeline, built from its description, and the
//! [`Pipeline`] trait through which generated pipelines hand them to draws.

use ash::vk;

use super::desc::{ImmutableSampler, PipelineDesc, RenderPassKind, SetList};
use crate::core::device::Device;
use crate::error::Result;
use crate::pipelines::render_pass::RenderPass;
use crate::resources::sampler::Sampler;

/// The Vulkan objects of a generated pipeline: set layouts, pipeline layout, and one
/// `VkPipeline` per variant.
pub struct RawPipeline {
    device: Device,
    pub(crate) desc: &'static PipelineDesc,
    pub(crate) set_layouts: Vec<vk::DescriptorSetLayout>,
    pub(crate) layout: vk::PipelineLayout,
    pub(crate) variants: Vec<vk::Pipeline>,
    /// The attachment format of the render pass it was built for: it draws only in
    /// passes of that format (Vulkan's render-pass compatibility).
    pub(crate) format: vk::Format,
    /// The immutable samplers in the set layouts: draws use them, so they live as long as
    /// the pipeline, released after `Drop` has destroyed the layouts.
    _samplers: Vec<Sampler>,
}

impl RawPipeline {
    /// Builds every variant of `desc` for `pass`. Fails for a description with immutable
    /// samplers (see [`RawPipeline::with_immutable_samplers`]).
    pub fn new<P: RenderPassKind>(
        device: &Device,
        desc: &'static PipelineDesc,
        pass: &RenderPass<P>,
        cache: vk::PipelineCache,
    ) -> Result<RawPipeline> {
        Self::with_immutable_samplers(device, desc, pass, cache, &[])
    }

    /// Builds every variant of `desc` for `pass`, with `samplers` baked into the set
    /// layouts: exactly one for each binding the description marks `immutable_sampler`.
    pub fn with_immutable_samplers<P: RenderPassKind>(
        device: &Device,
        desc: &'static PipelineDesc,
        pass: &RenderPass<P>,
        cache: vk::PipelineCache,
        samplers: &[ImmutableSampler<'_>],
    ) -> Result<RawPipeline> {
        let mut raw = RawPipeline {
            device: device.clone(),
            desc,
            set_layouts: Vec::new(),
            layout: vk::PipelineLayout::null(),
            variants: Vec::new(),
            format: pass.format(),
            _samplers: samplers.iter().map(|s| s.sampler.clone()).collect(),
        };
        // On any error `raw` drops and destroys what was created so far.
        raw.set_layouts = crate::pipelines::build::set_layouts(device, desc, samplers)?;
        raw.layout = crate::pipelines::build::pipeline_layout(device, desc, &raw.set_layouts)?;
        for variant in desc.variants {
            let pipeline = crate::pipelines::build::graphics_pipeline(
                device,
                desc,
                variant,
                raw.layout,
                pass.raw(),
                cache,
            )?;
            raw.variants.push(pipeline);
        }
        Ok(raw)
    }

    pub fn desc(&self) -> &'static PipelineDesc {
        self.desc
    }

    /// The attachment format of the render passes it draws in.
    pub fn format(&self) -> vk::Format {
        self.format
    }

    pub fn layout(&self) -> vk::PipelineLayout {
        self.layout
    }

    /// The `VkPipeline` of variant `index`.
    pub fn pipeline(&self, index: usize) -> vk::Pipeline {
        self.variants[index]
    }
}

impl Drop for RawPipeline {
    fn drop(&mut self) {
        let raw = self.device.raw();
        // SAFETY: pipelines are dropped only after the GPU work using them completed; null
        // handles are ignored by the destroy calls.
        unsafe {
            for &pipeline in &self.variants {
                raw.destroy_pipeline(pipeline, None);
            }
            raw.destroy_pipeline_layout(self.layout, None);
            for &layout in &self.set_layouts {
                raw.destroy_descriptor_set_layout(layout, None);
            }
        }
    }
}

/// A generated pipeline. Implemented by each pipeline module's `Pipeline` type and by
/// [`VariantOf`].
pub trait Pipeline {
    /// The render-pass kind it was built for, and the only one it can be drawn in.
    type Pass: RenderPassKind;
    /// The push constants of all stages, at their offsets; `()` if none.
    type Push: bytemuck::Pod;
    /// The descriptor sets, in set order: `()`, one set type, or a tuple.
    type Sets<'a>: SetList;
    /// Per-instance vertex inputs; `()` if none.
    type Instance: bytemuck::Pod;
    /// Per-vertex vertex inputs; `()` if none.
    type Vertex: bytemuck::Pod;

    fn raw(&self) -> &RawPipeline;

    /// Which variant a draw uses.
    fn variant_index(&self) -> usize {
        0
    }
}

/// A pipeline with a variant selected (`pipeline.variant(Variant::Opaque)`).
pub struct VariantOf<'p, P> {
    pipeline: &'p P,
    index: usize,
}

impl<'p, P: Pipeline> VariantOf<'p, P> {
    /// Generated code passes the index of a variant of `P`'s `Variant` enum.
    pub fn new(pipeline: &'p P, index: usize) -> Self {
        VariantOf { pipeline, index }
    }
}

impl<P: Pipeline> Pipeline for VariantOf<'_, P> {
    type Pass = P::Pass;
    type Push = P::Push;
    type Sets<'a> = P::Sets<'a>;
    type Instance = P::Instance;
    type Vertex = P::Vertex;

    fn raw(&self) -> &RawPipeline {
        self.pipeline.raw()
    }

    fn variant_index(&self) -> usize {
        self.index
    }
}
