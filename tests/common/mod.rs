//! Shared test setup: a real Vulkan device with the Khronos validation layer on.

#![allow(dead_code)]

pub mod kawase;

use vkcompose::format::DrmFourcc;
use vkcompose::geometry::Rect;
use vkcompose::{
    vk, Device, Instance, InstanceOptions, Renderer, RendererOptions, ShmLayout, Texture,
    TextureDesc,
};

/// The checkout under test: cargo's `CARGO_MANIFEST_DIR` as it runs the test, else (a
/// binary run by hand or in the guest) as it built it. Checkouts sharing one target
/// directory (CI's clone beside a working tree) can reuse a binary built in the other.
pub fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), Into::into)
}

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

/// Fails the test if the validation layer reported any error, but for the known false
/// positives `Instance::validation_report` names (driver bugs it sees at run time).
pub fn assert_validation_clean(instance: &Instance) {
    let report = instance.validation_report();
    assert!(
        report.is_clean(),
        "{} validation errors:\n{}",
        report.count(),
        report.errors.join("\n")
    );
}

/// The Khronos validation layer's version (major, minor, patch), where it is installed.
pub fn validation_layer_version(instance: &Instance) -> Option<(u32, u32, u32)> {
    // SAFETY: a plain query of the loader.
    let layers = unsafe { instance.entry().enumerate_instance_layer_properties() }.ok()?;
    let layer = layers
        .iter()
        .find(|l| l.layer_name_as_c_str() == Ok(c"VK_LAYER_KHRONOS_validation"))?;
    let v = layer.spec_version;
    Some((
        vk::api_version_major(v),
        vk::api_version_minor(v),
        vk::api_version_patch(v),
    ))
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
            ..Default::default()
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

/// Records commands with `record` into a fresh command buffer, submits them on the graphics
/// queue with `waits` and `signals`, and returns without waiting: the caller decides how to
/// observe completion. The pool lives until the device's queue is idle.
pub fn submit_commands(
    device: &Device,
    waits: &[(vkcompose::SemaphorePoint<'_>, vk::PipelineStageFlags)],
    signals: &[vkcompose::SemaphorePoint<'_>],
    fence: Option<&vkcompose::sync::Fence>,
    record: impl FnOnce(vk::CommandBuffer),
) -> CommandPool {
    let raw = device.raw();
    let pool_info = vk::CommandPoolCreateInfo::default().queue_family_index(device.queue_family());
    // SAFETY: test code; a valid create info.
    let pool = unsafe { raw.create_command_pool(&pool_info, None) }.expect("command pool");
    let alloc = vk::CommandBufferAllocateInfo::default()
        .command_pool(pool)
        .level(vk::CommandBufferLevel::PRIMARY)
        .command_buffer_count(1);
    // SAFETY: test code; the pool is live.
    let cmd = unsafe { raw.allocate_command_buffers(&alloc) }.expect("command buffer")[0];
    let begin =
        vk::CommandBufferBeginInfo::default().flags(vk::CommandBufferUsageFlags::ONE_TIME_SUBMIT);
    // SAFETY: test code; a fresh command buffer.
    unsafe { raw.begin_command_buffer(cmd, &begin) }.expect("begin");
    record(cmd);
    // SAFETY: test code; recording.
    unsafe { raw.end_command_buffer(cmd) }.expect("end");
    device
        .graphics_queue()
        .submit(&vkcompose::Submission {
            command_buffers: &[cmd],
            waits,
            signals,
            fence,
        })
        .expect("submit");
    CommandPool {
        device: device.clone(),
        pool,
    }
}

/// A command pool destroyed once the queue is idle.
pub struct CommandPool {
    device: Device,
    pool: vk::CommandPool,
}

impl Drop for CommandPool {
    fn drop(&mut self) {
        self.device.graphics_queue().wait_idle().expect("idle");
        // SAFETY: test code; the queue is idle so no command buffer of the pool is pending.
        unsafe { self.device.raw().destroy_command_pool(self.pool, None) };
    }
}

/// The source pixel shown at display pixel (x, y) of a `dw`x`dh` display of a `sw`x`sh`
/// image, computed by turning index grids (independent of the library's formulas).
pub fn expected_source(
    t: vkcompose::geometry::Transform,
    x: usize,
    y: usize,
    sw: usize,
    sh: usize,
) -> (usize, usize) {
    use vkcompose::geometry::Transform;
    // Undo the turn: a CCW turn by N shows at display (x, y) what the unturned image has
    // at the point turned back clockwise.
    let (dw, dh) = if matches!(
        t,
        Transform::Rotate90 | Transform::Rotate270 | Transform::Flipped90 | Transform::Flipped270
    ) {
        (sh, sw)
    } else {
        (sw, sh)
    };
    let turns = match t {
        Transform::Normal | Transform::Flipped => 0,
        Transform::Rotate90 | Transform::Flipped90 => 1,
        Transform::Rotate180 | Transform::Flipped180 => 2,
        Transform::Rotate270 | Transform::Flipped270 => 3,
    };
    let (mut px, mut py, mut w, mut h) = (x, y, dw, dh);
    for _ in 0..turns {
        // One CCW turn maps (u, v) in a w x h image to (v, w - 1 - u) in an h x w image;
        // going back: (u, v) = (w_before - 1 - py, px).
        let (before_w, before_h) = (h, w);
        let (u, v) = (before_w - 1 - py, px);
        px = u;
        py = v;
        w = before_w;
        h = before_h;
    }
    let flipped = matches!(
        t,
        Transform::Flipped | Transform::Flipped90 | Transform::Flipped180 | Transform::Flipped270
    );
    if flipped {
        px = w - 1 - px;
    }
    (px, py)
}

/// A renderer on the best device, with validation and synchronization validation on (the
/// frame tests that check barriers between passes).
pub fn sync_validated_renderer() -> (Instance, Renderer) {
    let instance = Instance::new(&InstanceOptions {
        validation: true,
        synchronization_validation: true,
        ..Default::default()
    })
    .expect("an instance with the validation layer");
    let device = Device::new(&instance).expect("a Vulkan device");
    let renderer = Renderer::new(&device, &RendererOptions::default()).unwrap();
    (instance, renderer)
}

/// `pixels` (premultiplied R, G, B, A bytes, `width` to a row) imported as ABGR8888 memory.
pub fn import_rgba(renderer: &mut Renderer, pixels: &[[u8; 4]], width: u32) -> Texture {
    let layout = ShmLayout {
        fourcc: DrmFourcc::Abgr8888,
        width,
        height: pixels.len() as u32 / width,
        stride: width * 4,
    };
    renderer.import_memory(&pixels.concat(), layout).unwrap()
}

/// The rectangle of a whole `w` x `h` target.
pub fn whole(w: u32, h: u32) -> Rect {
    Rect::new(0, 0, w as i32, h as i32)
}

/// `region` of `texture` read back as R, G, B, A bytes.
pub fn read_rgba(renderer: &mut Renderer, texture: &Texture, region: Rect) -> Vec<[u8; 4]> {
    let readback = renderer
        .copy_framebuffer(texture, region, DrmFourcc::Abgr8888)
        .unwrap();
    let bytes = readback.bytes().unwrap();
    bytes.chunks(4).map(|c| [c[0], c[1], c[2], c[3]]).collect()
}
