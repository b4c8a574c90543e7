//! A uniform-buffer binding drawn end to end, a fixed-format render pass that clears, and a
//! check that the validation harness itself catches errors.

mod common;

use common::*;
use vkcompose::pipelines::UniformBuffer;
use vkcompose::test_shaders::{passes, sets, tinted};
use vkcompose::{vk, Buffer, Recorder, RenderPass};

#[test]
fn uniform_buffer_color_fills_its_rectangle_after_a_clear() {
    let (instance, device) = gpu();
    let pass = RenderPass::<passes::Scratch>::new(&device, vk::Format::R8G8B8A8_UNORM).unwrap();
    let pipeline = tinted::Pipeline::new(&device, &pass, vk::PipelineCache::null()).unwrap();
    let color: [f32; 4] = [0.2, 0.4, 0.6, 1.0];
    let uniform = Buffer::with_data(
        &device,
        bytemuck_bytes(&color),
        vk::BufferUsageFlags::UNIFORM_BUFFER,
    )
    .unwrap();
    let target = rgba_texture(&device, 16, 16, true);
    let clear = [1.0, 0.0, 0.0, 1.0];

    let mut recorder = Recorder::new(&device).unwrap();
    {
        let mut frame = recorder.begin_pass(&pass, &target, clear).unwrap();
        let set = sets::Tint {
            tint: UniformBuffer(&uniform),
        };
        let push = tinted::Push {
            target_size: [16.0, 16.0],
        };
        frame
            .draw(
                &pipeline,
                &push,
                set,
                &[tinted::Instance {
                    dst: [4.0, 4.0, 8.0, 8.0],
                }],
            )
            .unwrap();
    }
    let readback = recorder.read_back(&target).unwrap();
    let finished = recorder.finish().unwrap();
    let pixels = finished.bytes(readback);
    for y in 0..16 {
        for x in 0..16 {
            let inside = (4..12).contains(&x) && (4..12).contains(&y);
            let expected = if inside {
                to_unorm(color)
            } else {
                to_unorm(clear)
            };
            assert_pixel(
                pixels,
                16,
                x,
                y,
                expected,
                "tinted rectangle over the clear color",
            );
        }
    }
    drop(finished);
    assert_validation_clean(&instance);
}

fn bytemuck_bytes(values: &[f32; 4]) -> &[u8] {
    vkcompose::pipelines::bytemuck::cast_slice(values)
}

#[test]
fn the_validation_harness_counts_errors() {
    let (instance, device) = gpu();
    // Deliberately invalid: a buffer of size zero violates VUID-VkBufferCreateInfo-size-00912.
    let info = vk::BufferCreateInfo::default()
        .size(0)
        .usage(vk::BufferUsageFlags::TRANSFER_SRC);
    // SAFETY: the call is invalid usage on purpose; the validation layer reports it before
    // the driver sees it, and the handle (if any) is destroyed right away.
    unsafe {
        if let Ok(buffer) = device.raw().create_buffer(&info, None) {
            device.raw().destroy_buffer(buffer, None);
        }
    }
    assert!(
        instance.messages().error_count() > 0,
        "the layer must report the zero-size buffer"
    );
}
