//! What the generated code describes: render-pass kinds, stages, blend, vertex inputs,
//! push ranges, descriptor bindings and the descriptors that fill them, specialization
//! constants and variants, and the [`Pipeline`] trait each generated pipeline implements.
//! Plain descriptions: building them is `build`, recording with them `draw`.

use std::ffi::CStr;
use std::marker::PhantomData;

use ash::vk;

use crate::error::{Error, Result};
use crate::resources::buffer::Buffer;
use crate::resources::sampler::Sampler;
use crate::resources::texture::Texture;

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

impl RenderPassDesc {
    /// Equality usable in constants: a downstream manifest naming a render pass of
    /// another crate (`shared:`) asserts at compile time that it describes it truly.
    pub const fn same_as(&self, other: &RenderPassDesc) -> bool {
        let color = match (self.color, other.color) {
            (ColorFormat::Target, ColorFormat::Target) => true,
            (ColorFormat::Fixed(a), ColorFormat::Fixed(b)) => a.as_raw() == b.as_raw(),
            _ => false,
        };
        color && self.load as u8 == other.load as u8 && self.store as u8 == other.store as u8
    }
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

impl std::fmt::Debug for Spirv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SPIR-V ({} bytes)", self.0.len())
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
    /// The variant's own modules for stages compiled once per variant (WGSL, whose
    /// `override`s naga can only fold into constants); `None`: the stage's module,
    /// specialized by `constants`.
    pub vertex: Option<&'static Spirv>,
    pub fragment: Option<&'static Spirv>,
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
    /// Read through the texture's sRGB view: the hardware decodes before filtering.
    srgb: bool,
}

impl<'a> SampledTexture<'a> {
    /// `texture` read through `sampler`, its values as stored.
    pub fn new(texture: &'a Texture, sampler: &'a Sampler) -> Self {
        SampledTexture {
            texture,
            sampler,
            srgb: false,
        }
    }

    /// `texture` read through its view in the sRGB twin of its format, so the sampler
    /// returns linear light (decoded before filtering, as filtering sRGB content should
    /// be); `None` when the texture has no such view (formats without an sRGB twin,
    /// imported buffers).
    pub fn srgb_decoded(texture: &'a Texture, sampler: &'a Sampler) -> Option<Self> {
        texture.srgb_sampled_view().map(|_| SampledTexture {
            texture,
            sampler,
            srgb: true,
        })
    }
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

/// A buffer bound as a storage buffer: a whole [`Buffer`], or the space a recording holds
/// for a draw's data ([`PassRecorder::storage_data`](crate::pipelines::PassRecorder)).
#[derive(Clone, Copy)]
pub struct StorageBuffer<'a> {
    raw: vk::Buffer,
    /// How many bytes from the start are bound: the whole buffer, or what a recording
    /// wrote up to the end of a draw's data.
    range: vk::DeviceSize,
    _buffer: PhantomData<&'a Buffer>,
}

impl<'a> StorageBuffer<'a> {
    /// The whole of `buffer`.
    pub fn new(buffer: &'a Buffer) -> StorageBuffer<'a> {
        StorageBuffer {
            raw: buffer.raw(),
            range: vk::WHOLE_SIZE,
            _buffer: PhantomData,
        }
    }

    /// The first `range` bytes of a buffer the recorder owns until its recording's work is
    /// done, which outlives every draw recorded into it.
    pub(crate) fn recorded(raw: vk::Buffer, range: vk::DeviceSize) -> StorageBuffer<'a> {
        StorageBuffer {
            raw,
            range,
            _buffer: PhantomData,
        }
    }
}

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
        let view = match self.srgb {
            true => self.texture.srgb_sampled_view(),
            false => None,
        };
        DescriptorInfo::Image(vk::DescriptorImageInfo {
            sampler: self.sampler.raw(),
            image_view: view.unwrap_or_else(|| self.texture.image_view()),
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
        DescriptorInfo::Buffer(vk::DescriptorBufferInfo {
            buffer: self.raw,
            offset: 0,
            range: self.range,
        })
    }
}

/// Collects the descriptors of one set; generated `DescriptorSet::write` fills it.
#[derive(Default)]
pub struct SetWriter<'a> {
    /// Each binding written, its kind, and its descriptors' range in `infos`.
    pub(crate) entries: Vec<(u32, vk::DescriptorType, std::ops::Range<usize>)>,
    pub(crate) infos: Vec<DescriptorInfo>,
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
        let start = self.infos.len();
        self.infos.extend(descriptors.iter().map(Descriptor::info));
        self.entries
            .push((binding, D::KIND, start..self.infos.len()));
    }

    /// A writer filling `storage` (cleared), so that a draw reuses its space.
    pub(crate) fn reusing(storage: WriterStorage) -> Self {
        let WriterStorage {
            mut entries,
            mut infos,
        } = storage;
        entries.clear();
        infos.clear();
        SetWriter {
            entries,
            infos,
            error: None,
            _borrow: PhantomData,
        }
    }

    /// The descriptors of one entry.
    pub(crate) fn infos_of(&self, range: &std::ops::Range<usize>) -> &[DescriptorInfo] {
        &self.infos[range.clone()]
    }

    /// The writer's space, for the next draw.
    pub(crate) fn into_storage(self) -> WriterStorage {
        WriterStorage {
            entries: self.entries,
            infos: self.infos,
        }
    }
}

/// The space of a [`SetWriter`], kept between draws.
#[derive(Default)]
pub(crate) struct WriterStorage {
    entries: Vec<(u32, vk::DescriptorType, std::ops::Range<usize>)>,
    infos: Vec<DescriptorInfo>,
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
