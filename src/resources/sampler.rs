//! Samplers: clamp-to-edge, nearest or linear filtering, optionally through a YCbCr
//! conversion (see [`ycbcr`]) for multi-planar (YUV) images.

mod ycbcr;

use std::sync::Arc;

use ash::vk;

use crate::core::device::Device;
use crate::error::{Error, Result, VkResultExt};

pub use ycbcr::{YcbcrConversion, YcbcrModel, YcbcrOptions, YcbcrRange};

/// Texture filtering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Filter {
    Nearest,
    Linear,
}

impl Filter {
    fn vk(self) -> vk::Filter {
        match self {
            Filter::Nearest => vk::Filter::NEAREST,
            Filter::Linear => vk::Filter::LINEAR,
        }
    }
}

/// A `VkSampler`. Clones share it (a pipeline keeps its immutable samplers alive this
/// way); the last one dropped destroys it.
#[derive(Clone)]
pub struct Sampler {
    shared: Arc<Shared>,
}

struct Shared {
    device: Device,
    raw: vk::Sampler,
    filter: Filter,
    /// Kept alive as long as the sampler created with it.
    conversion: Option<YcbcrConversion>,
}

impl Sampler {
    pub fn new(device: &Device, filter: Filter) -> Result<Sampler> {
        Sampler::create(device, filter, None)
    }

    /// A sampler that reads through `conversion`: usable only as an immutable sampler (a
    /// pipeline's `Samplers`), on image views made with the same conversion. Its filter is
    /// the conversion's chroma filter, as Vulkan requires unless the format supports a
    /// separate reconstruction filter.
    pub fn ycbcr(device: &Device, conversion: &YcbcrConversion) -> Result<Sampler> {
        if conversion.device().raw().handle() != device.raw().handle() {
            return Err(Error::InvalidArgument(
                "the YCbCr conversion belongs to another device".into(),
            ));
        }
        Sampler::create(device, conversion.chroma_filter(), Some(conversion.clone()))
    }

    fn create(
        device: &Device,
        filter: Filter,
        conversion: Option<YcbcrConversion>,
    ) -> Result<Sampler> {
        let mut conversion_info = vk::SamplerYcbcrConversionInfo::default().conversion(
            conversion
                .as_ref()
                .map_or(vk::SamplerYcbcrConversion::null(), |c| c.raw()),
        );
        // Clamping keeps edge texels from bleeding in from the opposite side; a YCbCr
        // conversion also requires it, with normalized coordinates and no anisotropy
        // (the defaults here).
        let mut info = vk::SamplerCreateInfo::default()
            .mag_filter(filter.vk())
            .min_filter(filter.vk())
            .mipmap_mode(vk::SamplerMipmapMode::NEAREST)
            .address_mode_u(vk::SamplerAddressMode::CLAMP_TO_EDGE)
            .address_mode_v(vk::SamplerAddressMode::CLAMP_TO_EDGE)
            .address_mode_w(vk::SamplerAddressMode::CLAMP_TO_EDGE)
            .anisotropy_enable(false)
            .unnormalized_coordinates(false)
            .max_lod(0.0);
        if conversion.is_some() {
            info = info.push_next(&mut conversion_info);
        }
        // SAFETY: a valid create info for this device; a chained conversion belongs to it
        // (checked by `ycbcr`) and the sampler state meets its requirements.
        let raw = unsafe { device.raw().create_sampler(&info, None) }.or_vk("vkCreateSampler")?;
        device.count_created();
        Ok(Sampler {
            shared: Arc::new(Shared {
                device: device.clone(),
                raw,
                filter,
                conversion,
            }),
        })
    }

    pub fn filter(&self) -> Filter {
        self.shared.filter
    }

    /// The conversion the sampler reads through, if it was made by [`Sampler::ycbcr`].
    pub fn ycbcr_conversion(&self) -> Option<&YcbcrConversion> {
        self.shared.conversion.as_ref()
    }

    pub fn raw(&self) -> vk::Sampler {
        self.shared.raw
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: samplers are dropped only after the GPU work using them completed, and
        // pipelines holding one as an immutable sampler hold a clone.
        unsafe { self.device.raw().destroy_sampler(self.raw, None) };
    }
}
