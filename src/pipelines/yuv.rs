//! YUV textures (NV12, P010): sampled through a `VkSamplerYcbcrConversion`, which must be
//! an immutable sampler of the pipeline's set layout and chained into the image view. One
//! conversion and sampler per (format, format features, options), one pipeline per
//! (target format, sampler) for the direct path and one for the linear path's decoding;
//! all made on first use and kept.

use std::collections::HashMap;

use ash::vk;

use crate::core::device::Device;
use crate::error::Result;
use crate::pipelines::render_pass::RenderPass;
use crate::resources::sampler::{Sampler, YcbcrConversion, YcbcrOptions};
use crate::shaders::{passes, texture_ycbcr, texture_ycbcr_decode};

#[derive(Default)]
pub(crate) struct YuvCache {
    samplers: HashMap<(vk::Format, vk::FormatFeatureFlags, YcbcrOptions), Sampler>,
    pipelines: HashMap<(vk::Format, vk::Sampler), texture_ycbcr::Pipeline>,
    decode_pipelines: HashMap<(vk::Format, vk::Sampler), texture_ycbcr_decode::Pipeline>,
}

impl YuvCache {
    /// The sampler (with its conversion) for images of `format` with `features`.
    pub fn sampler(
        &mut self,
        device: &Device,
        format: vk::Format,
        features: vk::FormatFeatureFlags,
        options: YcbcrOptions,
    ) -> Result<Sampler> {
        let key = (format, features, options);
        if let Some(sampler) = self.samplers.get(&key) {
            return Ok(sampler.clone());
        }
        let conversion = YcbcrConversion::new(device, format, features, options)?;
        let sampler = Sampler::ycbcr(device, &conversion)?;
        self.samplers.insert(key, sampler.clone());
        Ok(sampler)
    }

    /// Builds the pipeline drawing through `sampler` into targets of `target` format.
    pub fn build_pipeline(
        &mut self,
        device: &Device,
        pass: &RenderPass<passes::Output>,
        target: vk::Format,
        sampler: &Sampler,
        cache: vk::PipelineCache,
    ) -> Result<()> {
        if let std::collections::hash_map::Entry::Vacant(slot) =
            self.pipelines.entry((target, sampler.raw()))
        {
            let samplers = texture_ycbcr::Samplers { tex: sampler };
            slot.insert(texture_ycbcr::Pipeline::new(
                device, pass, cache, &samplers,
            )?);
        }
        Ok(())
    }

    /// The pipeline [`YuvCache::build_pipeline`] built.
    pub fn pipeline(
        &self,
        target: vk::Format,
        sampler: &Sampler,
    ) -> Option<&texture_ycbcr::Pipeline> {
        self.pipelines.get(&(target, sampler.raw()))
    }

    /// Builds the linear path's decoding pipeline through `sampler` into passes of
    /// `target` format (a blend buffer's or an sRGB view's).
    pub fn build_decode_pipeline(
        &mut self,
        device: &Device,
        pass: &RenderPass<passes::Output>,
        target: vk::Format,
        sampler: &Sampler,
        cache: vk::PipelineCache,
    ) -> Result<()> {
        if let std::collections::hash_map::Entry::Vacant(slot) =
            self.decode_pipelines.entry((target, sampler.raw()))
        {
            let samplers = texture_ycbcr_decode::Samplers { tex: sampler };
            slot.insert(texture_ycbcr_decode::Pipeline::new(
                device, pass, cache, &samplers,
            )?);
        }
        Ok(())
    }

    /// The pipeline [`YuvCache::build_decode_pipeline`] built.
    pub fn decode_pipeline(
        &self,
        target: vk::Format,
        sampler: &Sampler,
    ) -> Option<&texture_ycbcr_decode::Pipeline> {
        self.decode_pipelines.get(&(target, sampler.raw()))
    }
}
