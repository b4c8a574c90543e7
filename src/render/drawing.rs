//! What frames draw with: the render pass and pipelines per target format (built on first
//! use), the two samplers, the YUV conversions and their pipelines, the pipeline cache,
//! and the GPU timer. The renderer owns it; frames borrow it while they record.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Arc;

use ash::vk;

use crate::core::device::Device;
use crate::error::{Result, VkResultExt};
use crate::pipelines::render_pass::RenderPass;
use crate::pipelines::yuv::YuvCache;
use crate::resources::format::DrmFourcc;
use crate::resources::sampler::{Filter, Sampler};
use crate::resources::texture::{Texture, TextureDesc};
use crate::resources::timing::GpuTimer;
use crate::shaders::{
    encode, encode_mapped, passes, texture, texture_decode, texture_decode_opaque,
    texture_decode_rounded, Pipelines,
};

/// The linear path's blend buffers: premultiplied linear light, 16-bit float so that
/// HDR's values above 1 and scRGB's below 0 survive blending.
pub(crate) const BLEND_FORMAT: vk::Format = vk::Format::R16G16B16A16_SFLOAT;

/// The blend buffer of PQ outputs whose frames read the buffer back (captures, blurs,
/// custom draws), which must hold light on the output's own scale: there (1.0 = 10 000
/// cd/m^2) PQ's darkest levels (below 0.005 cd/m^2) are among half floats' subnormals,
/// which drivers may flush to zero (Mesa 25's lavapipe does: PQ codes up to 28 vanished).
/// Other PQ frames blend in half floats with a gain (`color::PQ_BLEND_GAIN`).
pub(crate) const DEEP_BLEND_FORMAT: vk::Format = vk::Format::R32G32B32A32_SFLOAT;

/// The render pass and pipelines for one target format.
pub(crate) struct Output {
    pub pass: RenderPass<passes::Output>,
    pub pipelines: Pipelines,
}

/// The linear path's decoding pipelines into one format: blending, and replacing for
/// opaque quads (a float blend buffer blends at a fraction of the rate it writes).
pub(crate) struct DecodePipelines {
    pub blended: texture_decode::Pipeline,
    pub opaque: texture_decode_opaque::Pipeline,
}

/// The encode pass into one format: plain, and with the mapping stages (tone mapping,
/// gamut compression, LUT) once a frame needs them.
pub(crate) struct EncodePipelines {
    pub plain: encode::Pipeline,
    pub mapped: Option<encode_mapped::Pipeline>,
}

pub(crate) struct Drawing {
    device: Device,
    outputs: HashMap<vk::Format, Output>,
    nearest: Sampler,
    linear: Sampler,
    yuv: YuvCache,
    pipeline_cache: vk::PipelineCache,
    timer: Option<GpuTimer>,
    /// Textured quads go through one texture array where the device has descriptor
    /// indexing (else one descriptor set per texture).
    texture_array: bool,
    /// One-rectangle draws of opaque content are blended too (exact, as their alpha reads
    /// 1), so that opaque and translucent textures share a pipeline: on a GPU blending them
    /// costs nothing measurable and a pipeline switch per quad costs CPU time. Not on a CPU
    /// rasterizer (lavapipe), where blending is read-modify-write in software: 2.6x the
    /// frame's "GPU" time at 1000 alternating quads.
    blend_opaque: bool,
    /// Textures frames' passes draw and capture into, kept across frames so that steady
    /// frames create none.
    pool: HashMap<PoolKey, Vec<Arc<Texture>>>,
    /// The serial of the last frame begun.
    frame_serial: u64,
    /// The instance list of finished frames' texture draws, emptied, for the next frame:
    /// a frame of many draws then allocates none.
    instance_list: Vec<texture::Instance>,
    /// The linear path's pipelines, built by the first frame that takes it: decoding
    /// draws into blend buffers, and the encode pass per target format.
    decode: HashMap<vk::Format, DecodePipelines>,
    /// Rounded-corner draws' decoding pipeline, per format drawn into (either path).
    rounded: HashMap<vk::Format, texture_decode_rounded::Pipeline>,
    encode: HashMap<vk::Format, EncodePipelines>,
    /// Whether [`DEEP_BLEND_FORMAT`] can be drawn into, blended and sampled here.
    deep_blend: bool,
}

/// What makes pooled textures interchangeable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PoolKey {
    pub width: u32,
    pub height: u32,
    pub format: vk::Format,
    pub fourcc: Option<DrmFourcc>,
    pub has_alpha: bool,
}

/// What a pooled texture can be used for: drawn into, sampled, copied from and into.
const POOL_USAGE: vk::ImageUsageFlags = vk::ImageUsageFlags::from_raw(
    vk::ImageUsageFlags::COLOR_ATTACHMENT.as_raw()
        | vk::ImageUsageFlags::SAMPLED.as_raw()
        | vk::ImageUsageFlags::TRANSFER_SRC.as_raw()
        | vk::ImageUsageFlags::TRANSFER_DST.as_raw(),
);

impl Drawing {
    pub(crate) fn new(
        device: &Device,
        cache_data: Option<&[u8]>,
        texture_array: bool,
    ) -> Result<Drawing> {
        let nearest = Sampler::new(device, Filter::Nearest)?;
        let linear = Sampler::new(device, Filter::Linear)?;
        let timer = GpuTimer::new(device)?;
        // Last: the raw cache has no owner until `Drawing` (whose drop destroys it) exists.
        let pipeline_cache = create_pipeline_cache(device, cache_data)?;
        Ok(Drawing {
            device: device.clone(),
            outputs: HashMap::new(),
            nearest,
            linear,
            yuv: YuvCache::default(),
            pipeline_cache,
            timer,
            texture_array: texture_array && device.capabilities().descriptor_indexing,
            blend_opaque: device.physical_device().info().device_type != crate::DeviceType::Cpu,
            pool: HashMap::new(),
            frame_serial: 0,
            instance_list: Vec::new(),
            decode: HashMap::new(),
            rounded: HashMap::new(),
            encode: HashMap::new(),
            deep_blend: blendable(device, DEEP_BLEND_FORMAT),
        })
    }

    /// Whether [`DEEP_BLEND_FORMAT`] can be drawn into, blended and sampled here.
    pub(crate) fn deep_blend(&self) -> bool {
        self.deep_blend
    }

    /// A serial for a new frame.
    pub(crate) fn next_frame_serial(&mut self) -> u64 {
        self.frame_serial += 1;
        self.frame_serial
    }

    /// The instance list for a frame's texture draws: empty, with the room earlier frames
    /// grew.
    pub(crate) fn take_instance_list(&mut self) -> Vec<texture::Instance> {
        std::mem::take(&mut self.instance_list)
    }

    /// Keeps a finished frame's instance list for the next frame.
    pub(crate) fn give_instance_list(&mut self, mut instances: Vec<texture::Instance>) {
        instances.clear();
        self.instance_list = instances;
    }

    /// A texture of the pool (made when none is free), owned by the renderer `owner`.
    pub(crate) fn take_pooled(&mut self, key: PoolKey, owner: u64) -> Result<Arc<Texture>> {
        if let Some(texture) = self.pool.get_mut(&key).and_then(Vec::pop) {
            return Ok(texture);
        }
        let texture = Texture::new(
            &self.device,
            TextureDesc {
                width: key.width,
                height: key.height,
                format: key.format,
                usage: POOL_USAGE,
                has_alpha: key.has_alpha,
                swizzle: vk::ComponentMapping::default(),
                fourcc: key.fourcc,
            },
        )?;
        texture.set_owner(owner);
        tracing::debug!(?key, "a new pooled texture for a frame's passes");
        Ok(Arc::new(texture))
    }

    /// Gives back the pooled textures a frame used; the next frame may take them at once
    /// (its barriers order its writes after this frame's reads).
    pub(crate) fn return_pooled(&mut self, textures: Vec<Arc<Texture>>) {
        for texture in textures {
            let key = PoolKey {
                width: texture.width(),
                height: texture.height(),
                format: texture.format(),
                fourcc: texture.fourcc(),
                has_alpha: texture.has_alpha(),
            };
            self.pool.entry(key).or_default().push(texture);
        }
    }

    /// Whether frames draw textured quads through the texture array.
    pub(crate) fn texture_array(&self) -> bool {
        self.texture_array
    }

    /// Whether one-rectangle draws of opaque content are blended (see the field).
    pub(crate) fn blend_opaque(&self) -> bool {
        self.blend_opaque
    }

    pub(crate) fn timer(&self) -> Option<&GpuTimer> {
        self.timer.as_ref()
    }

    pub(crate) fn yuv(&mut self) -> &mut YuvCache {
        &mut self.yuv
    }

    pub(crate) fn yuv_ref(&self) -> &YuvCache {
        &self.yuv
    }

    pub(crate) fn sampler(&self, filter: Filter) -> &Sampler {
        match filter {
            Filter::Nearest => &self.nearest,
            Filter::Linear => &self.linear,
        }
    }

    /// The render pass and pipelines for `format`, built on first use.
    pub(crate) fn output(&mut self, format: vk::Format) -> Result<&Output> {
        if !self.outputs.contains_key(&format) {
            let pass = RenderPass::<passes::Output>::new(&self.device, format)?;
            let pipelines = Pipelines::new(&self.device, &pass, self.pipeline_cache)?;
            self.outputs.insert(format, Output { pass, pipelines });
        }
        Ok(&self.outputs[&format])
    }

    /// The output of `format`; [`Drawing::output`] built it.
    pub(crate) fn built_output(&self, format: vk::Format) -> &Output {
        &self.outputs[&format]
    }

    /// Builds the pipeline drawing YUV textures sampled through `sampler` into targets of
    /// `format`.
    pub(crate) fn build_yuv_pipeline(
        &mut self,
        format: vk::Format,
        sampler: &Sampler,
    ) -> Result<()> {
        self.output(format)?;
        let pass = &self.outputs[&format].pass;
        self.yuv
            .build_pipeline(&self.device, pass, format, sampler, self.pipeline_cache)
    }

    /// Builds the linear path's pipeline decoding YUV textures sampled through `sampler`
    /// into passes of `format` (built by [`Drawing::build_decode`] first).
    pub(crate) fn build_yuv_decode_pipeline(
        &mut self,
        format: vk::Format,
        sampler: &Sampler,
    ) -> Result<()> {
        self.output(format)?;
        let pass = &self.outputs[&format].pass;
        self.yuv
            .build_decode_pipeline(&self.device, pass, format, sampler, self.pipeline_cache)
    }

    /// Builds what the linear path into targets of `format` draws with: the blend
    /// buffers' output (every pipeline, for the draws a frame records into them), the
    /// decoding pipeline, and the encode pass for `format` (with the mapping stages if
    /// `mapped`).
    pub(crate) fn build_linear_path(
        &mut self,
        format: vk::Format,
        blend: vk::Format,
        mapped: bool,
    ) -> Result<()> {
        self.build_decode(blend)?;
        self.output(format)?;
        let (device, cache) = (&self.device, self.pipeline_cache);
        let pass = &self.outputs[&format].pass;
        let encode = match self.encode.entry(format) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => entry.insert(EncodePipelines {
                plain: encode::Pipeline::new(device, pass, cache)?,
                mapped: None,
            }),
        };
        if mapped && encode.mapped.is_none() {
            encode.mapped = Some(encode_mapped::Pipeline::new(device, pass, cache)?);
        }
        Ok(())
    }

    /// Builds the output of `format` (every pipeline) and the decoding pipeline into it:
    /// what the linear path draws with into a blend buffer, or into an sRGB view.
    pub(crate) fn build_decode(&mut self, format: vk::Format) -> Result<()> {
        self.output(format)?;
        if !self.decode.contains_key(&format) {
            let pass = &self.outputs[&format].pass;
            let (device, cache) = (&self.device, self.pipeline_cache);
            let pipelines = DecodePipelines {
                blended: texture_decode::Pipeline::new(device, pass, cache)?,
                opaque: texture_decode_opaque::Pipeline::new(device, pass, cache)?,
            };
            self.decode.insert(format, pipelines);
        }
        Ok(())
    }

    /// Builds the output of `format` and the rounded-corner draws' pipeline into it.
    pub(crate) fn build_rounded(&mut self, format: vk::Format) -> Result<()> {
        self.output(format)?;
        if !self.rounded.contains_key(&format) {
            let pass = &self.outputs[&format].pass;
            let pipeline =
                texture_decode_rounded::Pipeline::new(&self.device, pass, self.pipeline_cache)?;
            self.rounded.insert(format, pipeline);
        }
        Ok(())
    }

    /// The rounded-corner draws' pipeline into `format` ([`Drawing::build_rounded`]).
    pub(crate) fn rounded_pipeline(&self, format: vk::Format) -> &texture_decode_rounded::Pipeline {
        &self.rounded[&format]
    }

    /// The decoding pipelines into passes of `format` ([`Drawing::build_decode`]).
    pub(crate) fn decode_pipelines(&self, format: vk::Format) -> &DecodePipelines {
        &self.decode[&format]
    }

    /// The encode passes into `format` ([`Drawing::build_linear_path`]).
    pub(crate) fn encode_pipelines(&self, format: vk::Format) -> &EncodePipelines {
        &self.encode[&format]
    }

    /// A new blend buffer of `width` x `height` for a target of the renderer `owner`.
    pub(crate) fn new_blend_buffer(
        &self,
        (width, height): (u32, u32),
        format: vk::Format,
        owner: u64,
    ) -> Result<Arc<Texture>> {
        let texture = Texture::new(
            &self.device,
            TextureDesc {
                width,
                height,
                format,
                usage: vk::ImageUsageFlags::COLOR_ATTACHMENT
                    | vk::ImageUsageFlags::SAMPLED
                    | vk::ImageUsageFlags::TRANSFER_SRC,
                has_alpha: true,
                swizzle: vk::ComponentMapping::default(),
                fourcc: None,
            },
        )?;
        texture.set_owner(owner);
        tracing::debug!(width, height, "a new blend buffer for the linear path");
        Ok(Arc::new(texture))
    }

    /// The pipeline cache's contents.
    pub(crate) fn pipeline_cache_data(&self) -> Result<Vec<u8>> {
        // SAFETY: the cache belongs to this device.
        unsafe {
            self.device
                .raw()
                .get_pipeline_cache_data(self.pipeline_cache)
        }
        .or_vk("vkGetPipelineCacheData")
    }
}

impl Drop for Drawing {
    fn drop(&mut self) {
        // SAFETY: the renderer waited for every submission before dropping its parts
        // (the submitter is dropped first and waits), so nothing uses the cache.
        unsafe {
            self.device
                .raw()
                .destroy_pipeline_cache(self.pipeline_cache, None);
        }
    }
}

fn create_pipeline_cache(device: &Device, data: Option<&[u8]>) -> Result<vk::PipelineCache> {
    let info = vk::PipelineCacheCreateInfo::default().initial_data(data.unwrap_or(&[]));
    // SAFETY: drivers validate the header of initial data and ignore a mismatching cache.
    let cache = unsafe { device.raw().create_pipeline_cache(&info, None) }
        .or_vk("vkCreatePipelineCache")?;
    device.count_created();
    Ok(cache)
}

/// Whether `format` can be a colour attachment with blending and be sampled, in optimal
/// tiling.
fn blendable(device: &Device, format: vk::Format) -> bool {
    let instance = device.physical_device().instance().raw();
    // SAFETY: a plain query; the physical device belongs to this live instance.
    let features =
        unsafe { instance.get_physical_device_format_properties(device.physical(), format) }
            .optimal_tiling_features;
    features.contains(
        vk::FormatFeatureFlags::COLOR_ATTACHMENT_BLEND | vk::FormatFeatureFlags::SAMPLED_IMAGE,
    )
}
