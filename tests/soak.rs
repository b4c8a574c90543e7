//! Soak: a compositor's mixed workload for many frames — shm imports and damaged updates,
//! frames of 1 to 1000 quads with damage and solids, readbacks, targets created and
//! dropped, a linear-path frame now and then — printing resident memory, open fds, live
//! Vulkan objects (counted by tests/fault_layer, loaded unarmed) and allocator blocks ten
//! times. After the first tenth (warm-up: pools and pipelines reach their size) every
//! figure must stay flat: objects, fds and blocks exactly, resident memory within 8 MiB.
//!
//! `SOAK_FRAMES` sets the length (default 2000, the CI run); BENCHMARKS.md has a
//! 100,000-frame run on lavapipe and on the GPU machine.

mod common;
#[path = "fault_layer/client.rs"]
mod fault;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use vkcompose::format::DrmFourcc;
use vkcompose::geometry::{Rect, RectF, Transform};
use vkcompose::{Filter, Renderer, RendererOptions, ShmLayout, Texture, TextureDraw};

const SIZE: u32 = 256;

/// One sample of the figures that must stay flat.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Sample {
    frame: usize,
    resident_kib: u64,
    fds: usize,
    objects: i64,
    blocks: usize,
}

fn resident_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: a plain query.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    pages * page / 1024
}

/// A small deterministic generator, so every run does the same work.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % u64::from(below.max(1))) as u32
    }
}

fn shm(width: u32, height: u32, seed: u8) -> (Vec<u8>, ShmLayout) {
    let data = (0..width * height * 4)
        .map(|i| (i as u8).wrapping_mul(seed))
        .collect();
    let layout = ShmLayout {
        fourcc: DrmFourcc::Argb8888,
        width,
        height,
        stride: width * 4,
    };
    (data, layout)
}

/// Frame `i` of the workload.
fn step(
    renderer: &mut Renderer,
    textures: &mut VecDeque<Texture>,
    target: &Texture,
    i: usize,
    rng: &mut Lcg,
) {
    if i % 7 == 0 || textures.is_empty() {
        let (w, h) = (16 + rng.next(100), 16 + rng.next(100));
        let (data, layout) = shm(w, h, i as u8 | 1);
        textures.push_back(renderer.import_memory(&data, layout).unwrap());
        if textures.len() > 8 {
            textures.pop_front();
        }
    }
    let texture = &textures[i % textures.len()];
    let (w, h) = (texture.width(), texture.height());
    let (data, _) = shm(w, h, i as u8);
    let damage = Rect::new(
        rng.next(w) as i32,
        rng.next(h) as i32,
        1 + rng.next(w / 2) as i32,
        1 + rng.next(h / 2) as i32,
    );
    renderer
        .update_memory(texture, &data, w * 4, &[damage])
        .unwrap();
    let quads = if i % 100 == 0 {
        1000
    } else {
        1 + rng.next(64) as usize
    };
    let frame_damage = [Rect::new(
        rng.next(SIZE / 2) as i32,
        rng.next(SIZE / 2) as i32,
        (SIZE / 2) as i32,
        (SIZE / 2) as i32,
    )];
    let mut frame = renderer.render(target, Transform::Normal).unwrap();
    frame.set_linear_blending(i % 50 == 25);
    frame.clear([0.1, 0.1, 0.1, 1.0], &frame_damage).unwrap();
    for q in 0..quads {
        let t = &textures[q % textures.len()];
        let draw = TextureDraw {
            src: RectF::new(0.0, 0.0, f64::from(t.width()), f64::from(t.height())),
            dst: Rect::new(
                rng.next(SIZE - 32) as i32,
                rng.next(SIZE - 32) as i32,
                32,
                32,
            ),
            damage: &frame_damage,
            opaque: &[],
            transform: Transform::ALL[q % 8],
            alpha: if q % 3 == 0 { 0.5 } else { 1.0 },
            filter: Filter::Linear,
        };
        frame.render_texture_from_to(t, &draw).unwrap();
    }
    frame
        .draw_solid(Rect::new(8, 8, 40, 20), &frame_damage, [0.0, 0.3, 0.0, 0.3])
        .unwrap();
    let done = frame.finish().unwrap();
    if i % 50 == 0 {
        let readback = renderer
            .copy_framebuffer(target, Rect::new(0, 0, 64, 64), DrmFourcc::Abgr8888)
            .unwrap();
        assert_eq!(readback.bytes().unwrap().len(), 64 * 64 * 4);
    }
    if i % 100 == 50 {
        let extra = renderer
            .create_target(64 + rng.next(64), 64, DrmFourcc::Xrgb8888)
            .unwrap();
        let mut frame = renderer.render(&extra, Transform::Normal).unwrap();
        frame
            .clear([1.0, 0.0, 0.0, 1.0], &[Rect::new(0, 0, 64, 64)])
            .unwrap();
        frame
            .finish()
            .unwrap()
            .wait(Duration::from_secs(20))
            .unwrap();
    }
    done.wait(Duration::from_secs(20)).unwrap();
}

#[test]
fn a_long_mixed_workload_stays_flat() {
    let frames: usize = std::env::var("SOAK_FRAMES")
        .ok()
        .and_then(|f| f.parse().ok())
        .unwrap_or(2000);
    let every = (frames / 10).max(1);
    let layer = fault::layer();
    let (instance, device) = common::gpu();
    let mut renderer = Renderer::new(&device, &RendererOptions::default()).unwrap();
    let target = renderer
        .create_target(SIZE, SIZE, DrmFourcc::Xrgb8888)
        .unwrap();
    let (mut textures, mut rng) = (VecDeque::new(), Lcg(1));
    let mut samples = Vec::new();
    let started = Instant::now();
    for i in 0..frames {
        step(&mut renderer, &mut textures, &target, i, &mut rng);
        if (i + 1) % every == 0 {
            renderer.wait_idle().unwrap();
            let sample = Sample {
                frame: i + 1,
                resident_kib: resident_kib(),
                fds: std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count()),
                objects: layer.live_by_kind().values().sum(),
                blocks: device.allocator_stats().blocks,
            };
            eprintln!(
                "soak: frame {:>7}: resident {:>7} KiB, fds {}, live Vulkan objects {}, allocator blocks {} ({:.1} s)",
                sample.frame,
                sample.resident_kib,
                sample.fds,
                sample.objects,
                sample.blocks,
                started.elapsed().as_secs_f64()
            );
            samples.push(sample);
        }
    }
    let warm = samples[0];
    for s in &samples[1..] {
        assert_eq!(
            (s.fds, s.objects, s.blocks),
            (warm.fds, warm.objects, warm.blocks),
            "not flat at frame {}: {s:?}, after warm-up {warm:?}",
            s.frame
        );
        assert!(
            s.resident_kib < warm.resident_kib + 8 * 1024,
            "resident memory grew: {s:?}, after warm-up {warm:?}"
        );
    }
    drop((textures, target, renderer));
    common::assert_validation_clean(&instance);
}
