//! Frames waiting for and signalling the caller's binary semaphores and ending in a chosen
//! layout (what presenting a swapchain image needs, open to any caller), with validation
//! on: a semaphore a frame failed to wait for, or signalled twice, is a validation error.

mod common;

use std::time::Duration;

use common::{assert_validation_clean, gpu, rgba_texture, submit_commands};
use vkcompose::format::DrmFourcc;
use vkcompose::geometry::{Rect, Transform};
use vkcompose::shaders::{passes, sets, texture, Pipelines};
use vkcompose::sync::{Fence, Semaphore, SyncFile};
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
        tex: vkcompose::pipelines::SampledTexture::new(&never_uploaded, &sampler),
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

/// A frame drawing `color` over the whole of `target` (16x16 at most).
fn cleared<'r>(
    renderer: &'r mut Renderer,
    target: &'r vkcompose::Texture,
    color: [f32; 4],
) -> vkcompose::Frame<'r> {
    let mut frame = renderer.render(target, Transform::Normal).unwrap();
    frame.clear(color, &[Rect::new(0, 0, 16, 16)]).unwrap();
    frame
}

/// A shade that changes with `i`, so that each frame writes something new.
fn shade(i: usize) -> [f32; 4] {
    [(i % 7) as f32 / 7.0, 0.5, 0.0, 1.0]
}

/// A file that is no sync_file.
fn memfd() -> std::os::fd::OwnedFd {
    use std::os::fd::FromRawFd;
    // SAFETY: test code; a NUL-terminated name.
    let raw = unsafe { libc::memfd_create(c"vkcompose-test".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(raw >= 0, "memfd_create failed");
    // SAFETY: a new fd nothing else owns.
    unsafe { std::os::fd::OwnedFd::from_raw_fd(raw) }
}

#[test]
fn steady_frames_exporting_sync_files_create_no_objects() {
    let (instance, device) = gpu();
    let mut renderer = Renderer::new(&device, &Default::default()).unwrap();
    let target = renderer.create_target(16, 16, DrmFourcc::Abgr8888).unwrap();
    if !device.capabilities().sync_file.export {
        // The documented fallback: asking for a sync_file is an error naming what is
        // missing, nothing is submitted, and plain frames go on.
        let err = cleared(&mut renderer, &target, RED)
            .finish_with_sync_file()
            .unwrap_err();
        assert!(
            matches!(err, Error::Unsupported { .. }) && err.to_string().contains("sync_file"),
            "{err}"
        );
        let point = cleared(&mut renderer, &target, RED).finish().unwrap();
        assert!(point.wait(LONG).unwrap());
        eprintln!("{}: no sync_file export; checked the error", device.name());
        assert_validation_clean(&instance);
        return;
    }
    // Warm-up: render pass, pipelines, framebuffer, recorders and the pool's semaphores.
    for i in 0..5 {
        let (_, file) = cleared(&mut renderer, &target, shade(i))
            .finish_with_sync_file()
            .unwrap();
        assert!(file.wait(LONG).unwrap());
    }
    let objects = device.objects_created();
    let mut files = Vec::new();
    for i in 5..35 {
        files.push(
            cleared(&mut renderer, &target, shade(i))
                .finish_with_sync_file()
                .unwrap(),
        );
    }
    assert_eq!(
        device.objects_created(),
        objects,
        "objects created by steady frames exporting sync_files"
    );
    for (point, file) in files {
        assert!(file.wait(LONG).unwrap(), "frame {}", point.value());
        assert!(point.wait(LONG).unwrap());
    }
    renderer.wait_idle().unwrap();
    assert_validation_clean(&instance);
}

#[test]
fn frames_wait_on_imported_sync_files_on_the_gpu_without_new_objects() {
    let (instance, device) = gpu();
    let mut renderer = Renderer::new(&device, &Default::default()).unwrap();
    let target = renderer.create_target(16, 16, DrmFourcc::Abgr8888).unwrap();
    if !device.capabilities().sync_file.both() {
        // The documented fallback: a signalled file needs no wait, any other is refused
        // with an error naming what is missing (the caller waits on the CPU instead).
        let mut frame = cleared(&mut renderer, &target, RED);
        frame.wait_sync_file(SyncFile::signaled()).unwrap();
        let err = frame
            .wait_sync_file(SyncFile::from_fd(memfd()))
            .unwrap_err();
        assert!(
            matches!(err, Error::Unsupported { .. }) && err.to_string().contains("sync_file"),
            "{err}"
        );
        assert!(frame.finish().unwrap().wait(LONG).unwrap());
        eprintln!("{}: no sync_file import; checked the error", device.name());
        assert_validation_clean(&instance);
        return;
    }
    // Each frame waits on the sync_file of the one before, as a frame would wait on a
    // client's acquire fence.
    let (_, mut file) = cleared(&mut renderer, &target, RED)
        .finish_with_sync_file()
        .unwrap();
    // A real fd (not -1 for "signalled"), or this test would import nothing.
    assert!(file.fd().is_some(), "the driver exported no fd");
    let frame_at = |renderer: &mut Renderer, file: SyncFile, i: usize| {
        let mut frame = cleared(renderer, &target, shade(i));
        frame.wait_sync_file(file).unwrap();
        frame.finish_with_sync_file().unwrap()
    };
    for i in 0..5 {
        file = frame_at(&mut renderer, file, i).1;
    }
    let objects = device.objects_created();
    for i in 5..35 {
        file = frame_at(&mut renderer, file, i).1;
    }
    assert_eq!(
        device.objects_created(),
        objects,
        "objects created by steady frames waiting on sync_files"
    );
    assert!(file.wait(LONG).unwrap());
    let readback = renderer
        .copy_framebuffer(&target, Rect::new(0, 0, 16, 16), DrmFourcc::Abgr8888)
        .unwrap();
    let expected = shade(34).map(|c| (c * 255.0).round() as u8);
    let pixels = readback.bytes().unwrap();
    let close = |p: &[u8]| p.iter().zip(expected).all(|(&a, e)| a.abs_diff(e) <= 1);
    assert!(
        pixels.chunks_exact(4).all(close),
        "{:?}, expected {expected:?}",
        &pixels[..4]
    );
    drop(readback);
    renderer.wait_idle().unwrap();
    assert_validation_clean(&instance);
}

#[test]
fn a_frame_that_fails_still_consumes_its_imported_sync_files() {
    let (instance, device) = gpu();
    if !device.capabilities().sync_file.both() {
        eprintln!(
            "{}: no sync_file import (the fallback is checked by frames_wait_on_imported_sync_files_on_the_gpu_without_new_objects)",
            device.name()
        );
        return;
    }
    let mut renderer = Renderer::new(&device, &Default::default()).unwrap();
    let target = renderer.create_target(8, 8, DrmFourcc::Abgr8888).unwrap();
    let format = vk::Format::R8G8B8A8_UNORM;
    let pass = RenderPass::<passes::Output>::new(&device, format).unwrap();
    let pipelines = Pipelines::new(&device, &pass, vk::PipelineCache::null()).unwrap();
    let sampler = Sampler::new(&device, Filter::Nearest).unwrap();
    let never_uploaded = rgba_texture(&device, 4, 4, true);
    let (_, file) = cleared(&mut renderer, &target, RED)
        .finish_with_sync_file()
        .unwrap();

    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    frame.wait_sync_file(file).unwrap();
    let set = sets::Textured {
        tex: vkcompose::pipelines::SampledTexture::new(&never_uploaded, &sampler),
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
    let result = frame.finish_with_sync_file();
    assert!(
        matches!(result, Err(Error::InvalidArgument(_))),
        "{:?}",
        result.err()
    );
    // The import was consumed and its semaphore went back to the pool: the next frames
    // reuse it (and the signal semaphore nothing signalled) without validation errors.
    for _ in 0..3 {
        let (_, file) = cleared(&mut renderer, &target, RED)
            .finish_with_sync_file()
            .unwrap();
        let mut frame = cleared(&mut renderer, &target, RED);
        frame.wait_sync_file(file).unwrap();
        assert!(frame.finish().unwrap().wait(LONG).unwrap());
    }
    renderer.wait_idle().unwrap();
    assert_validation_clean(&instance);
}

#[test]
fn a_file_that_is_no_sync_file_is_a_typed_error() {
    let (instance, device) = gpu();
    let mut renderer = Renderer::new(&device, &Default::default()).unwrap();
    let target = renderer.create_target(16, 16, DrmFourcc::Abgr8888).unwrap();
    let mut frame = cleared(&mut renderer, &target, RED);
    let err = frame
        .wait_sync_file(SyncFile::from_fd(memfd()))
        .unwrap_err();
    if device.capabilities().sync_file.import {
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    } else {
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    }
    // The frame goes on without it.
    assert!(frame.finish().unwrap().wait(LONG).unwrap());
    renderer.wait_idle().unwrap();
    assert_validation_clean(&instance);
}
