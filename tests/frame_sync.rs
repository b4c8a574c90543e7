//! Frames waiting for and signalling the caller's binary semaphores and ending in a chosen
//! layout (what presenting a swapchain image needs, open to any caller), with validation
//! on: a semaphore a frame failed to wait for, or signalled twice, is a validation error.

mod common;

use std::time::Duration;

use common::{assert_validation_clean, gpu, rgba_texture, submit_commands};
use vkcompose::format::DrmFourcc;
use vkcompose::geometry::{Rect, Transform};
use vkcompose::shaders::{passes, sets, texture, Pipelines};
use vkcompose::sync::{Fence, Semaphore};
use vkcompose::{vk, Device, Error, Filter, RenderPass, Renderer, Sampler, SemaphorePoint};

const LONG: Duration = Duration::from_secs(10);
const RED: [f32; 4] = [1.0, 0.0, 0.0, 1.0];

/// Signals `semaphore` from the GPU, as a swapchain acquire would.
fn signal(device: &Device, semaphore: &Semaphore) -> common::CommandPool {
    submit_commands(
        device,
        &[],
        &[SemaphorePoint::Binary(semaphore)],
        None,
        |_| {},
    )
}

/// Waits on the CPU, through a GPU batch waiting for `semaphore`, until it is signalled.
fn wait_for(device: &Device, semaphore: &Semaphore) {
    let fence = Fence::new(device, false).unwrap();
    let waits = [(
        SemaphorePoint::Binary(semaphore),
        vk::PipelineStageFlags::ALL_COMMANDS,
    )];
    let _pool = submit_commands(device, &waits, &[], Some(&fence), |_| {});
    assert!(
        fence.wait(LONG).unwrap(),
        "the semaphore was never signalled"
    );
}

#[test]
fn a_frame_waits_signals_and_ends_in_the_layout_asked_for() {
    let (instance, device) = gpu();
    let mut renderer = Renderer::new(&device, &Default::default()).unwrap();
    let target = renderer.create_target(4, 4, DrmFourcc::Abgr8888).unwrap();
    let whole = Rect::new(0, 0, 4, 4);
    let (ready, done) = (
        Semaphore::new(&device).unwrap(),
        Semaphore::new(&device).unwrap(),
    );
    // Twice with the same semaphores: each frame must consume `ready` and its signal of
    // `done` must be waited for, or signalling them again is invalid.
    for _ in 0..2 {
        let _pool = signal(&device, &ready);
        let mut frame = renderer.render(&target, Transform::Normal).unwrap();
        frame.clear(RED, &[whole]).unwrap();
        frame.wait_semaphore(&ready);
        frame.signal_semaphore(&done);
        frame
            .set_final_layout(vk::ImageLayout::TRANSFER_SRC_OPTIMAL)
            .unwrap();
        let point = frame.finish().unwrap();
        assert_eq!(target.layout(), vk::ImageLayout::TRANSFER_SRC_OPTIMAL);
        wait_for(&device, &done);
        assert!(point.wait(LONG).unwrap());
    }
    let readback = renderer
        .copy_framebuffer(&target, whole, DrmFourcc::Abgr8888)
        .unwrap();
    let pixels = readback.bytes().unwrap();
    assert!(
        pixels.chunks_exact(4).all(|p| p == [255, 0, 0, 255]),
        "{pixels:?}"
    );
    drop(readback);
    renderer.wait_idle().unwrap();
    assert_validation_clean(&instance);
}

#[test]
fn a_frame_that_fails_to_record_still_consumes_its_waits() {
    let (instance, device) = gpu();
    let mut renderer = Renderer::new(&device, &Default::default()).unwrap();
    let target = renderer.create_target(8, 8, DrmFourcc::Abgr8888).unwrap();
    let format = vk::Format::R8G8B8A8_UNORM;
    let pass = RenderPass::<passes::Output>::new(&device, format).unwrap();
    let pipelines = Pipelines::new(&device, &pass, vk::PipelineCache::null()).unwrap();
    let sampler = Sampler::new(&device, Filter::Nearest).unwrap();
    let never_uploaded = rgba_texture(&device, 4, 4, true);
    let ready = Semaphore::new(&device).unwrap();

    let _pool = signal(&device, &ready);
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    frame.wait_semaphore(&ready);
    let set = sets::Textured {
        tex: vkcompose::pipelines::SampledTexture {
            texture: &never_uploaded,
            sampler: &sampler,
        },
    };
    let push = texture::Push {
        target_size: [8.0, 8.0],
    };
    let quad = texture::Instance {
        dst: [0.0, 0.0, 8.0, 8.0],
        uv_offset: [0.0; 2],
        uv_axes: [1.0, 0.0, 0.0, 1.0],
        alpha: 1.0,
    };
    frame.draw(&pipelines.texture, push, set, &[quad]).unwrap();
    let result = frame.finish();
    assert!(
        matches!(result, Err(Error::InvalidArgument(_))),
        "{:?}",
        result.err()
    );

    // `ready` was waited for all the same: it can be signalled and waited for again.
    renderer.wait_idle().unwrap();
    let _pool = signal(&device, &ready);
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    frame.clear(RED, &[Rect::new(0, 0, 8, 8)]).unwrap();
    frame.wait_semaphore(&ready);
    assert!(frame.finish().unwrap().wait(LONG).unwrap());
    assert_validation_clean(&instance);
}

#[test]
fn a_frame_refuses_final_layouts_its_target_cannot_take() {
    let (instance, device) = gpu();
    let mut renderer = Renderer::new(&device, &Default::default()).unwrap();
    let target = renderer.create_target(4, 4, DrmFourcc::Abgr8888).unwrap();
    let only_drawn = vkcompose::Texture::new(
        &device,
        vkcompose::TextureDesc {
            width: 4,
            height: 4,
            format: vk::Format::R8G8B8A8_UNORM,
            usage: vk::ImageUsageFlags::COLOR_ATTACHMENT,
            has_alpha: true,
            ..Default::default()
        },
    )
    .unwrap();
    renderer.adopt_texture(&only_drawn).unwrap();
    assert!(
        !device.can_present(),
        "the test device was built without presenting"
    );

    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    let refused = [
        vk::ImageLayout::PRESENT_SRC_KHR,
        vk::ImageLayout::DEPTH_STENCIL_ATTACHMENT_OPTIMAL,
        vk::ImageLayout::UNDEFINED,
    ];
    for layout in refused {
        let result = frame.set_final_layout(layout);
        assert!(
            matches!(result, Err(Error::InvalidArgument(_))),
            "{layout:?}: {result:?}"
        );
    }
    frame.set_final_layout(vk::ImageLayout::GENERAL).unwrap();
    frame.finish().unwrap().wait(LONG).unwrap();
    assert_eq!(target.layout(), vk::ImageLayout::GENERAL);

    let mut frame = renderer.render(&only_drawn, Transform::Normal).unwrap();
    let result = frame.set_final_layout(vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL);
    assert!(
        matches!(result, Err(Error::InvalidArgument(_))),
        "{result:?}"
    );
    frame.finish().unwrap().wait(LONG).unwrap();
    assert_validation_clean(&instance);
}
