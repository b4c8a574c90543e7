//! Pipelines with immutable samplers (`texture_ycbcr`) and YCbCr conversions, on the
//! machine's device: a plain sampler baked into the layout draws exactly like a bound one;
//! a conversion is refused with a typed error where the device lacks the feature, and built
//! (with its sampler and the pipeline) for NV12 and P010 where it has it.

mod common;

use common::*;
use vkcompose::shaders::{passes, sets, texture_ycbcr};
use vkcompose::{
    vk, Device, Error, Filter, Recorder, RenderPass, Sampler, YcbcrConversion, YcbcrModel,
    YcbcrOptions, YcbcrRange,
};

const SIZE: u32 = 16;
const BACKGROUND: [u8; 4] = [20, 40, 60, 255];

/// A 4x4 texture of distinct texels; the alpha byte is ignored by the `opaque` variant.
fn texels() -> Vec<[u8; 4]> {
    (0..16u8)
        .map(|i| [i * 16, 255 - i * 16, i.wrapping_mul(37), i * 8])
        .collect()
}

/// A quad drawn with the identity UV map.
struct Quad {
    dst: [f32; 4],
    alpha: f32,
}

impl Quad {
    fn instance(&self) -> texture_ycbcr::Instance {
        texture_ycbcr::Instance {
            dst: self.dst,
            uv_offset: [0.0, 0.0],
            uv_axes: [1.0, 0.0, 0.0, 1.0],
            alpha: self.alpha,
        }
    }

    /// What the `opaque` variant outputs at a pixel center with nearest filtering: the
    /// texel's color with alpha 1, times the quad's alpha; `None` outside the quad.
    fn color_at(&self, texels: &[[u8; 4]], x: u32, y: u32) -> Option<[f32; 4]> {
        let [dx, dy, w, h] = self.dst;
        let (u, v) = ((x as f32 + 0.5 - dx) / w, (y as f32 + 0.5 - dy) / h);
        if !(0.0..1.0).contains(&u) || !(0.0..1.0).contains(&v) {
            return None;
        }
        let (tx, ty) = ((u * 4.0) as usize, (v * 4.0) as usize);
        let mut color = to_float(texels[ty * 4 + tx]);
        color[3] = 1.0;
        Some(color.map(|c| c * self.alpha))
    }
}

#[test]
fn a_plain_immutable_sampler_draws_the_texels_the_test_computes() {
    let (instance, device) = gpu();
    let pass = RenderPass::<passes::Output>::new(&device, vk::Format::R8G8B8A8_UNORM).unwrap();
    let sampler = Sampler::new(&device, Filter::Nearest).unwrap();
    let pipeline = texture_ycbcr::Pipeline::new(
        &device,
        &pass,
        vk::PipelineCache::null(),
        &texture_ycbcr::Samplers { tex: &sampler },
    )
    .unwrap();
    // The pipeline keeps its immutable sampler alive: dropping ours must not matter.
    drop(sampler);

    let texels = texels();
    let source = rgba_texture(&device, 4, 4, true);
    let target = rgba_texture(&device, SIZE, SIZE, true);
    let quads = [
        // Each texel covers 2x2 pixels.
        Quad {
            dst: [2.0, 2.0, 8.0, 8.0],
            alpha: 1.0,
        },
        // Half opacity, blended over the background and the first quad's corner.
        Quad {
            dst: [8.0, 8.0, 8.0, 4.0],
            alpha: 0.5,
        },
    ];

    let mut recorder = Recorder::new(&device).unwrap();
    recorder.upload(&source, &texels.concat()).unwrap();
    recorder.clear(&target, to_float(BACKGROUND)).unwrap();
    {
        let mut frame = recorder.begin_pass(&pass, &target, [0.0; 4]).unwrap();
        let push = texture_ycbcr::Push {
            target_size: [SIZE as f32; 2],
        };
        let instances: Vec<_> = quads.iter().map(Quad::instance).collect();
        frame
            .draw(
                &pipeline.variant(texture_ycbcr::Variant::Opaque),
                &push,
                sets::YcbcrTextured { tex: &source },
                &instances,
            )
            .unwrap();
    }
    let readback = recorder.read_back(&target).unwrap();
    let finished = recorder.finish().unwrap();
    let pixels = finished.bytes(readback);

    for y in 0..SIZE {
        for x in 0..SIZE {
            let mut expected = to_float(BACKGROUND);
            for quad in &quads {
                if let Some(color) = quad.color_at(&texels, x, y) {
                    expected = over(color, expected);
                }
            }
            assert_pixel(pixels, SIZE, x, y, to_unorm(expected), "immutable sampler");
        }
    }
    // The reference is not trivially the background: texel (1, 0) at pixel (4, 2).
    let [r, g, b, _] = texels[1];
    assert_pixel(pixels, SIZE, 4, 2, [r, g, b, 255], "texel (1, 0)");
    drop(finished);
    assert_validation_clean(&instance);
}

#[test]
fn an_unuploaded_texture_at_an_immutable_binding_is_an_error_not_invalid_usage() {
    let (instance, device) = gpu();
    let pass = RenderPass::<passes::Output>::new(&device, vk::Format::R8G8B8A8_UNORM).unwrap();
    let sampler = Sampler::new(&device, Filter::Linear).unwrap();
    let samplers = texture_ycbcr::Samplers { tex: &sampler };
    let pipeline =
        texture_ycbcr::Pipeline::new(&device, &pass, vk::PipelineCache::null(), &samplers).unwrap();
    let never_uploaded = rgba_texture(&device, 4, 4, true);
    let target = rgba_texture(&device, 8, 8, true);
    let mut recorder = Recorder::new(&device).unwrap();
    recorder.clear(&target, [0.0; 4]).unwrap();
    {
        let mut frame = recorder.begin_pass(&pass, &target, [0.0; 4]).unwrap();
        let quad = Quad {
            dst: [0.0, 0.0, 8.0, 8.0],
            alpha: 1.0,
        };
        let push = texture_ycbcr::Push {
            target_size: [8.0, 8.0],
        };
        let set = sets::YcbcrTextured {
            tex: &never_uploaded,
        };
        let result = frame.draw(&pipeline, &push, set, &[quad.instance()]);
        assert!(
            matches!(result, Err(Error::InvalidArgument(_))),
            "{:?}",
            result.err()
        );
    }
    recorder.finish().unwrap();
    assert_validation_clean(&instance);
}

#[test]
fn a_ycbcr_conversion_without_the_device_feature_is_unsupported() {
    let (instance, device) = gpu();
    if device.capabilities().ycbcr_conversion {
        eprintln!(
            "{} has samplerYcbcrConversion; the supported path is tested instead",
            device.name()
        );
        return;
    }
    let features = vk::FormatFeatureFlags::SAMPLED_IMAGE
        | vk::FormatFeatureFlags::COSITED_CHROMA_SAMPLES
        | vk::FormatFeatureFlags::MIDPOINT_CHROMA_SAMPLES;
    let result = YcbcrConversion::new(
        &device,
        vk::Format::G8_B8R8_2PLANE_420_UNORM,
        features,
        YcbcrOptions::default(),
    );
    match result {
        Err(Error::Unsupported { device: name, what }) => {
            assert_eq!(name, device.name());
            assert!(what.contains("samplerYcbcrConversion"), "{what}");
        }
        Err(other) => panic!("expected Error::Unsupported, got {other}"),
        Ok(_) => panic!("a conversion was created on a device without the feature"),
    }
    // Refused before any Vulkan call: nothing was created and nothing reported.
    assert_validation_clean(&instance);
}

/// The format features of optimal-tiling images of `format`.
fn optimal_features(device: &Device, format: vk::Format) -> vk::FormatFeatureFlags {
    // SAFETY: the physical device belongs to the device's instance.
    let properties = unsafe {
        device
            .instance()
            .raw()
            .get_physical_device_format_properties(device.physical(), format)
    };
    properties.optimal_tiling_features
}

/// How many descriptors a combined image sampler of `format` through `conversion`-like
/// sampling takes (`combinedImageSamplerDescriptorCount`); the recorder sizes its pools
/// for at most 3.
fn combined_image_sampler_descriptors(device: &Device, format: vk::Format) -> u32 {
    let info = vk::PhysicalDeviceImageFormatInfo2::default()
        .format(format)
        .ty(vk::ImageType::TYPE_2D)
        .tiling(vk::ImageTiling::OPTIMAL)
        .usage(vk::ImageUsageFlags::SAMPLED);
    let mut ycbcr = vk::SamplerYcbcrConversionImageFormatProperties::default();
    let mut properties = vk::ImageFormatProperties2::default().push_next(&mut ycbcr);
    // SAFETY: the physical device belongs to the instance; the chain is well formed and
    // outlives the call.
    unsafe {
        device
            .instance()
            .raw()
            .get_physical_device_image_format_properties2(device.physical(), &info, &mut properties)
    }
    .expect("image format properties of a format with conversion features");
    ycbcr.combined_image_sampler_descriptor_count
}

#[test]
fn nv12_and_p010_conversions_samplers_and_pipelines_where_the_device_has_the_feature() {
    let (instance, device) = gpu();
    if !device.capabilities().ycbcr_conversion {
        eprintln!(
            "{} lacks samplerYcbcrConversion; the unsupported path is tested instead",
            device.name()
        );
        return;
    }
    let pass = RenderPass::<passes::Output>::new(&device, vk::Format::R8G8B8A8_UNORM).unwrap();
    let formats = [
        vk::Format::G8_B8R8_2PLANE_420_UNORM,
        vk::Format::G10X6_B10X6R10X6_2PLANE_420_UNORM_3PACK16,
    ];
    let options = [
        YcbcrOptions::default(),
        YcbcrOptions {
            model: YcbcrModel::Bt2020,
            range: YcbcrRange::Full,
        },
    ];
    for format in formats {
        let features = optimal_features(&device, format);
        let chroma = vk::FormatFeatureFlags::COSITED_CHROMA_SAMPLES
            | vk::FormatFeatureFlags::MIDPOINT_CHROMA_SAMPLES;
        if !features.contains(vk::FormatFeatureFlags::SAMPLED_IMAGE) || !features.intersects(chroma)
        {
            eprintln!(
                "{} cannot sample {format:?} through a conversion",
                device.name()
            );
            continue;
        }
        let descriptors = combined_image_sampler_descriptors(&device, format);
        assert!((1..=3).contains(&descriptors), "{format:?}: {descriptors}");
        for options in options {
            let conversion = YcbcrConversion::new(&device, format, features, options).unwrap();
            assert_eq!(conversion.format(), format);
            assert_eq!(conversion.options(), options);
            let linear = vk::FormatFeatureFlags::SAMPLED_IMAGE_YCBCR_CONVERSION_LINEAR_FILTER;
            let filter = match features.contains(linear) {
                true => Filter::Linear,
                false => Filter::Nearest,
            };
            assert_eq!(conversion.chroma_filter(), filter);
            let sampler = Sampler::ycbcr(&device, &conversion).unwrap();
            assert_eq!(sampler.filter(), filter);
            assert_eq!(
                sampler.ycbcr_conversion().map(YcbcrConversion::raw),
                Some(conversion.raw())
            );
            // The sampler keeps the conversion alive, the pipeline the sampler.
            drop(conversion);
            let pipeline = texture_ycbcr::Pipeline::new(
                &device,
                &pass,
                vk::PipelineCache::null(),
                &texture_ycbcr::Samplers { tex: &sampler },
            )
            .unwrap();
            drop(sampler);
            drop(pipeline);
        }
    }
    assert_validation_clean(&instance);
}
