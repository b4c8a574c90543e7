//! Faults injected under vkcompose by a Vulkan layer of the tests' own
//! (`tests/fault_layer`, enabled for this test binary through the loader's environment).
//!
//! - `every_call_of_each_operation_fails_cleanly`: for each of the renderer's operations
//!   (creating a renderer, importing and updating shm, creating a target, exporting one,
//!   frames of textures and solids on the single-pass and the linear path, a blur, a
//!   readback), every intercepted Vulkan call it makes is failed in turn, N = 1..all, with
//!   `VK_ERROR_OUT_OF_DEVICE_MEMORY` and `VK_ERROR_OUT_OF_HOST_MEMORY` alternately. Each
//!   attempt must return (an error, or success where vkcompose has another way), never
//!   panic; afterwards the objects alive and the open fds are what they were before it, and
//!   the operation works again. Validation stays clean.
//!
//! The layer's shared object: `$VKCOMPOSE_FAULT_LAYER` if set (the GPU machine, which has
//! no toolchain); otherwise the test builds `vkcompose-fault-layer` into its own target
//! directory and profile.

mod common;

use std::ffi::{c_char, c_void, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use vkcompose::format::DrmFourcc;
use vkcompose::geometry::{Rect, RectF, Transform};
use vkcompose::{vk, Filter, Renderer, RendererOptions, ShmLayout, Texture, TextureDraw};

type ArmFn = unsafe extern "C" fn(u64, i32, bool, *const c_char) -> bool;
type DisarmFn = unsafe extern "C" fn() -> bool;
type CallsFn = unsafe extern "C" fn(*const c_char) -> u64;
type ReportFn = unsafe extern "C" fn(*mut c_char, usize) -> usize;

/// The layer's control functions, from the shared object the loader loaded.
struct Layer {
    arm: ArmFn,
    disarm: DisarmFn,
    calls: CallsFn,
    live_report: ReportFn,
}

impl Layer {
    fn arm(&self, nth: u64, result: vk::Result, sticky: bool, only: Option<&str>) {
        let only = only.map(|o| CString::new(o).unwrap());
        let pointer = only.as_ref().map_or(std::ptr::null(), |o| o.as_ptr());
        // SAFETY: the layer's control function, with a NUL-terminated name or null.
        assert!(unsafe { (self.arm)(nth, result.as_raw(), sticky, pointer) });
    }

    /// Whether the armed failure fired.
    fn disarm(&self) -> bool {
        // SAFETY: the layer's control function.
        unsafe { (self.disarm)() }
    }

    fn calls(&self) -> u64 {
        // SAFETY: null asks for every entry point.
        unsafe { (self.calls)(std::ptr::null()) }
    }

    /// Objects alive per create entry point.
    fn live_by_kind(&self) -> std::collections::BTreeMap<String, i64> {
        self.live_report()
            .split_whitespace()
            .filter_map(|entry| entry.split_once('='))
            .map(|(name, count)| (name.to_string(), count.parse().unwrap()))
            .collect()
    }

    /// The kinds of which more objects are alive than in `before`, with both counts.
    fn grown(&self, before: &std::collections::BTreeMap<String, i64>) -> Vec<(String, i64, i64)> {
        self.live_by_kind()
            .into_iter()
            .filter_map(|(kind, now)| {
                let was = before.get(&kind).copied().unwrap_or(0);
                (now > was).then_some((kind, was, now))
            })
            .collect()
    }

    fn live_report(&self) -> String {
        let mut buffer = vec![0u8; 4096];
        // SAFETY: the buffer holds its length.
        unsafe { (self.live_report)(buffer.as_mut_ptr().cast(), buffer.len()) };
        let end = buffer.iter().position(|&b| b == 0).unwrap_or(0);
        String::from_utf8_lossy(&buffer[..end]).into_owned()
    }
}

/// The layer, loaded once for the process: its manifest written beside a copy of the
/// shared object, the loader told where it is and to enable it, the object opened.
fn layer() -> Locked {
    // The layer's arming is the process's: one test at a time uses it.
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    Locked {
        _serial: SERIAL.lock().unwrap_or_else(|p| p.into_inner()),
        layer: load_layer(),
    }
}

/// The layer, for one test at a time.
struct Locked {
    _serial: std::sync::MutexGuard<'static, ()>,
    layer: &'static Layer,
}

impl std::ops::Deref for Locked {
    type Target = Layer;

    fn deref(&self) -> &Layer {
        self.layer
    }
}

fn load_layer() -> &'static Layer {
    static LAYER: OnceLock<Layer> = OnceLock::new();
    LAYER.get_or_init(|| {
        let library = layer_library();
        let dir =
            std::env::temp_dir().join(format!("vkcompose-fault-layer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let manifest = include_str!("fault_layer/VkLayer_vkcompose_fault.json")
            .replace("LIBRARY_PATH", library.to_str().unwrap());
        std::fs::write(dir.join("VkLayer_vkcompose_fault.json"), manifest).unwrap();
        // The GPU machine's runner sets VK_LAYER_PATH for the validation layer; the loader
        // then ignores VK_ADD_LAYER_PATH's defaults, so the layer joins that list.
        // SAFETY (set_var): before any thread of this process loads Vulkan.
        match std::env::var("VK_LAYER_PATH") {
            Ok(paths) => std::env::set_var("VK_LAYER_PATH", format!("{paths}:{}", dir.display())),
            Err(_) => std::env::set_var("VK_ADD_LAYER_PATH", &dir),
        }
        std::env::set_var("VK_INSTANCE_LAYERS", "VK_LAYER_VKCOMPOSE_fault");
        let path = CString::new(library.to_str().unwrap()).unwrap();
        // SAFETY: opening a shared object of ours; it stays loaded for the process.
        let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW) };
        assert!(!handle.is_null(), "cannot open {}", library.display());
        let symbol = |name: &str| {
            let name = CString::new(name).unwrap();
            // SAFETY: looking up a symbol of the open object.
            let f = unsafe { libc::dlsym(handle, name.as_ptr()) };
            assert!(!f.is_null(), "the layer has no {name:?}");
            f
        };
        // SAFETY (each): the symbols are the layer's functions of these types.
        unsafe {
            Layer {
                arm: std::mem::transmute::<*mut c_void, ArmFn>(symbol("vkcompose_fault_arm")),
                disarm: std::mem::transmute::<*mut c_void, DisarmFn>(symbol(
                    "vkcompose_fault_disarm",
                )),
                calls: std::mem::transmute::<*mut c_void, CallsFn>(symbol("vkcompose_fault_calls")),
                live_report: std::mem::transmute::<*mut c_void, ReportFn>(symbol(
                    "vkcompose_fault_live_report",
                )),
            }
        }
    })
}

/// The layer's shared object: `$VKCOMPOSE_FAULT_LAYER`, or built into the target directory
/// this test runs from (`<target>/<profile>/deps/faults-*`).
fn layer_library() -> PathBuf {
    if let Some(path) = std::env::var_os("VKCOMPOSE_FAULT_LAYER") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let target = profile_dir.parent().unwrap();
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let mut cargo = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()));
    cargo.args(["build", "-q", "-p", "vkcompose-fault-layer"]);
    if release {
        cargo.arg("--release");
    }
    let status = cargo.env("CARGO_TARGET_DIR", target).status().unwrap();
    assert!(status.success(), "building the fault layer failed");
    profile_dir.join("libvkcompose_fault_layer.so")
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// What the operations work on: a renderer, a texture to draw and a target.
struct Fixture {
    renderer: Renderer,
    texture: Texture,
    target: Texture,
}

const W: u32 = 32;

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
    vec![
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
    ]
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
    let layer = layer();
    let (instance, device) = common::gpu();
    let mut renderer = Renderer::new(&device, &RendererOptions::default()).unwrap();
    let texture = renderer.import_memory(&pixels(), layout()).unwrap();
    let target = renderer.create_target(W, W, DrmFourcc::Abgr8888).unwrap();
    let mut f = Fixture {
        renderer,
        texture,
        target,
    };
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
        f.renderer.wait_idle().unwrap();
        let before_calls = layer.calls();
        attempt(&mut f, op, name).unwrap();
        let calls = layer.calls() - before_calls;
        f.renderer.wait_idle().unwrap();
        let (live, fds) = (layer.live_by_kind(), open_fds());
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
            f.renderer
                .wait_idle()
                .unwrap_or_else(|e| panic!("{what}: the renderer cannot wait afterwards: {e}"));
            assert_eq!(open_fds(), fds, "{what}: open fds changed");
            assert!(
                fired || outcome.is_ok(),
                "{what}: failed with {outcome:?} though no call failed"
            );
            attempt(&mut f, op, &what)
                .unwrap_or_else(|e| panic!("{what}: the operation fails afterwards: {e}"));
            f.renderer.wait_idle().unwrap();
            // Of no kind more objects alive than before, once the retry's submission has
            // passed the point what the failed attempt dropped was deferred to (a failure may
            // also drop pooled objects, which a later use makes again).
            let grown = layer.grown(&live);
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
    assert!(covered >= 7, "only {covered} operations covered");
    common::assert_validation_clean(&instance);
}

/// `VK_ERROR_DEVICE_LOST` from a submit, and from a wait: the operation that saw it and
/// every later one return `Error::DeviceLost` without a Vulkan call (the layer counts
/// none), `is_lost` says so, dropping everything is safe, and a new device and renderer in
/// the same process work.
#[test]
fn a_lost_device_fails_every_call_without_touching_it() {
    let layer = layer();
    for (entry, what) in [
        ("vkQueueSubmit", "a submit"),
        ("vkWaitSemaphores", "a wait"),
    ] {
        let (instance, device) = common::gpu();
        let mut renderer = Renderer::new(&device, &RendererOptions::default()).unwrap();
        let texture = renderer.import_memory(&pixels(), layout()).unwrap();
        let target = renderer.create_target(W, W, DrmFourcc::Abgr8888).unwrap();
        let mut f = Fixture {
            renderer,
            texture,
            target,
        };
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
        let mut renderer = Renderer::new(&device, &RendererOptions::default()).unwrap();
        let texture = renderer.import_memory(&pixels(), layout()).unwrap();
        let target = renderer.create_target(W, W, DrmFourcc::Abgr8888).unwrap();
        let mut f = Fixture {
            renderer,
            texture,
            target,
        };
        frame(&mut f, false, false).unwrap_or_else(|e| panic!("{what}: a new renderer: {e}"));
        assert!(!f.renderer.is_lost());
        drop(f);
        common::assert_validation_clean(&instance);
    }
}
