//! `VkSamplerYcbcrConversion`: how the samples of a multi-planar (YUV) image become RGB.
//! A sampler with a conversion must be an immutable sampler of its set layout, and the
//! image views it reads must be made with the same conversion ([`YcbcrConversion::raw`]).

use std::sync::Arc;

use ash::vk;

use super::Filter;
use crate::core::device::Device;
use crate::error::{Error, Result, VkResultExt};

/// The matrix from Y′CbCr to R′G′B′.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum YcbcrModel {
    /// ITU-R BT.601 (standard definition).
    #[default]
    Bt601,
    /// ITU-R BT.709 (high definition).
    Bt709,
    /// ITU-R BT.2020 (ultra high definition, HDR).
    Bt2020,
}

/// The range the encoded values use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum YcbcrRange {
    /// Every code value: 0..=255 for 8 bits.
    Full,
    /// ITU "narrow" range: luma 16..=235, chroma 16..=240 for 8 bits.
    #[default]
    Limited,
}

/// How a client's YUV buffer is encoded. The default, BT.601 in limited range, is what a
/// buffer whose producer states nothing is taken to be: the defaults of
/// `EGL_EXT_image_dma_buf_import`, which compositors and clients commonly follow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct YcbcrOptions {
    pub model: YcbcrModel,
    pub range: YcbcrRange,
}

/// A `VkSamplerYcbcrConversion` for one format. Clones share it (a sampler keeps its
/// conversion alive this way); the last one dropped destroys it.
#[derive(Clone)]
pub struct YcbcrConversion {
    shared: Arc<Shared>,
}

struct Shared {
    device: Device,
    raw: vk::SamplerYcbcrConversion,
    format: vk::Format,
    options: YcbcrOptions,
    chroma_filter: Filter,
}

impl YcbcrConversion {
    /// A conversion for images of `format` whose format features (for the tiling or DRM
    /// modifier they are made with) are `features`, which choose the chroma sample
    /// positions (co-sited where supported, else midpoint) and the chroma filter (linear
    /// where supported, else nearest). `Error::Unsupported` where the device lacks the
    /// `samplerYcbcrConversion` feature or the features allow no conversion.
    pub fn new(
        device: &Device,
        format: vk::Format,
        features: vk::FormatFeatureFlags,
        options: YcbcrOptions,
    ) -> Result<YcbcrConversion> {
        if !device.capabilities().ycbcr_conversion {
            return Err(Error::Unsupported {
                device: device.name().to_string(),
                what: "the samplerYcbcrConversion feature, which sampling multi-planar (YUV) images needs".into(),
            });
        }
        if format == vk::Format::UNDEFINED {
            return Err(Error::InvalidArgument(
                "a YCbCr conversion needs a format (external formats are not supported)".into(),
            ));
        }
        let offset = chroma_offset(device, format, features)?;
        let chroma_filter = chroma_filter(features);
        let info = vk::SamplerYcbcrConversionCreateInfo::default()
            .format(format)
            .ycbcr_model(model(options.model))
            .ycbcr_range(range(options.range))
            .components(vk::ComponentMapping::default())
            .x_chroma_offset(offset)
            .y_chroma_offset(offset)
            .chroma_filter(chroma_filter.vk())
            .force_explicit_reconstruction(false);
        // SAFETY: the device has the samplerYcbcrConversion feature enabled (checked above:
        // capabilities are what device creation enabled), and the chroma offsets and filter
        // are ones `features` supports.
        let raw = unsafe { device.raw().create_sampler_ycbcr_conversion(&info, None) }
            .or_vk("vkCreateSamplerYcbcrConversion")?;
        device.count_created();
        Ok(YcbcrConversion {
            shared: Arc::new(Shared {
                device: device.clone(),
                raw,
                format,
                options,
                chroma_filter,
            }),
        })
    }

    /// The handle, to chain (in `VkSamplerYcbcrConversionInfo`) into the image views of
    /// the images this conversion samples.
    pub fn raw(&self) -> vk::SamplerYcbcrConversion {
        self.shared.raw
    }

    pub fn format(&self) -> vk::Format {
        self.shared.format
    }

    pub fn options(&self) -> YcbcrOptions {
        self.shared.options
    }

    /// How chroma is reconstructed; samplers using the conversion filter the same way.
    pub fn chroma_filter(&self) -> Filter {
        self.shared.chroma_filter
    }

    pub(crate) fn device(&self) -> &Device {
        &self.shared.device
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: samplers made with the conversion hold a clone, so none is left; image
        // views chaining it are dropped by their owners after the GPU work using them.
        unsafe {
            self.device
                .raw()
                .destroy_sampler_ycbcr_conversion(self.raw, None)
        };
    }
}

/// Co-sited chroma samples where the format features support them, else midpoint, on both
/// axes; Vulkan requires the features to support the choice.
fn chroma_offset(
    device: &Device,
    format: vk::Format,
    features: vk::FormatFeatureFlags,
) -> Result<vk::ChromaLocation> {
    if features.contains(vk::FormatFeatureFlags::COSITED_CHROMA_SAMPLES) {
        Ok(vk::ChromaLocation::COSITED_EVEN)
    } else if features.contains(vk::FormatFeatureFlags::MIDPOINT_CHROMA_SAMPLES) {
        Ok(vk::ChromaLocation::MIDPOINT)
    } else {
        Err(Error::Unsupported {
            device: device.name().to_string(),
            what: format!(
                "a YCbCr conversion for {format:?} with these format features (neither co-sited nor midpoint chroma samples)"
            ),
        })
    }
}

/// Linear chroma reconstruction only where the format features allow it.
fn chroma_filter(features: vk::FormatFeatureFlags) -> Filter {
    if features.contains(vk::FormatFeatureFlags::SAMPLED_IMAGE_YCBCR_CONVERSION_LINEAR_FILTER) {
        Filter::Linear
    } else {
        Filter::Nearest
    }
}

fn model(model: YcbcrModel) -> vk::SamplerYcbcrModelConversion {
    match model {
        YcbcrModel::Bt601 => vk::SamplerYcbcrModelConversion::YCBCR_601,
        YcbcrModel::Bt709 => vk::SamplerYcbcrModelConversion::YCBCR_709,
        YcbcrModel::Bt2020 => vk::SamplerYcbcrModelConversion::YCBCR_2020,
    }
}

fn range(range: YcbcrRange) -> vk::SamplerYcbcrRange {
    match range {
        YcbcrRange::Full => vk::SamplerYcbcrRange::ITU_FULL,
        YcbcrRange::Limited => vk::SamplerYcbcrRange::ITU_NARROW,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_bt601_limited() {
        let options = YcbcrOptions::default();
        assert_eq!(options.model, YcbcrModel::Bt601);
        assert_eq!(options.range, YcbcrRange::Limited);
    }

    #[test]
    fn linear_chroma_only_with_the_linear_filter_feature() {
        let cosited = vk::FormatFeatureFlags::COSITED_CHROMA_SAMPLES;
        assert_eq!(chroma_filter(cosited), Filter::Nearest);
        let linear = cosited | vk::FormatFeatureFlags::SAMPLED_IMAGE_YCBCR_CONVERSION_LINEAR_FILTER;
        assert_eq!(chroma_filter(linear), Filter::Linear);
    }
}
