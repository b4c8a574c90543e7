//! The DRM format table on the real driver, with validation on: what the device supports,
//! and that every `wl_shm` format's texels survive an upload and a readback unchanged.

mod common;

use common::{assert_validation_clean, gpu};
use vkcompose::format::{all_formats, DrmFourcc, FormatInfo, FormatTable};
use vkcompose::{vk, Device, Error, Recorder, Texture, TextureDesc};

fn is_lavapipe(device: &Device) -> bool {
    device.physical_device().info().driver.id == vk::DriverId::MESA_LLVMPIPE
}

#[test]
fn the_probed_table_covers_every_format_and_lavapipe_supports_them_all_for_shm() {
    let (instance, device) = gpu();
    let table = FormatTable::probe(&device);
    assert_eq!(table.entries().len(), all_formats().len());
    for info in all_formats() {
        let support = table
            .support(info.fourcc)
            .expect("every table format is probed");
        eprintln!(
            "{}: {} {:?}: shm {} target {} {support:?}",
            device.name(),
            info.fourcc,
            info.vk,
            support.shm(),
            support.target()
        );
    }
    // Mandatory in Vulkan for sampling and transfers, so every device has them.
    for fourcc in [
        DrmFourcc::Argb8888,
        DrmFourcc::Xrgb8888,
        DrmFourcc::Abgr8888,
        DrmFourcc::Xbgr8888,
        DrmFourcc::Rgb565,
        DrmFourcc::Abgr2101010,
        DrmFourcc::Abgr16161616f,
        DrmFourcc::R8,
        DrmFourcc::Gr88,
    ] {
        assert!(table.support(fourcc).unwrap().shm(), "{fourcc}");
        table.require_shm(device.name(), fourcc).unwrap();
    }
    let shm = table.shm_formats();
    assert_eq!(&shm[..2], &[DrmFourcc::Argb8888, DrmFourcc::Xrgb8888]);
    let render = table.render_formats();
    for fourcc in &render {
        assert!(!vkcompose::format::format_info(*fourcc)
            .unwrap()
            .reorders_channels());
    }
    if is_lavapipe(&device) {
        let all: Vec<DrmFourcc> = all_formats().iter().map(|f| f.fourcc).collect();
        assert_eq!(shm, all, "lavapipe samples and uploads every table format");
        for info in all_formats() {
            let support = table.support(info.fourcc).unwrap();
            assert!(support.sample_linear_filter, "{}", info.fourcc);
            assert!(support.transfer_src, "{}", info.fourcc);
            assert_eq!(
                support.target(),
                !info.reorders_channels(),
                "{}",
                info.fourcc
            );
        }
    }
    assert_validation_clean(&instance);
}

#[test]
fn require_shm_names_the_device_and_the_format() {
    let (instance, device) = gpu();
    let table = FormatTable::probe(&device);
    let info = table
        .require_shm(device.name(), DrmFourcc::Xrgb8888)
        .unwrap();
    assert_eq!(info.vk, vk::Format::B8G8R8A8_UNORM);
    match table.require_shm(device.name(), DrmFourcc::Nv12) {
        Err(Error::UnsupportedFormat {
            device: name,
            fourcc,
            ..
        }) => {
            assert_eq!(name, device.name());
            assert_eq!(fourcc, "NV12");
        }
        other => panic!("NV12 is not in the table, got {other:?}"),
    }
    assert_validation_clean(&instance);
}

/// Distinct bytes at every position of a `width * height` image of `bpp`-byte texels.
fn pattern(info: &FormatInfo, width: u32, height: u32) -> Vec<u8> {
    let len = (width * height * info.bytes_per_pixel) as usize;
    let seed = info.fourcc as u32;
    (0..len)
        .map(|i| {
            let x = (i as u32).wrapping_mul(0x9e37_79b1) ^ seed;
            (x ^ (x >> 13) ^ (x >> 24)) as u8
        })
        .collect()
}

fn texture(device: &Device, info: &FormatInfo, width: u32, height: u32) -> Texture {
    Texture::new(
        device,
        TextureDesc {
            width,
            height,
            format: info.vk,
            usage: vk::ImageUsageFlags::SAMPLED
                | vk::ImageUsageFlags::TRANSFER_DST
                | vk::ImageUsageFlags::TRANSFER_SRC,
            has_alpha: info.has_alpha,
            swizzle: info.swizzle,
            fourcc: Some(info.fourcc),
        },
    )
    .unwrap_or_else(|e| panic!("a {} texture: {e}", info.fourcc))
}

#[test]
fn every_shm_format_round_trips_through_a_texture_byte_for_byte() {
    let (instance, device) = gpu();
    let table = FormatTable::probe(&device);
    let (width, height) = (7, 5);
    let formats: Vec<&FormatInfo> = all_formats()
        .iter()
        .filter(|f| table.support(f.fourcc).unwrap().shm())
        .collect();
    assert!(formats.len() >= 9);
    let textures: Vec<Texture> = formats
        .iter()
        .map(|info| texture(&device, info, width, height))
        .collect();
    let data: Vec<Vec<u8>> = formats
        .iter()
        .map(|info| pattern(info, width, height))
        .collect();
    let mut recorder = Recorder::new(&device).unwrap();
    let mut ids = Vec::new();
    for (texture, data) in textures.iter().zip(&data) {
        recorder.upload(texture, data).unwrap();
        ids.push(recorder.read_back(texture).unwrap());
    }
    let finished = recorder.finish().unwrap();
    for ((info, data), id) in formats.iter().zip(&data).zip(ids) {
        let bytes = finished.bytes(id);
        assert_eq!(
            bytes.len(),
            (width * height * info.bytes_per_pixel) as usize,
            "{}",
            info.fourcc
        );
        assert!(
            bytes == data.as_slice(),
            "{} ({:?}) came back changed:\n sent {data:02x?}\n got  {bytes:02x?}",
            info.fourcc,
            info.vk
        );
    }
    assert_validation_clean(&instance);
}

#[test]
fn every_table_swizzle_makes_a_valid_view() {
    let (instance, device) = gpu();
    let table = FormatTable::probe(&device);
    for info in all_formats() {
        if !table.support(info.fourcc).unwrap().sample {
            continue;
        }
        let texture = texture(&device, info, 4, 4);
        let view_info = vk::ImageViewCreateInfo::default()
            .image(texture.image())
            .view_type(vk::ImageViewType::TYPE_2D)
            .format(info.vk)
            .components(info.swizzle)
            .subresource_range(vk::ImageSubresourceRange {
                aspect_mask: vk::ImageAspectFlags::COLOR,
                base_mip_level: 0,
                level_count: 1,
                base_array_layer: 0,
                layer_count: 1,
            });
        // SAFETY: test code; the image is live and has this format.
        let view = unsafe { device.raw().create_image_view(&view_info, None) }
            .unwrap_or_else(|e| panic!("a {} view: {e}", info.fourcc));
        // SAFETY: test code; the view was never used.
        unsafe { device.raw().destroy_image_view(view, None) };
    }
    assert_validation_clean(&instance);
}
