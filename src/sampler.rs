//! Samplers: clamp-to-edge, nearest or linear filtering.

use ash::vk;

use crate::device::Device;
use crate::error::{Result, VkResultExt};

/// Texture filtering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Filter {
    Nearest,
    Linear,
}

pub struct Sampler {
    device: Device,
    raw: vk::Sampler,
    filter: Filter,
}

impl Sampler {
    pub fn new(device: &Device, filter: Filter) -> Result<Sampler> {
        let vk_filter = match filter {
            Filter::Nearest => vk::Filter::NEAREST,
            Filter::Linear => vk::Filter::LINEAR,
        };
        // Clamping keeps edge texels from bleeding in from the opposite side.
        let info = vk::SamplerCreateInfo::default()
            .mag_filter(vk_filter)
            .min_filter(vk_filter)
            .mipmap_mode(vk::SamplerMipmapMode::NEAREST)
            .address_mode_u(vk::SamplerAddressMode::CLAMP_TO_EDGE)
            .address_mode_v(vk::SamplerAddressMode::CLAMP_TO_EDGE)
            .address_mode_w(vk::SamplerAddressMode::CLAMP_TO_EDGE)
            .max_lod(0.0);
        // SAFETY: a valid create info for this device.
        let raw = unsafe { device.raw().create_sampler(&info, None) }.or_vk("vkCreateSampler")?;
        device.count_created();
        Ok(Sampler {
            device: device.clone(),
            raw,
            filter,
        })
    }

    pub fn filter(&self) -> Filter {
        self.filter
    }

    pub fn raw(&self) -> vk::Sampler {
        self.raw
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        // SAFETY: samplers are dropped only after the GPU work using them completed.
        unsafe { self.device.raw().destroy_sampler(self.raw, None) };
    }
}
