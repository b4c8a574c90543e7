//! The runtime side of generated pipelines: the descriptions the generated code fills in,
//! the [`Pipeline`] trait it implements, and [`PassRecorder::draw`], whose signature is what
//! makes misuse a compile error:
//!
//! - the push constants must be the pipeline's own `Push` type,
//! - the descriptor sets must be the pipeline's `Sets` (every set, each field typed by what
//!   the binding declares: a texture cannot go where a buffer is declared),
//! - the instances must be the pipeline's `Instance` type,
//! - the pipeline's render pass kind must be the one being recorded.
//!
//! Generated code refers to this module as `rt` (see `vkcompose-codegen`).

use std::ffi::CStr;
use std::marker::PhantomData;

pub use ash::vk;
pub use bytemuck;

pub use crate::core::device::Device;
pub use crate::error::Error;
pub use crate::pipelines::recorder::PassRecorder;
pub use crate::pipelines::render_pass::RenderPass;
pub use crate::resources::buffer::Buffer;
pub use crate::resources::sampler::Sampler;
pub use crate::resources::texture::Texture;

use crate::error::Result;

/// A render-pass kind from the manifest; implemented by the generated types in `passes`.
pub trait RenderPassKind: 'static {
    const NAME: &'static str;
    const DESC: RenderPassDesc;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenderPassDesc {
    pub color: ColorFormat,
    pub load: LoadOp,
    pub store: StoreOp,
}

/// The color attachment's format: the target's, or fixed by the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorFormat {
    Target,
    Fixed(vk::Format),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadOp {
    Load,
    Clear,
    DontCare,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreOp {
    Store,
    DontCare,
}

/// Shader stages, as the generated descriptions name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShaderStages(pub vk::ShaderStageFlags);

impl ShaderStages {
    pub const VERTEX: ShaderStages = ShaderStages(vk::ShaderStageFlags::VERTEX);
    pub const FRAGMENT: ShaderStages = ShaderStages(vk::ShaderStageFlags::FRAGMENT);
    pub const VERTEX_FRAGMENT: ShaderStages = ShaderStages(vk::ShaderStageFlags::from_raw(
        vk::ShaderStageFlags::VERTEX.as_raw() | vk::ShaderStageFlags::FRAGMENT.as_raw(),
    ));
    pub const COMPUTE: ShaderStages = ShaderStages(vk::ShaderStageFlags::COMPUTE);
}

/// SPIR-V bytes aligned for reading as words (`include_bytes!` only guarantees bytes).
#[repr(C, align(4))]
pub struct SpirvBytes<B: ?Sized>(pub B);

/// A SPIR-V module embedded in the binary.
pub type Spirv = SpirvBytes<[u8]>;

impl Spirv {
    pub fn words(&self) -> &[u32] {
        bytemuck::cast_slice(&self.0)
    }
}

/// One shader stage of a pipeline.
pub struct StageDesc {
    pub spirv: &'static Spirv,
    /// The shader file, relative to the shader directory.
    pub file: &'static str,
    pub entry: &'static CStr,
}

/// Color blending of the pipeline's output with the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blend {
    /// The output replaces the target.
    Replace,
    /// `out + target * (1 - out.a)`: premultiplied alpha, as Wayland buffers are.
    Premultiplied,
    /// `out * out.a + target * (1 - out.a)`.
    Straight,
}

/// A vertex-shader input: binding 0 advances per vertex, binding 1 per instance.
#[derive(Clone, Copy, Debug)]
pub struct VertexAttribute {
    pub location: u32,
    pub binding: u32,
    pub format: vk::Format,
    pub offset: u32,
}

/// A byte range of the push constants and the stages that see it.
#[derive(Clone, Copy, Debug)]
pub struct PushRange {
    pub stages: ShaderStages,
    pub offset: u32,
    pub size: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindingCount {
    One,
    Array(u32),
    /// Runtime-sized (descriptor indexing); bound with the slice given at draw time.
    Runtime,
}

/// One binding of a descriptor-set layout.
#[derive(Clone, Copy, Debug)]
pub struct BindingDesc {
    pub binding: u32,
    pub kind: vk::DescriptorType,
    pub count: BindingCount,
    pub stages: ShaderStages,
    /// The binding's sampler is part of the layout, given when the pipeline is built
    /// ([`ImmutableSampler`]); draws write only the image ([`ImmutablySampled`]).
    pub immutable_sampler: bool,
}

/// The sampler a pipeline bakes into its set layout at one combined-image-sampler binding;
/// generated `Pipeline::new` functions of pipelines with immutable samplers pass these.
#[derive(Clone, Copy)]
pub struct ImmutableSampler<'a> {
    pub set: u32,
    pub binding: u32,
    pub sampler: &'a Sampler,
}

/// A set number and the layout bound there.
#[derive(Clone, Copy, Debug)]
pub struct SetSlot {
    pub set: u32,
    pub bindings: &'static [BindingDesc],
}

/// A specialization-constant value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SpecValue {
    Bool(bool),
    I32(i32),
    U32(u32),
    F32(f32),
}

impl SpecValue {
    fn bytes(self) -> [u8; 4] {
        match self {
            SpecValue::Bool(b) => u32::from(b).to_ne_bytes(),
            SpecValue::I32(v) => v.to_ne_bytes(),
            SpecValue::U32(v) => v.to_ne_bytes(),
            SpecValue::F32(v) => v.to_ne_bytes(),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct SpecConstant {
    pub id: u32,
    pub value: SpecValue,
}

/// A variant: one `VkPipeline` built with these specialization constants.
#[derive(Clone, Copy, Debug)]
pub struct VariantDesc {
    pub name: &'static str,
    pub constants: &'static [SpecConstant],
}

/// Everything needed to build a graphics pipeline, generated from the shaders' reflection.
pub struct PipelineDesc {
    pub name: &'static str,
    pub vertex: StageDesc,
    pub fragment: StageDesc,
    pub blend: Blend,
    pub topology: vk::PrimitiveTopology,
    /// Vertices drawn per instance.
    pub vertices: u32,
    pub vertex_stride: u32,
    pub instance_stride: u32,
    pub attributes: &'static [VertexAttribute],
    /// The pipeline layout's ranges, one per stage.
    pub push_ranges: &'static [PushRange],
    /// Disjoint pieces, each with exactly the stages covering it, as pushed at draw time.
    pub push_updates: &'static [PushRange],
    pub sets: &'static [SetSlot],
    /// At least one; the first is used unless a draw selects another.
    pub variants: &'static [VariantDesc],
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

/// A value that can be written into a descriptor of kind `KIND`.
pub trait Descriptor {
    const KIND: vk::DescriptorType;
    /// Checks that the resource can be used this way (usage flags, layout).
    fn validate(&self) -> Result<()>;
    fn info(&self) -> DescriptorInfo;
}

/// What one descriptor points at.
#[derive(Clone, Copy, Debug)]
pub enum DescriptorInfo {
    Image(vk::DescriptorImageInfo),
    Buffer(vk::DescriptorBufferInfo),
}

/// A texture with the sampler to read it through: a combined image sampler binding.
#[derive(Clone, Copy)]
pub struct SampledTexture<'a> {
    pub texture: &'a Texture,
    pub sampler: &'a Sampler,
}

/// A texture bound at a combined-image-sampler binding whose sampler is immutable: the
/// layout supplies the sampler, so only the image is written.
#[derive(Clone, Copy)]
pub struct ImmutablySampled<'a>(pub &'a Texture);

/// A texture bound as a storage image (read and written in the `GENERAL` layout).
#[derive(Clone, Copy)]
pub struct StorageImage<'a>(pub &'a Texture);

/// A whole buffer bound as a uniform buffer.
#[derive(Clone, Copy)]
pub struct UniformBuffer<'a>(pub &'a Buffer);

/// A whole buffer bound as a storage buffer.
#[derive(Clone, Copy)]
pub struct StorageBuffer<'a>(pub &'a Buffer);

fn require_layout(texture: &Texture, layout: vk::ImageLayout) -> Result<()> {
    if texture.layout() == layout {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "a texture drawn from must be in {layout:?} before the render pass begins; it is in {:?} (upload to it first)",
            texture.layout()
        )))
    }
}

impl Descriptor for SampledTexture<'_> {
    const KIND: vk::DescriptorType = vk::DescriptorType::COMBINED_IMAGE_SAMPLER;
    fn validate(&self) -> Result<()> {
        self.texture
            .require_usage(vk::ImageUsageFlags::SAMPLED, "a sampled texture")?;
        require_layout(self.texture, vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL)
    }
    fn info(&self) -> DescriptorInfo {
        DescriptorInfo::Image(vk::DescriptorImageInfo {
            sampler: self.sampler.raw(),
            image_view: self.texture.image_view(),
            image_layout: vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL,
        })
    }
}

impl Descriptor for ImmutablySampled<'_> {
    const KIND: vk::DescriptorType = vk::DescriptorType::COMBINED_IMAGE_SAMPLER;
    fn validate(&self) -> Result<()> {
        self.0
            .require_usage(vk::ImageUsageFlags::SAMPLED, "a sampled texture")?;
        require_layout(self.0, vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL)
    }
    fn info(&self) -> DescriptorInfo {
        // Vulkan ignores the sampler of a write to a binding with immutable samplers.
        DescriptorInfo::Image(vk::DescriptorImageInfo {
            sampler: vk::Sampler::null(),
            image_view: self.0.image_view(),
            image_layout: vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL,
        })
    }
}

impl Descriptor for &Texture {
    const KIND: vk::DescriptorType = vk::DescriptorType::SAMPLED_IMAGE;
    fn validate(&self) -> Result<()> {
        self.require_usage(vk::ImageUsageFlags::SAMPLED, "a sampled image")?;
        require_layout(self, vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL)
    }
    fn info(&self) -> DescriptorInfo {
        DescriptorInfo::Image(vk::DescriptorImageInfo {
            sampler: vk::Sampler::null(),
            image_view: self.image_view(),
            image_layout: vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL,
        })
    }
}

impl Descriptor for &Sampler {
    const KIND: vk::DescriptorType = vk::DescriptorType::SAMPLER;
    fn validate(&self) -> Result<()> {
        Ok(())
    }
    fn info(&self) -> DescriptorInfo {
        DescriptorInfo::Image(vk::DescriptorImageInfo {
            sampler: self.raw(),
            image_view: vk::ImageView::null(),
            image_layout: vk::ImageLayout::UNDEFINED,
        })
    }
}

impl Descriptor for StorageImage<'_> {
    const KIND: vk::DescriptorType = vk::DescriptorType::STORAGE_IMAGE;
    fn validate(&self) -> Result<()> {
        self.0
            .require_usage(vk::ImageUsageFlags::STORAGE, "a storage image")?;
        require_layout(self.0, vk::ImageLayout::GENERAL)
    }
    fn info(&self) -> DescriptorInfo {
        DescriptorInfo::Image(vk::DescriptorImageInfo {
            sampler: vk::Sampler::null(),
            image_view: self.0.image_view(),
            image_layout: vk::ImageLayout::GENERAL,
        })
    }
}

fn whole_buffer(buffer: &Buffer) -> DescriptorInfo {
    DescriptorInfo::Buffer(vk::DescriptorBufferInfo {
        buffer: buffer.raw(),
        offset: 0,
        range: vk::WHOLE_SIZE,
    })
}

impl Descriptor for UniformBuffer<'_> {
    const KIND: vk::DescriptorType = vk::DescriptorType::UNIFORM_BUFFER;
    fn validate(&self) -> Result<()> {
        Ok(())
    }
    fn info(&self) -> DescriptorInfo {
        whole_buffer(self.0)
    }
}

impl Descriptor for StorageBuffer<'_> {
    const KIND: vk::DescriptorType = vk::DescriptorType::STORAGE_BUFFER;
    fn validate(&self) -> Result<()> {
        Ok(())
    }
    fn info(&self) -> DescriptorInfo {
        whole_buffer(self.0)
    }
}

/// Collects the descriptors of one set; generated `DescriptorSet::write` fills it.
#[derive(Default)]
pub struct SetWriter<'a> {
    pub(crate) entries: Vec<(u32, vk::DescriptorType, Vec<DescriptorInfo>)>,
    pub(crate) error: Option<Error>,
    _borrow: PhantomData<&'a ()>,
}

impl SetWriter<'_> {
    /// Writes `descriptors` at `binding`, starting at array element 0.
    pub fn write<D: Descriptor>(&mut self, binding: u32, descriptors: &[D]) {
        for d in descriptors {
            if let Err(e) = d.validate() {
                self.error.get_or_insert(e);
            }
        }
        let infos = descriptors.iter().map(Descriptor::info).collect();
        self.entries.push((binding, D::KIND, infos));
    }
}

/// A descriptor-set type generated from the shaders: its layout and how to fill it.
pub trait DescriptorSet {
    const BINDINGS: &'static [BindingDesc];
    fn write(&self, writer: &mut SetWriter<'_>);
}

/// The sets a draw binds: `()`, one set, or a tuple of sets in set order.
pub trait SetList {
    const COUNT: usize;
    fn write(&self, index: usize, writer: &mut SetWriter<'_>);
}

impl SetList for () {
    const COUNT: usize = 0;
    fn write(&self, _: usize, _: &mut SetWriter<'_>) {}
}

macro_rules! set_tuples {
    ($(($($name:ident $index:tt),+))*) => {$(
        impl<$($name: DescriptorSet),+> SetList for ($($name,)+) {
            const COUNT: usize = [$($index),+].len();
            fn write(&self, index: usize, writer: &mut SetWriter<'_>) {
                match index {
                    $($index => self.$index.write(writer),)+
                    _ => {}
                }
            }
        }
    )*};
}

set_tuples! {
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
}

/// The Vulkan objects of a generated pipeline: set layouts, pipeline layout, and one
/// `VkPipeline` per variant.
pub struct RawPipeline {
    device: Device,
    pub(crate) desc: &'static PipelineDesc,
    pub(crate) set_layouts: Vec<vk::DescriptorSetLayout>,
    pub(crate) layout: vk::PipelineLayout,
    pub(crate) variants: Vec<vk::Pipeline>,
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

/// Specialization data for a variant: entries and the packed values they point into.
pub(crate) fn specialization(variant: &VariantDesc) -> (Vec<vk::SpecializationMapEntry>, Vec<u8>) {
    let mut entries = Vec::new();
    let mut data = Vec::new();
    for constant in variant.constants {
        entries.push(vk::SpecializationMapEntry {
            constant_id: constant.id,
            offset: data.len() as u32,
            size: 4,
        });
        data.extend_from_slice(&constant.value.bytes());
    }
    (entries, data)
}

impl<P: RenderPassKind> PassRecorder<'_, P> {
    /// Draws `instances` with a pipeline whose inputs are all per instance (or none):
    /// `vertices` (from the manifest) vertices each. The types of `push`, `sets` and
    /// `instances`, and the render pass, are the pipeline's own: anything else does not
    /// compile.
    pub fn draw<'s, Pl>(
        &mut self,
        pipeline: &Pl,
        push: &Pl::Push,
        sets: Pl::Sets<'s>,
        instances: &[Pl::Instance],
    ) -> Result<()>
    where
        Pl: Pipeline<Pass = P, Vertex = ()>,
    {
        let vertices = pipeline.raw().desc.vertices;
        self.record(pipeline, push, &sets, &[], vertices, instances)
    }

    /// Draws with per-vertex inputs too: `vertices.len()` vertices per instance.
    pub fn draw_vertices<'s, Pl>(
        &mut self,
        pipeline: &Pl,
        push: &Pl::Push,
        sets: Pl::Sets<'s>,
        vertices: &[Pl::Vertex],
        instances: &[Pl::Instance],
    ) -> Result<()>
    where
        Pl: Pipeline<Pass = P>,
    {
        let count = u32::try_from(vertices.len())
            .map_err(|_| Error::InvalidArgument("too many vertices".into()))?;
        self.record(
            pipeline,
            push,
            &sets,
            bytemuck::cast_slice(vertices),
            count,
            instances,
        )
    }

    fn record<Pl: Pipeline<Pass = P>>(
        &mut self,
        pipeline: &Pl,
        push: &Pl::Push,
        sets: &Pl::Sets<'_>,
        vertex_bytes: &[u8],
        vertex_count: u32,
        instances: &[Pl::Instance],
    ) -> Result<()> {
        let raw = pipeline.raw();
        let variant = pipeline.variant_index();
        if variant >= raw.variants.len() {
            return Err(Error::InvalidArgument(format!(
                "pipeline `{}` has no variant {variant}",
                raw.desc.name
            )));
        }
        let instance_count = u32::try_from(instances.len())
            .map_err(|_| Error::InvalidArgument("too many instances".into()))?;
        if instance_count == 0 || vertex_count == 0 {
            return Ok(());
        }
        // Everything that can fail happens before the first command is recorded.
        let descriptor_sets = self.descriptor_sets::<Pl>(raw, sets)?;
        let vertex_buffer = match vertex_bytes.is_empty() {
            true => None,
            false => Some(self.recorder.vertex_data(vertex_bytes, 16)?),
        };
        let instance_bytes: &[u8] = bytemuck::cast_slice(instances);
        let stride = u64::from(raw.desc.instance_stride.max(1));
        // Instance data lies at a multiple of its stride, so one binding per arena chunk
        // serves every draw and each draw starts at its own first instance.
        let instance_buffer = match instance_bytes.is_empty() {
            true => None,
            false => Some(self.recorder.vertex_data(instance_bytes, stride)?),
        };

        let device = self.recorder.device().clone();
        let cmd = self.recorder.command_buffer();
        let d = device.raw();
        let push_bytes = bytemuck::bytes_of(push);
        let pipeline_handle = raw.variants[variant];
        // State already bound by the previous draw is not bound again: on a frame of many
        // small draws the driver calls are most of the CPU cost.
        let bound = &mut self.bound;
        // SAFETY: recording inside the render pass the pipeline was built for (the type
        // system guarantees the kind; `begin_pass` checked the format); sets, buffers and
        // push ranges come from the pipeline's own description.
        unsafe {
            if bound.pipeline != pipeline_handle {
                d.cmd_bind_pipeline(cmd, vk::PipelineBindPoint::GRAPHICS, pipeline_handle);
                bound.pipeline = pipeline_handle;
            }
            if bound.layout != raw.layout {
                bound.layout = raw.layout;
                bound.sets.clear();
                bound.push.clear();
            }
            for (slot, set) in raw.desc.sets.iter().zip(&descriptor_sets) {
                let index = slot.set as usize;
                if bound.sets.get(index) != Some(set) {
                    d.cmd_bind_descriptor_sets(
                        cmd,
                        vk::PipelineBindPoint::GRAPHICS,
                        raw.layout,
                        slot.set,
                        &[*set],
                        &[],
                    );
                    if bound.sets.len() <= index {
                        bound.sets.resize(index + 1, vk::DescriptorSet::null());
                    }
                    bound.sets[index] = *set;
                }
            }
            if bound.push != push_bytes {
                for update in raw.desc.push_updates {
                    let range = update.offset as usize..(update.offset + update.size) as usize;
                    d.cmd_push_constants(
                        cmd,
                        raw.layout,
                        update.stages.0,
                        update.offset,
                        &push_bytes[range],
                    );
                }
                bound.push.clear();
                bound.push.extend_from_slice(push_bytes);
            }
            if let Some((buffer, offset)) = vertex_buffer {
                d.cmd_bind_vertex_buffers(cmd, 0, &[buffer], &[offset]);
            }
            let mut first_instance = 0;
            if let Some((buffer, offset)) = instance_buffer {
                if bound.instance_buffer != buffer {
                    d.cmd_bind_vertex_buffers(cmd, 1, &[buffer], &[0]);
                    bound.instance_buffer = buffer;
                }
                first_instance = u32::try_from(offset / stride)
                    .map_err(|_| Error::InvalidArgument("instance data too large".into()))?;
            }
            d.cmd_draw(cmd, vertex_count, instance_count, 0, first_instance);
        }
        Ok(())
    }

    fn descriptor_sets<Pl: Pipeline<Pass = P>>(
        &mut self,
        raw: &RawPipeline,
        sets: &Pl::Sets<'_>,
    ) -> Result<Vec<vk::DescriptorSet>> {
        let mut written = Vec::new();
        for (index, slot) in raw.desc.sets.iter().enumerate() {
            let mut writer = SetWriter::default();
            sets.write(index, &mut writer);
            if let Some(error) = writer.error {
                return Err(error);
            }
            let layout = raw.set_layouts[slot.set as usize];
            // The same resources in the same layout already have a set in this recording:
            // a frame drawing one texture many times writes its set once.
            let key = set_key(layout, &writer);
            let set = match self.recorder.cached_set(&key) {
                Some(set) => set,
                None => {
                    let variable = runtime_count(slot, &writer)?;
                    let set = self.recorder.descriptor_set(layout, variable)?;
                    update_set(self.recorder.device(), set, &writer);
                    self.recorder.cache_set(key, set);
                    set
                }
            };
            written.push(set);
        }
        Ok(written)
    }
}

/// How many descriptors the set's runtime-sized array gets, if it has one: as many as the
/// draw writes (at least one, as Vulkan requires a non-empty allocation to be useful).
fn runtime_count(slot: &SetSlot, writer: &SetWriter<'_>) -> Result<Option<u32>> {
    let Some(binding) = slot
        .bindings
        .iter()
        .find(|b| b.count == BindingCount::Runtime)
    else {
        return Ok(None);
    };
    let written = writer
        .entries
        .iter()
        .filter(|(b, _, _)| *b == binding.binding)
        .map(|(_, _, infos)| infos.len())
        .sum::<usize>();
    let max = crate::pipelines::build::MAX_RUNTIME_DESCRIPTORS as usize;
    if written > max {
        return Err(Error::InvalidArgument(format!(
            "{written} descriptors in one runtime-sized array; at most {max}"
        )));
    }
    Ok(Some(written.max(1) as u32))
}

/// What identifies a written set: its layout and every handle written into it.
fn set_key(layout: vk::DescriptorSetLayout, writer: &SetWriter<'_>) -> Vec<u64> {
    use ash::vk::Handle;
    let mut key = vec![layout.as_raw()];
    for (binding, kind, infos) in &writer.entries {
        key.push(u64::from(*binding) << 32 | kind.as_raw() as u32 as u64);
        for info in infos {
            match info {
                DescriptorInfo::Image(i) => key.extend([
                    i.image_view.as_raw(),
                    i.sampler.as_raw(),
                    i.image_layout.as_raw() as u32 as u64,
                ]),
                DescriptorInfo::Buffer(b) => key.extend([b.buffer.as_raw(), b.offset, b.range]),
            }
        }
    }
    key
}

fn update_set(device: &Device, set: vk::DescriptorSet, writer: &SetWriter<'_>) {
    let (images, buffers): (Vec<_>, Vec<_>) = writer
        .entries
        .iter()
        .map(|(_, _, infos)| split_infos(infos))
        .unzip();
    let writes: Vec<vk::WriteDescriptorSet> = writer
        .entries
        .iter()
        .enumerate()
        .filter(|(_, (_, _, infos))| !infos.is_empty())
        .map(|(i, (binding, kind, _))| {
            let write = vk::WriteDescriptorSet::default()
                .dst_set(set)
                .dst_binding(*binding)
                .descriptor_type(*kind);
            if images[i].is_empty() {
                write.buffer_info(&buffers[i])
            } else {
                write.image_info(&images[i])
            }
        })
        .collect();
    // SAFETY: the set was just allocated with the layout these bindings come from, and the
    // resources are borrowed by the caller for the recorder's lifetime.
    unsafe { device.raw().update_descriptor_sets(&writes, &[]) };
}

/// The image and the buffer descriptors of one binding, as `VkWriteDescriptorSet` takes them.
fn split_infos(
    infos: &[DescriptorInfo],
) -> (Vec<vk::DescriptorImageInfo>, Vec<vk::DescriptorBufferInfo>) {
    let mut images = Vec::new();
    let mut buffers = Vec::new();
    for info in infos {
        match info {
            DescriptorInfo::Image(image) => images.push(*image),
            DescriptorInfo::Buffer(buffer) => buffers.push(*buffer),
        }
    }
    (images, buffers)
}
