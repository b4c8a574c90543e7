//! Shared test setup: a real Vulkan device with the Khronos validation layer on.

#![allow(dead_code)]

use vkcompose::{vk, Device, Instance, InstanceOptions, Texture, TextureDesc};

/// An instance with validation and its best device. Tests fail outright when the layer is
/// missing: a run without validation would hide the errors they exist to catch.
pub fn gpu() -> (Instance, Device) {
    let instance = Instance::new(&InstanceOptions {
        validation: true,
        ..Default::default()
    })
        .expect("a Vulkan instance with the validation layer (install vulkan-validationlayers)");
    let device = Device::new(&instance).expect("a Vulkan device");
    (instance, device)
}

/// Fails the test if the validation layer reported any error.
pub fn assert_validation_clean(instance: &Instance) {
    let log = instance.messages();
    assert_eq!(
        log.error_count(),
        0,
        "validation errors:\n{}",
        log.errors().join("\n")
    );
}

/// An RGBA8 texture that can be sampled, uploaded to and read back.
pub fn rgba_texture(device: &Device, width: u32, height: u32, has_alpha: bool) -> Texture {
    Texture::new(
        device,
        TextureDesc {
            width,
            height,
            format: vk::Format::R8G8B8A8_UNORM,
            usage: vk::ImageUsageFlags::SAMPLED
                | vk::ImageUsageFlags::TRANSFER_DST
                | vk::ImageUsageFlags::TRANSFER_SRC
                | vk::ImageUsageFlags::COLOR_ATTACHMENT,
            has_alpha,
        },
    )
    .expect("texture")
}

/// Premultiplied "over": what the premultiplied blend computes, in 0..1 floats.
pub fn over(src: [f32; 4], dst: [f32; 4]) -> [f32; 4] {
    std::array::from_fn(|i| src[i] + dst[i] * (1.0 - src[3]))
}

pub fn to_unorm(c: [f32; 4]) -> [u8; 4] {
    c.map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
}

pub fn to_float(c: [u8; 4]) -> [f32; 4] {
    c.map(|v| f32::from(v) / 255.0)
}

/// Compares with a tolerance of one step per channel (GPU rounding may differ).
pub fn assert_pixel(pixels: &[u8], width: u32, x: u32, y: u32, expected: [u8; 4], what: &str) {
    let i = ((y * width + x) * 4) as usize;
    let actual = &pixels[i..i + 4];
    let close = actual
        .iter()
        .zip(expected)
        .all(|(&a, e)| a.abs_diff(e) <= 1);
    assert!(
        close,
        "{what}: pixel ({x}, {y}) is {actual:?}, expected {expected:?}"
    );
}
