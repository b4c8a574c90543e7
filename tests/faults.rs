//! Faults injected under vkcompose by a Vulkan layer of the tests' own
//! (`tests/fault_layer`, enabled for this test binary through the loader's environment).
//!
//! - `every_call_of_each_operation_fails_cleanly`: for each of the renderer's operations
//!   (creating a renderer, importing and updating shm, creating a target, exporting one,
//!   frames of textures and solids on the single-pass and the linear path, a blur, a
//!   readback, a dma-buf import through the memfd path, and with the `smithay` feature
//!   Smithay's `VulkanRenderer` importing memory, drawing a frame through its `Frame`
//!   trait and reading the framebuffer back), every intercepted Vulkan call it makes is failed in turn, N = 1..all, with
//!   `VK_ERROR_OUT_OF_DEVICE_MEMORY` and `VK_ERROR_OUT_OF_HOST_MEMORY` alternately. Each
//!   attempt must return (an error, or success where vkcompose has another way), never
//!   panic; afterwards the objects alive and the open fds are what they were before it, and
//!   the operation works again. Validation stays clean.
//!
//! The layer's shared object: `$VKCOMPOSE_FAULT_LAYER` if set (the GPU machine, which has
//! no toolchain); otherwise the test builds `vkcompose-fault-layer` into its own target
//! directory and profile.

mod common;
#[path = "fault_layer/client.rs"]
mod fault;
#[path = "common/fds.rs"]
mod fds;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use vkcompose::format::DrmFourcc;
use vkcompose::geometry::{Rect, RectF, Transform};
use vkcompose::{vk, Filter, Renderer, RendererOptions, ShmLayout, Texture, TextureDraw};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// What the operations work on: a renderer, a texture to draw and a target; with the
/// `smithay` feature also Smithay's renderer on the same device, with a target.
struct Fixture {
    renderer: Renderer,
    texture: Texture,
    target: Texture,
    #[cfg(feature = "smithay")]
    smithay: smithay_paths::Fixture,
}

const W: u32 = 32;

impl Fixture {
    /// A new renderer on `device`, with a texture and a target of its own.
    fn new(device: &vkcompose::Device) -> Fixture {
        let mut renderer = Renderer::new(device, &RendererOptions::default()).unwrap();
        let texture = renderer.import_memory(&pixels(), layout()).unwrap();
        let target = renderer.create_target(W, W, DrmFourcc::Abgr8888).unwrap();
        Fixture {
            renderer,
            texture,
            target,
            #[cfg(feature = "smithay")]
            smithay: smithay_paths::Fixture::new(device),
        }
    }

    /// Waits for both renderers' work, freeing what it held.
    fn wait_idle(&mut self) -> vkcompose::Result<()> {
        #[cfg(feature = "smithay")]
        self.smithay.renderer.renderer_mut().wait_idle()?;
        self.renderer.wait_idle()
    }
}

fn layout() -> ShmLayout {
    ShmLayout {
        fourcc: DrmFourcc::Argb8888,
        width: W,
        height: W,
        stride: W * 4,
    }
}

fn pixels() -> Vec<u8> {
    (0..W * W * 4).map(|i| (i * 7 % 251) as u8).collect()
}

fn whole() -> Rect {
    Rect::new(0, 0, W as i32, W as i32)
}

/// A frame of a texture and a solid, finished and waited for.
fn frame(f: &mut Fixture, linear: bool, blur: bool) -> vkcompose::Result<()> {
    let all = [whole()];
    let mut frame = f.renderer.render(&f.target, Transform::Rotate90)?;
    frame.set_linear_blending(linear);
    frame.clear([0.1, 0.2, 0.3, 1.0], &all)?;
    let draw = TextureDraw {
        src: RectF::new(0.0, 0.0, W as f64, W as f64),
        dst: Rect::new(2, 3, 20, 24),
        damage: &all,
        opaque: &[],
        transform: Transform::Flipped,
        alpha: 0.75,
        filter: Filter::Linear,
    };
    frame.render_texture_from_to(&f.texture, &draw)?;
    frame.draw_solid(Rect::new(10, 10, 8, 8), &all, [0.0, 0.5, 0.0, 0.5])?;
    if blur {
        frame.blur_behind(
            Rect::new(4, 4, 20, 20),
            &all,
            &vkcompose::Blur::new(2, 1.0),
            4.0,
            1.0,
        )?;
    }
    frame.finish()?.wait(Duration::from_secs(20))?;
    Ok(())
}

type Operation = fn(&mut Fixture) -> vkcompose::Result<()>;

fn operations() -> Vec<(&'static str, Operation)> {
    #[allow(unused_mut)]
    let mut operations: Vec<(&'static str, Operation)> = vec![
        ("create a renderer", |f| {
            Renderer::new(f.renderer.device(), &RendererOptions::default()).map(drop)
        }),
        ("import shm", |f| {
            f.renderer.import_memory(&pixels(), layout()).map(drop)
        }),
        ("update shm", |f| {
            let texture = f.renderer.import_memory(&pixels(), layout())?;
            f.renderer
                .update_memory(&texture, &pixels(), W * 4, &[Rect::new(3, 4, 10, 9)])?;
            f.renderer.wait_idle()
        }),
        ("create a target", |f| {
            f.renderer
                .create_target(W, W, DrmFourcc::Abgr8888)
                .map(drop)
        }),
        ("export a target", |f| {
            f.renderer
                .create_exported_target(
                    W,
                    W,
                    DrmFourcc::Argb8888,
                    &[vkcompose::dmabuf::Modifier::LINEAR],
                    vkcompose::dmabuf::HandleKind::OpaqueFd,
                )
                .map(drop)
        }),
        ("frame", |f| frame(f, false, false)),
        ("linear frame", |f| frame(f, true, false)),
        ("blur frame", |f| frame(f, false, true)),
        ("readback", |f| {
            let readback = f.renderer.copy_framebuffer(
                &f.target,
                Rect::new(1, 2, 16, 8),
                DrmFourcc::Abgr8888,
            )?;
            readback.bytes().map(drop)
        }),
        ("import a dma-buf (memfd)", |f| {
            let buffer = vkcompose::dmabuf::Dmabuf::builder(
                W,
                W,
                DrmFourcc::Argb8888,
                vkcompose::dmabuf::Modifier::LINEAR,
                vkcompose::dmabuf::HandleKind::DmaBuf,
            )
            .plane(fds::memfd(&pixels()), 0, u64::from(W) * 4)
            .build();
            f.renderer.import_dmabuf(&buffer).map(drop)
        }),
    ];
    #[cfg(feature = "smithay")]
    operations.extend(smithay_paths::operations());
    operations
}

/// Smithay's `VulkanRenderer`: the paths a Smithay compositor takes.
#[cfg(feature = "smithay")]
mod smithay_paths {
    use smithay::backend::allocator::Fourcc;
    use smithay::backend::renderer::{
        Bind, Color32F, ExportMem, Frame as _, ImportMem, Offscreen, Renderer as _,
    };
    use smithay::utils::{Buffer, Rectangle, Size, Transform};
    use vkcompose::smithay::{VulkanRenderer, VulkanTexture};

    use super::{pixels, Operation, W};

    pub struct Fixture {
        pub renderer: VulkanRenderer,
        target: VulkanTexture,
    }

    impl Fixture {
        pub fn new(device: &vkcompose::Device) -> Fixture {
            let options = vkcompose::RendererOptions::default();
            let mut renderer =
                VulkanRenderer::new(vkcompose::Renderer::new(device, &options).unwrap());
            let size = Size::<i32, Buffer>::from((W as i32, W as i32));
            let target = renderer.create_buffer(Fourcc::Abgr8888, size).unwrap();
            Fixture { renderer, target }
        }
    }

    fn whole() -> Rectangle<i32, smithay::utils::Physical> {
        Rectangle::from_size((W as i32, W as i32).into())
    }

    /// Smithay's memory import and a frame of it and a solid, finished and waited for.
    pub fn frame(f: &mut super::Fixture) -> vkcompose::Result<()> {
        let f = &mut f.smithay;
        let size = (W as i32, W as i32).into();
        let texture = f
            .renderer
            .import_memory(&pixels(), Fourcc::Argb8888, size, false)?;
        let mut framebuffer = f.renderer.bind(&mut f.target)?;
        let mut frame = f.renderer.render(
            &mut framebuffer,
            size.to_logical(1, Transform::Normal).to_physical(1),
            Transform::_90,
        )?;
        frame.clear(Color32F::new(0.1, 0.2, 0.3, 1.0), &[whole()])?;
        let src = Rectangle::from_size((W as f64, W as f64).into());
        let dst = Rectangle::new((2, 3).into(), (20, 24).into());
        frame.render_texture_from_to(
            &texture,
            src,
            dst,
            &[whole()],
            &[],
            Transform::Flipped,
            0.75,
        )?;
        frame.draw_solid(
            Rectangle::new((10, 10).into(), (8, 8).into()),
            &[whole()],
            Color32F::new(0.0, 0.5, 0.0, 0.5),
        )?;
        let sync = frame.finish()?;
        drop(framebuffer);
        f.renderer.wait(&sync)
    }

    pub fn operations() -> Vec<(&'static str, Operation)> {
        vec![
            ("smithay: import memory and draw a frame", frame),
            ("smithay: read the framebuffer", |f| {
                let f = &mut f.smithay;
                let framebuffer = f.renderer.bind(&mut f.target)?;
                let region = Rectangle::new((1, 2).into(), (16, 8).into());
                let mapping =
                    f.renderer
                        .copy_framebuffer(&framebuffer, region, Fourcc::Abgr8888)?;
                drop(framebuffer);
                f.renderer.map_texture(&mapping).map(drop)
            }),
        ]
    }
}

/// Runs `op`, turning a panic into a test failure that names the attempt.
fn attempt(f: &mut Fixture, op: Operation, what: &str) -> vkcompose::Result<()> {
    match catch_unwind(AssertUnwindSafe(|| op(f))) {
        Ok(result) => result,
        Err(_) => panic!("{what} panicked"),
    }
}

#[test]
fn every_call_of_each_operation_fails_cleanly() {
    let layer = fault::layer();
    let (instance, device) = common::gpu();
    let mut f = Fixture::new(&device);
    let (mut failed_calls, mut covered) = (0, 0);
    for (name, op) in operations() {
        // Unarmed a few times first, so what use builds (pipelines for a format, pools
        // grown to their size: recorders in flight, staging) exists before counting.
        if let Err(e) = attempt(&mut f, op, name) {
            eprintln!("{name}: not available here ({e}); skipped");
            continue;
        }
        for _ in 0..4 {
            attempt(&mut f, op, name).unwrap();
        }
        f.wait_idle().unwrap();
        let before_calls = layer.calls();
        attempt(&mut f, op, name).unwrap();
        let calls = layer.calls() - before_calls;
        f.wait_idle().unwrap();
        let (live, fds) = (layer.live_by_kind(), open_fds());
        let suballocations = device.allocator_stats().allocations;
        let mut errors = 0;
        for n in 1..=calls {
            let result = if n % 2 == 1 {
                vk::Result::ERROR_OUT_OF_DEVICE_MEMORY
            } else {
                vk::Result::ERROR_OUT_OF_HOST_MEMORY
            };
            layer.arm(n, result, false, None);
            let what = format!("{name}, call {n} of {calls} failing");
            let outcome = attempt(&mut f, op, &what);
            let fired = layer.disarm();
            errors += usize::from(outcome.is_err());
            f.wait_idle()
                .unwrap_or_else(|e| panic!("{what}: the renderer cannot wait afterwards: {e}"));
            assert_eq!(open_fds(), fds, "{what}: open fds changed");
            assert!(
                fired || outcome.is_ok(),
                "{what}: failed with {outcome:?} though no call failed"
            );
            attempt(&mut f, op, &what)
                .unwrap_or_else(|e| panic!("{what}: the operation fails afterwards: {e}"));
            f.wait_idle().unwrap();
            // Of no kind more objects alive than before, once the retry's submission has
            // passed the point what the failed attempt dropped was deferred to (a failure may
            // also drop pooled objects, which a later use makes again).
            // Memory blocks are the device's allocator's: after a failed allocation it may
            // take a block of another memory type, which it keeps (empty, one per type) as
            // it keeps every type's last block. What the renderer holds is its
            // sub-allocations, which must be back where they were.
            let kept_blocks = device.allocator_stats().allocations == suballocations;
            let grown: Vec<_> = layer
                .grown(&live)
                .into_iter()
                .filter(|(kind, ..)| !(kind == "vkAllocateMemory" && kept_blocks))
                .collect();
            assert!(grown.is_empty(), "{what}: leaked (kind, before, after) {grown:?}; the failed attempt gave {outcome:?}");
            let report = instance.validation_report();
            assert!(
                report.is_clean(),
                "{what}: validation errors:\n{}",
                report.errors.join("\n")
            );
        }
        eprintln!("{name}: {calls} calls failed in turn, {errors} returned an error");
        failed_calls += calls;
        covered += 1;
    }
    eprintln!("{covered} operations, {failed_calls} calls failed");
    assert!(covered >= 8, "only {covered} operations covered");
    common::assert_validation_clean(&instance);
}

/// `VK_ERROR_DEVICE_LOST` from a submit, and from a wait: the operation that saw it and
/// every later one return `Error::DeviceLost` without a Vulkan call (the layer counts
/// none), `is_lost` says so, dropping everything is safe, and a new device and renderer in
/// the same process work.
#[test]
fn a_lost_device_fails_every_call_without_touching_it() {
    let layer = fault::layer();
    for (entry, what) in [
        ("vkQueueSubmit", "a submit"),
        ("vkWaitSemaphores", "a wait"),
    ] {
        let (instance, device) = common::gpu();
        let mut f = Fixture::new(&device);
        frame(&mut f, false, false).unwrap();
        layer.arm(1, vk::Result::ERROR_DEVICE_LOST, true, Some(entry));
        let result = frame(&mut f, false, false);
        assert!(
            matches!(result, Err(vkcompose::Error::DeviceLost)),
            "{what}: {result:?}"
        );
        assert!(
            f.renderer.is_lost() && device.is_lost(),
            "{what}: not reported lost"
        );
        let calls = layer.calls();
        let lost = |r: vkcompose::Result<()>| matches!(r, Err(vkcompose::Error::DeviceLost));
        assert!(lost(frame(&mut f, false, false)), "{what}: a frame");
        assert!(
            lost(f.renderer.import_memory(&pixels(), layout()).map(drop)),
            "{what}: an import"
        );
        assert!(
            lost(
                f.renderer
                    .update_memory(&f.texture, &pixels(), W * 4, &[whole()])
            ),
            "{what}: an update"
        );
        assert!(
            lost(
                f.renderer
                    .create_target(W, W, DrmFourcc::Abgr8888)
                    .map(drop)
            ),
            "{what}: a target"
        );
        let readback = f
            .renderer
            .copy_framebuffer(&f.target, whole(), DrmFourcc::Abgr8888);
        assert!(lost(readback.map(drop)), "{what}: a readback");
        assert!(lost(f.renderer.wait_idle()), "{what}: waiting idle");
        assert!(lost(f.renderer.flush().map(drop)), "{what}: a flush");
        assert_eq!(
            layer.calls(),
            calls,
            "{what}: calls reached the device after it was lost"
        );
        // Dropping everything is safe (and does not hang). Disarmed first: a really lost
        // device's vkDeviceWaitIdle returns at once with nothing running, which the
        // validation layer below sees only when the call reaches it.
        layer.disarm();
        drop(f);
        drop(device);
        common::assert_validation_clean(&instance);
        drop(instance);
        // A new device and renderer work.
        let (instance, device) = common::gpu();
        let mut f = Fixture::new(&device);
        frame(&mut f, false, false).unwrap_or_else(|e| panic!("{what}: a new renderer: {e}"));
        assert!(!f.renderer.is_lost());
        drop(f);
        common::assert_validation_clean(&instance);
    }
}

/// Smithay's renderer reports failures as Smithay's renderers do: its errors convert to
/// `SwapBuffersError`, a lost device to `ContextLost` (every later call too, without a
/// Vulkan call), anything else, out of memory say, to `TemporaryFailure`.
#[cfg(feature = "smithay")]
#[test]
fn smithay_renderer_reports_a_lost_device_as_a_lost_context() {
    use smithay::backend::SwapBuffersError;
    let layer = fault::layer();
    let (instance, device) = common::gpu();
    let mut f = Fixture::new(&device);
    smithay_paths::frame(&mut f).unwrap();

    layer.arm(
        1,
        vk::Result::ERROR_OUT_OF_DEVICE_MEMORY,
        false,
        Some("vkCreateImage"),
    );
    let error = smithay_paths::frame(&mut f).unwrap_err();
    assert!(layer.disarm(), "no image was created");
    let temporary = SwapBuffersError::from(error);
    assert!(
        matches!(temporary, SwapBuffersError::TemporaryFailure(_)),
        "{temporary:?}"
    );
    assert!(!f.smithay.renderer.is_lost());
    smithay_paths::frame(&mut f).unwrap();

    layer.arm(
        1,
        vk::Result::ERROR_DEVICE_LOST,
        true,
        Some("vkQueueSubmit"),
    );
    let lost = SwapBuffersError::from(smithay_paths::frame(&mut f).unwrap_err());
    assert!(matches!(lost, SwapBuffersError::ContextLost(_)), "{lost:?}");
    assert!(f.smithay.renderer.is_lost());
    let calls = layer.calls();
    let again = SwapBuffersError::from(smithay_paths::frame(&mut f).unwrap_err());
    assert!(
        matches!(again, SwapBuffersError::ContextLost(_)),
        "{again:?}"
    );
    assert_eq!(layer.calls(), calls, "calls reached the lost device");
    layer.disarm();
    drop(f);
    drop(device);
    common::assert_validation_clean(&instance);
}
