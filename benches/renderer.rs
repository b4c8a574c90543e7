//! The renderer's costs, each next to a reference measured in the same run: frames of N
//! textured quads (CPU to record and submit, GPU from timestamps, against the time the
//! device needs to copy the same pixels), damage, shm uploads (against memcpy), readback
//! (against a GPU buffer copy), opaque-fd import and pipeline creation (cold and from a
//! saved cache). Every case prints median and spread, then one JSON line.
//!
//! `cargo bench --bench renderer` (or `-- quick` for fewer sizes, `-- linear` for the
//! linear path's cases beside the single pass's 1000-quad frame only, `-- encode` for the
//! encode pass alone). See BENCHMARKS.md.

mod common;

use std::time::{Duration, Instant};

use common::{measure, ms, Result, Samples, WARM_UP};

use vkcompose::format::DrmFourcc;
use vkcompose::geometry::{Rect, RectF, Transform};
use vkcompose::shaders::{passes, Pipelines};
use vkcompose::{
    vk, Buffer, DedicatedMemory, DedicatedTo, Device, DeviceBuilder, Filter, Instance,
    InstanceOptions, RenderPass, Renderer, RendererOptions, ShmLayout, SyncPoint, Texture,
    TextureDraw,
};

fn main() -> Result<()> {
    let quick = std::env::args().any(|a| a == "quick");
    let only_linear = std::env::args().any(|a| a == "linear");
    let only_encode = std::env::args().any(|a| a == "encode");
    let instance = Instance::new(&InstanceOptions::default())?;
    let device = Device::new(&instance)?;
    let mut renderer = Renderer::new(&device, &RendererOptions::default())?;
    println!(
        "device: {} ({:?})",
        device.name(),
        device.physical_device().info().driver.id
    );
    let sizes: &[(u32, u32)] = if quick {
        &[(1920, 1080)]
    } else {
        &[(1920, 1080), (3840, 2160)]
    };
    if only_encode {
        let copy_4k = copy_time(&mut renderer, 3840, 2160)?;
        return encode_bench(&mut renderer, copy_4k);
    }
    if only_linear {
        single_pass_1000(&mut renderer)?;
        return linear_benches(&mut renderer);
    }
    for &(w, h) in sizes {
        let copy = copy_time(&mut renderer, w, h)?;
        for quads in [1usize, 100, 1000, 10_000] {
            frame_bench(
                &mut renderer,
                (w, h),
                quads,
                copy,
                Path::Direct,
                Sources::Mixed,
            )?;
        }
    }
    // The same 1000-quad frame with one descriptor set per texture, for comparison where
    // the device has descriptor indexing (elsewhere it is the only path anyway).
    if device.capabilities().descriptor_indexing {
        let options = RendererOptions {
            texture_array: false,
            ..Default::default()
        };
        let mut classic = Renderer::new(&device, &options)?;
        println!("one descriptor set per texture:");
        single_pass_1000(&mut classic)?;
    }
    linear_benches(&mut renderer)?;
    let copy = copy_time(&mut renderer, 1920, 1080)?;
    blur_bench(&mut renderer, copy)?;
    damage_bench(&mut renderer)?;
    upload_bench(&mut renderer)?;
    readback_bench(&mut renderer)?;
    import_bench(&device)?;
    pipeline_bench(&device)?;
    Ok(())
}

/// What the runs after warm-up created: Vulkan objects and memory allocations.
#[derive(Default)]
struct Steady {
    runs: usize,
    objects: u64,
    allocations: u64,
}

/// A run's start: the device's counts and the time.
struct RunStart {
    objects: u64,
    allocations: u64,
    at: Instant,
}

impl Steady {
    fn start(device: &Device) -> RunStart {
        RunStart {
            objects: device.objects_created(),
            allocations: device.allocations_made(),
            at: Instant::now(),
        }
    }

    /// Finishes `frame` and waits for it: the CPU time from `start` to its submission (ms)
    /// and its sync point; what the run created counts once the warm-up runs are done.
    fn finish(
        &mut self,
        device: &Device,
        start: RunStart,
        frame: vkcompose::Frame<'_>,
    ) -> Result<(f64, SyncPoint)> {
        let done = frame.finish()?;
        let cpu = ms(start.at.elapsed());
        done.wait(Duration::MAX)?;
        self.runs += 1;
        if self.runs > WARM_UP {
            self.objects += device.objects_created() - start.objects;
            self.allocations += device.allocations_made() - start.allocations;
        }
        Ok((cpu, done))
    }
}

fn rgba_texture(renderer: &mut Renderer, size: u32, seed: u8, alpha: bool) -> Result<Texture> {
    let a = if alpha { 180 } else { 255 };
    let bytes: Vec<u8> = (0..size * size)
        .flat_map(|i| {
            let v = (i as u8).wrapping_mul(seed);
            // Premultiplied: colour at most alpha.
            [v.min(a), seed.min(a), (255 - v).min(a), a]
        })
        .collect();
    let fourcc = if alpha {
        DrmFourcc::Abgr8888
    } else {
        DrmFourcc::Xbgr8888
    };
    Ok(renderer.import_memory(
        &bytes,
        ShmLayout {
            fourcc,
            width: size,
            height: size,
            stride: size * 4,
        },
    )?)
}

/// Blur behind a whole 1920x1080 target with 4 passes (offset 1), a frame of only the blur:
/// GPU time against a plain
/// copy of the same region (`copy_ms`), CPU time to record it, and objects made while steady.
fn blur_bench(renderer: &mut Renderer, copy_ms: f64) -> Result<()> {
    let (w, h) = (1920u32, 1080u32);
    let target = renderer.create_target(w, h, DrmFourcc::Abgr8888)?;
    let background = rgba_texture(renderer, 256, 77, false)?;
    let all = Rect::new(0, 0, w as i32, h as i32);
    let blur = vkcompose::Blur::new(4, 1.0);
    let device = renderer.device().clone();
    let mut steady = Steady::default();
    // What the blur reads: a scaled background, drawn once.
    let mut frame = renderer.render(&target, Transform::Normal)?;
    let draw = TextureDraw {
        src: RectF::new(0.0, 0.0, 256.0, 256.0),
        dst: all,
        damage: &[all],
        opaque: &[],
        transform: Transform::Normal,
        alpha: 1.0,
        filter: Filter::Linear,
    };
    frame.render_texture_from_to(&background, &draw)?;
    frame.finish()?.wait(Duration::MAX)?;
    let [cpu, gpu] = measure(|| {
        let start = Steady::start(&device);
        let mut frame = renderer.render(&target, Transform::Normal)?;
        frame.blur_behind(all, &[all], &blur, 0.0, 1.0)?;
        let (cpu, done) = steady.finish(&device, start, frame)?;
        Ok([cpu, renderer.gpu_time(&done)?.map_or(f64::NAN, ms)])
    })?;
    let (steady_objects, steady_allocations) = (steady.objects, steady.allocations);
    println!(
        "blur behind 1920x1080, 4 passes (a frame of only the blur): cpu {}; gpu {} (ratio to the copy {:.2}); Vulkan objects created / memory allocations made in steady frames: {steady_objects} / {steady_allocations}",
        cpu.spread(),
        gpu.spread(),
        gpu.median() / copy_ms
    );
    println!(
        "{{\"bench\":\"blur\",\"width\":{w},\"height\":{h},\"passes\":4,\"cpu_ms\":{:.4},\"gpu_ms\":{:.4},\"copy_ms\":{copy_ms:.4},\"objects_in_steady_frames\":{steady_objects},\"allocations_in_steady_frames\":{steady_allocations}}}",
        cpu.median(),
        gpu.median()
    );
    Ok(())
}

/// The linear path's encode pass over a whole 3840x2160 target: a linear frame that only
/// clears the target (a clear of the blend buffer, then the encode of every pixel).
fn encode_bench(renderer: &mut Renderer, copy_ms: f64) -> Result<()> {
    let (w, h) = (3840u32, 2160u32);
    let target = renderer.create_target(w, h, DrmFourcc::Xrgb8888)?;
    let all = Rect::new(0, 0, w as i32, h as i32);
    let [cpu, gpu] = measure(|| {
        let started = Instant::now();
        let mut frame = renderer.render(&target, Transform::Normal)?;
        Path::BlendBuffer.set_up(&mut frame)?;
        frame.clear([0.2, 0.3, 0.4, 1.0], &[all])?;
        let done = frame.finish()?;
        let cpu = started.elapsed();
        done.wait(Duration::MAX)?;
        Ok([ms(cpu), renderer.gpu_time(&done)?.map_or(f64::NAN, ms)])
    })?;
    println!(
        "encode pass 3840x2160 (a linear frame of one clear): cpu {}; gpu {} (ratio to the copy {:.2})",
        cpu.spread(),
        gpu.spread(),
        gpu.median() / copy_ms
    );
    println!(
        "{{\"bench\":\"encode\",\"width\":{w},\"height\":{h},\"cpu_ms\":{:.4},\"gpu_ms\":{:.4},\"copy_ms\":{copy_ms:.4}}}",
        cpu.median(),
        gpu.median()
    );
    Ok(())
}

/// GPU time to copy a whole `w`x`h` target from a texture of the same size and format:
/// the device's cost of writing every target pixel once from another image.
fn copy_time(renderer: &mut Renderer, w: u32, h: u32) -> Result<f64> {
    let target = renderer.create_target(w, h, DrmFourcc::Abgr8888)?;
    let bytes = vec![200u8; (w * h * 4) as usize];
    let source = renderer.import_memory(
        &bytes,
        ShmLayout {
            fourcc: DrmFourcc::Abgr8888,
            width: w,
            height: h,
            stride: w * 4,
        },
    )?;
    let all = Rect::new(0, 0, w as i32, h as i32);
    let [gpu] = measure(|| {
        let mut frame = renderer.render(&target, Transform::Normal)?;
        let draw = TextureDraw {
            src: RectF::new(0.0, 0.0, f64::from(w), f64::from(h)),
            dst: all,
            damage: &[all],
            opaque: &[all],
            transform: Transform::Normal,
            alpha: 1.0,
            filter: Filter::Nearest,
        };
        frame.render_texture_from_to(&source, &draw)?;
        let done = frame.finish()?;
        done.wait(Duration::MAX)?;
        Ok([renderer.gpu_time(&done)?.map_or(f64::NAN, ms)])
    })?;
    println!(
        "reference: GPU copy of a {w}x{h} target: {}, {:.1} GB/s read+write",
        gpu.spread(),
        2.0 * f64::from(w * h * 4) / (gpu.median() * 1e6)
    );
    Ok(gpu.median())
}

/// How a frame blends: directly, or in linear light through the target's sRGB view or
/// through the float blend buffer and encode pass (taken by asking for a CTM).
#[derive(Clone, Copy, PartialEq)]
enum Path {
    Direct,
    SrgbView,
    BlendBuffer,
    /// SDR sources into a BT.2020 PQ output (ABGR2101010): the HDR case, whose blend
    /// buffer is 32-bit float.
    PqOutput,
}

impl Path {
    fn set_up(self, frame: &mut vkcompose::Frame<'_>) -> Result<()> {
        frame.set_linear_blending(self != Path::Direct);
        if self == Path::BlendBuffer {
            frame.set_encode_options(vkcompose::color::EncodeOptions {
                ctm: Some(vkcompose::color::Mat3::IDENTITY),
                ..Default::default()
            })?;
        }
        Ok(())
    }

    fn label(self) -> &'static str {
        match self {
            Path::Direct => "",
            Path::SrgbView => " (linear, sRGB view)",
            Path::BlendBuffer => " (linear, blend buffer)",
            Path::PqOutput => " (linear, PQ output)",
        }
    }

    /// The frame's target: XRGB8888 (sRGB), or ABGR2101010 described as BT.2020 PQ.
    fn target(self, renderer: &mut Renderer, (w, h): (u32, u32)) -> Result<Texture> {
        if self != Path::PqOutput {
            return Ok(renderer.create_target(w, h, DrmFourcc::Xrgb8888)?);
        }
        let target = renderer.create_target(w, h, DrmFourcc::Abgr2101010)?;
        target.set_color_description(vkcompose::color::ColorDescription::bt2020_pq())?;
        Ok(target)
    }
}

/// The frame's sources: half with alpha (translucent), or all without.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sources {
    Mixed,
    Opaque,
}

/// The 1080p 1000-quad frame of mixed sources through the single pass, with its copy
/// reference: what the linear path's and the one-set-per-texture cases compare against.
fn single_pass_1000(renderer: &mut Renderer) -> Result<()> {
    let copy = copy_time(renderer, 1920, 1080)?;
    frame_bench(
        renderer,
        (1920, 1080),
        1000,
        copy,
        Path::Direct,
        Sources::Mixed,
    )
}

/// The 1000-quad frame through the linear path (colour management), both ways, and the
/// encode pass alone at 4K.
fn linear_benches(renderer: &mut Renderer) -> Result<()> {
    println!("linear path:");
    let copy = copy_time(renderer, 1920, 1080)?;
    for path in [Path::SrgbView, Path::BlendBuffer, Path::PqOutput] {
        frame_bench(renderer, (1920, 1080), 1000, copy, path, Sources::Mixed)?;
    }
    // Shallower frames, about 3 and 10 layers deep, around where drawing by tiles starts
    // to pay (where the device has it).
    println!("100 and 300 quads:");
    for quads in [100, 300] {
        for path in [Path::Direct, Path::SrgbView, Path::BlendBuffer] {
            frame_bench(renderer, (1920, 1080), quads, copy, path, Sources::Mixed)?;
        }
    }
    // Opaque sources only: the single pass draws every layer; the linear frame, where the
    // device draws by tiles, samples each pixel's top layer only (otherwise it is one
    // texture-array draw sampling sRGB views into the target's sRGB view, so what it
    // costs more is the sRGB formats' own).
    println!("opaque sources only:");
    for path in [Path::Direct, Path::SrgbView] {
        frame_bench(renderer, (1920, 1080), 1000, copy, path, Sources::Opaque)?;
    }
    println!(
        "a desktop (wallpaper, six opaque windows, two translucent terminals, a panel, a cursor):"
    );
    for path in [Path::Direct, Path::SrgbView, Path::BlendBuffer] {
        desktop_bench(renderer, copy, path)?;
    }
    let copy_4k = copy_time(renderer, 3840, 2160)?;
    encode_bench(renderer, copy_4k)
}

/// The elements of a 1920x1080 desktop, bottom to top: (destination, translucent). The
/// 1000-quad frame is half translucent at every pixel of its 32 layers; a desktop has
/// about three layers, translucent ones in a few places.
fn desktop_elements() -> Vec<(Rect, bool)> {
    let mut elements = vec![(Rect::new(0, 0, 1920, 1080), false)];
    elements.extend((0..6).map(|i| (Rect::new(80 + i * 170, 60 + i * 70, 800, 600), false)));
    elements.push((Rect::new(900, 120, 700, 450), true));
    elements.push((Rect::new(300, 520, 700, 450), true));
    elements.push((Rect::new(0, 0, 1920, 32), true));
    elements.push((Rect::new(1000, 600, 32, 32), true));
    elements
}

/// One frame of `desktop_elements`, redrawn whole, through each path.
fn desktop_bench(renderer: &mut Renderer, copy_ms: f64, path: Path) -> Result<()> {
    let opaque = rgba_texture(renderer, 256, 41, false)?;
    let translucent = rgba_texture(renderer, 256, 103, true)?;
    let target = path.target(renderer, (1920, 1080))?;
    let elements = desktop_elements();
    let device = renderer.device().clone();
    let mut steady = Steady::default();
    let [cpu, gpu] = measure(|| {
        let start = Steady::start(&device);
        let mut frame = renderer.render(&target, Transform::Normal)?;
        path.set_up(&mut frame)?;
        for &(dst, is_translucent) in &elements {
            let draw = TextureDraw {
                src: RectF::new(0.0, 0.0, 256.0, 256.0),
                dst,
                damage: &[dst],
                opaque: if is_translucent {
                    &[]
                } else {
                    std::slice::from_ref(&dst)
                },
                transform: Transform::Normal,
                alpha: 1.0,
                filter: Filter::Linear,
            };
            let texture = if is_translucent {
                &translucent
            } else {
                &opaque
            };
            frame.render_texture_from_to(texture, &draw)?;
        }
        let (cpu, done) = steady.finish(&device, start, frame)?;
        Ok([cpu, renderer.gpu_time(&done)?.map_or(f64::NAN, ms)])
    })?;
    let (steady_objects, steady_allocations) = (steady.objects, steady.allocations);
    let area: i64 = elements
        .iter()
        .map(|(r, _)| i64::from(r.w) * i64::from(r.h))
        .sum();
    let bound = copy_ms * area as f64 / (1920.0 * 1080.0);
    let (linear, label) = (path != Path::Direct, path.label());
    println!(
        "desktop 1920x1080{label}: cpu {}; gpu {}; bound {bound:.3} ms (ratio {:.2}); Vulkan objects created / memory allocations made in steady frames: {steady_objects} / {steady_allocations}",
        cpu.spread(),
        gpu.spread(),
        gpu.median() / bound,
    );
    println!(
        "{{\"bench\":\"desktop\",\"linear\":{linear},\"path\":\"{label}\",\"cpu_ms\":{:.4},\"gpu_ms\":{:.4},\"bound_ms\":{bound:.4},\"objects_in_steady_frames\":{steady_objects},\"allocations_in_steady_frames\":{steady_allocations}}}",
        cpu.median(),
        gpu.median(),
    );
    Ok(())
}

/// N 256x256 quads, mixed alpha, every fourth turned, tiled over the target with overlap.
fn frame_bench(
    renderer: &mut Renderer,
    (w, h): (u32, u32),
    quads: usize,
    copy_ms: f64,
    path: Path,
    sources: Sources,
) -> Result<()> {
    let with_alpha = |i: usize| sources == Sources::Mixed && i % 2 == 0;
    let textures: Vec<Texture> = (0..8)
        .map(|i| rgba_texture(renderer, 256, 17 + i as u8 * 29, with_alpha(i)))
        .collect::<Result<_>>()?;
    let target = path.target(renderer, (w, h))?;
    let all = Rect::new(0, 0, w as i32, h as i32);
    let placements: Vec<Rect> = (0..quads)
        .map(|i| {
            let step = 97 * i as i64;
            let x = (step % i64::from(w.saturating_sub(256).max(1))) as i32;
            let y = ((step / i64::from(w.max(1)) * 61 + i as i64 * 13)
                % i64::from(h.saturating_sub(256).max(1))) as i32;
            Rect::new(x, y, 256, 256)
        })
        .collect();
    let device = renderer.device().clone();
    let objects_before = device.objects_created();
    let mut steady = Steady::default();
    let [cpu, gpu] = measure(|| {
        let start = Steady::start(&device);
        let mut frame = renderer.render(&target, Transform::Normal)?;
        path.set_up(&mut frame)?;
        frame.clear([0.05, 0.05, 0.08, 1.0], &[all])?;
        for (i, dst) in placements.iter().enumerate() {
            let draw = TextureDraw {
                src: RectF::new(0.0, 0.0, 256.0, 256.0),
                dst: *dst,
                damage: &[all],
                opaque: &[],
                transform: if i % 4 == 3 {
                    Transform::Rotate90
                } else {
                    Transform::Normal
                },
                alpha: 1.0,
                filter: Filter::Linear,
            };
            frame.render_texture_from_to(&textures[i % textures.len()], &draw)?;
        }
        let (cpu, done) = steady.finish(&device, start, frame)?;
        Ok([cpu, renderer.gpu_time(&done)?.map_or(f64::NAN, ms)])
    })?;
    let (steady_objects, steady_allocations) = (steady.objects, steady.allocations);
    // The pixels the GPU must write at least: the quads' area in target-sized layers,
    // each at the cost of the reference copy.
    let layers = (quads as f64 * 256.0 * 256.0) / f64::from(w * h) + 1.0;
    let bound = copy_ms * layers;
    let (linear, path) = (path != Path::Direct, path.label());
    let (opaque, label) = match sources {
        Sources::Mixed => (false, ""),
        Sources::Opaque => (true, " of opaque sources"),
    };
    println!(
        "frame {w}x{h}, {quads} quads{label}{path}: cpu {}; gpu {}; bound {bound:.3} ms (ratio {:.2}); Vulkan objects created / memory allocations made in {} steady frames: {} / {}",
        cpu.spread(),
        gpu.spread(),
        gpu.median() / bound,
        cpu.len(),
        steady_objects,
        steady_allocations,
    );
    println!(
        "{{\"bench\":\"frame\",\"linear\":{linear},\"path\":\"{path}\",\"opaque_sources\":{opaque},\"width\":{w},\"height\":{h},\"quads\":{quads},\"cpu_ms\":{:.4},\"gpu_ms\":{:.4},\"bound_ms\":{bound:.4},\"objects_in_steady_frames\":{},\"allocations_in_steady_frames\":{steady_allocations},\"objects_during_setup\":{}}}",
        cpu.median(),
        gpu.median(),
        steady_objects,
        device.objects_created() - objects_before - steady_objects,
    );
    Ok(())
}

/// A 4K frame that redraws 1, 16 or 256 64x64 damage rectangles of a full-screen
/// background and a few windows.
fn damage_bench(renderer: &mut Renderer) -> Result<()> {
    let (w, h) = (3840, 2160);
    let target = renderer.create_target(w, h, DrmFourcc::Xrgb8888)?;
    let background = rgba_texture(renderer, 512, 3, false)?;
    let window = rgba_texture(renderer, 256, 91, true)?;
    let screen = Rect::new(0, 0, w as i32, h as i32);
    for rects in [1usize, 16, 256] {
        let damage: Vec<Rect> = (0..rects)
            .map(|i| Rect::new((i as i32 * 211) % 3700, (i as i32 * 131) % 2000, 64, 64))
            .collect();
        let [cpu, gpu] = measure(|| {
            let started = Instant::now();
            let mut frame = renderer.render(&target, Transform::Normal)?;
            let full = TextureDraw {
                src: RectF::new(0.0, 0.0, 512.0, 512.0),
                dst: screen,
                damage: &damage,
                opaque: &[screen],
                transform: Transform::Normal,
                alpha: 1.0,
                filter: Filter::Linear,
            };
            frame.render_texture_from_to(&background, &full)?;
            for i in 0..8 {
                let dst = Rect::new(200 + i * 400, 300 + i * 150, 1024, 768);
                let draw = TextureDraw {
                    src: RectF::new(0.0, 0.0, 256.0, 256.0),
                    dst,
                    ..full
                };
                frame.render_texture_from_to(&window, &draw)?;
            }
            let done = frame.finish()?;
            let cpu = started.elapsed();
            done.wait(Duration::MAX)?;
            Ok([ms(cpu), renderer.gpu_time(&done)?.map_or(f64::NAN, ms)])
        })?;
        println!(
            "damage 4K, {rects} rects: cpu {}; gpu {}",
            cpu.spread(),
            gpu.spread()
        );
        println!(
            "{{\"bench\":\"damage\",\"rects\":{rects},\"cpu_ms\":{:.4},\"gpu_ms\":{:.4}}}",
            cpu.median(),
            gpu.median()
        );
    }
    Ok(())
}

/// Full 4K uploads through the staging ring and from an imported pool, and cursor-sized
/// updates, each next to memcpy of the same bytes.
fn upload_bench(renderer: &mut Renderer) -> Result<()> {
    let (w, h) = (3840u32, 2160u32);
    let len = (w * h * 4) as usize;
    let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
    let layout = ShmLayout {
        fourcc: DrmFourcc::Argb8888,
        width: w,
        height: h,
        stride: w * 4,
    };
    let texture = renderer.import_memory(&data, layout)?;
    let all = Rect::new(0, 0, w as i32, h as i32);
    let mut copy = vec![0u8; len];
    let [memcpy] = measure(|| {
        let started = Instant::now();
        copy.copy_from_slice(std::hint::black_box(&data));
        std::hint::black_box(&copy);
        Ok([ms(started.elapsed())])
    })?;
    let [staged] = measure(|| {
        let started = Instant::now();
        renderer.update_memory(&texture, &data, w * 4, &[all])?;
        renderer.wait_idle()?;
        Ok([ms(started.elapsed())])
    })?;
    let gbs = |ms: f64| len as f64 / (ms * 1e6);
    println!(
        "upload 4K: memcpy {}, {:.2} GB/s; staging ring {}, {:.2} GB/s, ratio {:.2}",
        memcpy.spread(),
        gbs(memcpy.median()),
        staged.spread(),
        gbs(staged.median()),
        memcpy.median() / staged.median()
    );
    let pool_ms = host_pointer_upload(renderer, &texture, &data, w * 4)?;
    let cursor = renderer.import_memory(
        &data[..64 * 64 * 4],
        ShmLayout {
            fourcc: DrmFourcc::Argb8888,
            width: 64,
            height: 64,
            stride: 256,
        },
    )?;
    let [small] = measure(|| {
        let started = Instant::now();
        renderer.update_memory(
            &cursor,
            &data[..64 * 64 * 4],
            256,
            &[Rect::new(0, 0, 64, 64)],
        )?;
        renderer.wait_idle()?;
        Ok([ms(started.elapsed())])
    })?;
    println!("upload 64x64 cursor: {} to completion", small.spread());
    println!(
        "{{\"bench\":\"upload\",\"bytes\":{len},\"memcpy_ms\":{:.4},\"staging_ms\":{:.4},\"host_pointer_ms\":{},\"cursor_ms\":{:.4}}}",
        memcpy.median(),
        staged.median(),
        pool_ms.map_or("null".into(), |v| format!("{v:.4}")),
        small.median()
    );
    Ok(())
}

/// The host-pointer path: the pool imported once, each update a GPU copy only.
fn host_pointer_upload(
    renderer: &mut Renderer,
    texture: &Texture,
    data: &[u8],
    stride: u32,
) -> Result<Option<f64>> {
    let vkcompose::ShmUpload::HostPointer { alignment } =
        renderer.device().capabilities().shm_upload
    else {
        println!("upload 4K host pointer: unavailable on this device");
        return Ok(None);
    };
    let pool_len = data.len().div_ceil(alignment as usize) * alignment as usize;
    let layout = std::alloc::Layout::from_size_align(pool_len, alignment as usize)?;
    // SAFETY: a non-zero size; freed below after the pool is dropped.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
    if ptr.is_null() {
        return Err("out of memory".into());
    }
    // SAFETY: `ptr` holds `pool_len` bytes we own.
    unsafe { std::slice::from_raw_parts_mut(ptr, data.len()) }.copy_from_slice(data);
    // SAFETY: the allocation outlives the pool (dropped before the dealloc).
    let pool = unsafe { renderer.import_shm_pool(ptr, pool_len) }?;
    let all = Rect::new(0, 0, texture.width() as i32, texture.height() as i32);
    let [direct] = measure(|| {
        let started = Instant::now();
        renderer.update_from_pool(texture, &pool, 0, stride, &[all])?;
        renderer.wait_idle()?;
        Ok([ms(started.elapsed())])
    })?;
    drop(pool);
    // SAFETY: allocated above with this layout; the pool is gone.
    unsafe { std::alloc::dealloc(ptr, layout) };
    println!(
        "upload 4K host pointer: {}, {:.2} GB/s, no CPU copy",
        direct.spread(),
        data.len() as f64 / (direct.median() * 1e6)
    );
    Ok(Some(direct.median()))
}

/// Readback of 1080p and 4K targets to mapped bytes, next to a GPU copy of the same bytes
/// between buffers.
fn readback_bench(renderer: &mut Renderer) -> Result<()> {
    for (w, h) in [(1920u32, 1080u32), (3840, 2160)] {
        let target = renderer.create_target(w, h, DrmFourcc::Abgr8888)?;
        let all = Rect::new(0, 0, w as i32, h as i32);
        let mut frame = renderer.render(&target, Transform::Normal)?;
        frame.clear([0.2, 0.4, 0.6, 1.0], &[all])?;
        frame.finish()?.wait(Duration::MAX)?;
        let [readback] = measure(|| {
            let started = Instant::now();
            let pixels = renderer.copy_framebuffer(&target, all, DrmFourcc::Abgr8888)?;
            std::hint::black_box(pixels.bytes()?.first());
            Ok([ms(started.elapsed())])
        })?;
        let bytes = u64::from(w * h * 4);
        let gpu_copy = buffer_copy(renderer.device(), bytes)?;
        println!(
            "readback {w}x{h}: {}; GPU buffer copy of the same bytes {} (ratio {:.2})",
            readback.spread(),
            gpu_copy.spread(),
            gpu_copy.median() / readback.median()
        );
        println!(
            "{{\"bench\":\"readback\",\"width\":{w},\"height\":{h},\"readback_ms\":{:.4},\"buffer_copy_ms\":{:.4}}}",
            readback.median(),
            gpu_copy.median()
        );
    }
    Ok(())
}

/// Wall time of one submitted buffer-to-buffer copy of `bytes`, waited for.
fn buffer_copy(device: &Device, bytes: u64) -> Result<Samples> {
    let usage = vk::BufferUsageFlags::TRANSFER_SRC | vk::BufferUsageFlags::TRANSFER_DST;
    let src = Buffer::new(device, bytes, vk::BufferUsageFlags::TRANSFER_SRC)?;
    let dst = Buffer::new(device, bytes, usage)?;
    let [copy] = measure(|| {
        let started = Instant::now();
        let recorder = vkcompose::Recorder::new(device)?;
        let region = vk::BufferCopy {
            src_offset: 0,
            dst_offset: 0,
            size: bytes,
        };
        // SAFETY: both buffers hold `bytes` bytes and outlive the wait in `finish`.
        unsafe {
            device
                .raw()
                .cmd_copy_buffer(recorder.command_buffer(), src.raw(), dst.raw(), &[region])
        };
        recorder.finish()?;
        Ok([ms(started.elapsed())])
    })?;
    Ok(copy)
}

/// First import of opaque-fd memory (a 1080p image's worth) into a second device.
fn import_bench(device: &Device) -> Result<()> {
    if !device.capabilities().opaque_fd_memory.both() {
        println!("import: opaque-fd memory unavailable on this device");
        return Ok(());
    }
    let other = DeviceBuilder::new(device.physical_device())?.build()?;
    let bytes = 1920 * 1080 * 4;
    let buffer = |d: &Device| -> Result<(vk::Buffer, vk::MemoryRequirements)> {
        let mut external = vk::ExternalMemoryBufferCreateInfo::default()
            .handle_types(vk::ExternalMemoryHandleTypeFlags::OPAQUE_FD);
        let info = vk::BufferCreateInfo::default()
            .size(bytes)
            .usage(vk::BufferUsageFlags::TRANSFER_SRC)
            .push_next(&mut external);
        // SAFETY: a valid create info; destroyed below.
        let raw = unsafe { d.raw().create_buffer(&info, None) }?;
        // SAFETY: a buffer of `d`.
        Ok((raw, unsafe { d.raw().get_buffer_memory_requirements(raw) }))
    };
    let (source, requirements) = buffer(device)?;
    let exported = DedicatedMemory::allocate(
        device,
        requirements,
        vk::MemoryPropertyFlags::DEVICE_LOCAL,
        DedicatedTo::Buffer(source),
        Some(vk::ExternalMemoryHandleTypeFlags::OPAQUE_FD),
    )?;
    let [import] = measure(|| {
        let (target, requirements) = buffer(&other)?;
        let fd = exported.export_opaque_fd()?;
        let started = Instant::now();
        // SAFETY: an opaque-fd export of the same physical device, dedicated to a buffer
        // created the same way.
        let memory = unsafe {
            DedicatedMemory::import_opaque_fd(
                &other,
                fd,
                requirements,
                vk::MemoryPropertyFlags::DEVICE_LOCAL,
                DedicatedTo::Buffer(target),
            )
        }?;
        let elapsed = started.elapsed();
        drop(memory);
        // SAFETY: never bound or used.
        unsafe { other.raw().destroy_buffer(target, None) };
        Ok([ms(elapsed)])
    })?;
    drop(exported);
    // SAFETY: never bound; its memory is freed.
    unsafe { device.raw().destroy_buffer(source, None) };
    println!(
        "import opaque-fd memory (1080p): first import {}; cached re-import: n/a until dmabuf import (issue 5)",
        import.spread()
    );
    println!(
        "{{\"bench\":\"import\",\"opaque_fd_first_ms\":{:.4}}}",
        import.median()
    );
    Ok(())
}

/// Building every shipped pipeline for one target format: cold, and from a cache saved by
/// the cold build.
fn pipeline_bench(device: &Device) -> Result<()> {
    let pass = RenderPass::<passes::Output>::new(device, vk::Format::B8G8R8A8_UNORM)?;
    let cache = |data: &[u8]| -> Result<vk::PipelineCache> {
        let info = vk::PipelineCacheCreateInfo::default().initial_data(data);
        // SAFETY: a valid create info; destroyed below.
        Ok(unsafe { device.raw().create_pipeline_cache(&info, None) }?)
    };
    let mut saved = Vec::new();
    let [cold] = measure(|| {
        let empty = cache(&[])?;
        let started = Instant::now();
        let pipelines = Pipelines::new(device, &pass, empty)?;
        let elapsed = started.elapsed();
        drop(pipelines);
        // SAFETY: the cache belongs to this device and no creation is running.
        saved = unsafe { device.raw().get_pipeline_cache_data(empty) }?;
        // SAFETY: as above.
        unsafe { device.raw().destroy_pipeline_cache(empty, None) };
        Ok([ms(elapsed)])
    })?;
    let [warm] = measure(|| {
        let loaded = cache(&saved)?;
        let started = Instant::now();
        let pipelines = Pipelines::new(device, &pass, loaded)?;
        let elapsed = started.elapsed();
        drop(pipelines);
        // SAFETY: the cache belongs to this device and no creation is running.
        unsafe { device.raw().destroy_pipeline_cache(loaded, None) };
        Ok([ms(elapsed)])
    })?;
    println!(
        "pipelines (all shipped, one format): cold {}; from a saved cache {}",
        cold.spread(),
        warm.spread()
    );
    println!(
        "{{\"bench\":\"pipelines\",\"cold_ms\":{:.4},\"cached_ms\":{:.4}}}",
        cold.median(),
        warm.median()
    );
    Ok(())
}
