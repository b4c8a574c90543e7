//! What Smithay's machinery costs on top of vkcompose, and Smithay's software renderer as a
//! peer: N textured 256x256 elements on a 1920x1080 output, drawn in full (age 0) by
//! `OutputDamageTracker::render_output` through `VulkanRenderer` and through
//! `PixmanRenderer`, next to the same draws through vkcompose's own `Frame` (the
//! reference, same run).
//!
//! `cargo bench --features smithay --bench smithay`

use std::time::{Duration, Instant};

use drm_fourcc::DrmFourcc;
use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::element::texture::{TextureBuffer, TextureRenderElement};
use smithay::backend::renderer::element::Kind;
use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::backend::renderer::{
    Bind, Frame as _, ImportMem, Offscreen, Renderer as _, Texture as _,
};
use smithay::utils::{Point, Transform as SmithayTransform};
use vkcompose::geometry::{Rect, RectF, Transform};
use vkcompose::smithay::{VulkanRenderer, VulkanTexture};
use vkcompose::{
    Device, Filter, Instance, InstanceOptions, Renderer, RendererOptions, TextureDraw,
};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const OUTPUT: (i32, i32) = (1920, 1080);
const SIDE: i32 = 256;
const BUDGET: Duration = Duration::from_secs(3);
const WARM_UP: usize = 4;
const MIN_RUNS: usize = 5;

fn main() -> Result<()> {
    let instance = Instance::new(&InstanceOptions::default())?;
    let device = Device::new(&instance)?;
    println!("device: {}", device.name());
    let mut vulkan = VulkanRenderer::new(Renderer::new(&device, &RendererOptions::default())?);
    let mut pixman = PixmanRenderer::new()?;
    for elements in [1, 100, 1000] {
        let reference = core_frames(&mut vulkan, elements)?;
        let adapter = adapter_frames(&mut vulkan, elements)?;
        let ours = tracker_frames(&mut vulkan, elements)?;
        let peer = tracker_frames(&mut pixman, elements)?;
        println!(
            "{elements} elements, until done: vkcompose Frame {:.3} ms; OutputDamageTracker + VulkanRenderer {:.3} ms (x{:.2}); OutputDamageTracker + PixmanRenderer {:.3} ms (x{:.2})",
            reference.done,
            ours.done,
            ours.done / reference.done,
            peer.done,
            peer.done / reference.done
        );
        println!(
            "{elements} elements, CPU until submitted: vkcompose Frame {:.3} ms; VulkanRenderer's Frame {:.3} ms (x{:.2}); OutputDamageTracker + VulkanRenderer {:.3} ms (x{:.2})",
            reference.cpu,
            adapter.cpu,
            adapter.cpu / reference.cpu,
            ours.cpu,
            ours.cpu / reference.cpu
        );
        println!(
            "{{\"bench\":\"smithay\",\"elements\":{elements},\"core_ms\":{:.4},\"core_cpu_ms\":{:.4},\"adapter_cpu_ms\":{:.4},\"vulkan_renderer_ms\":{:.4},\"vulkan_renderer_cpu_ms\":{:.4},\"pixman_renderer_ms\":{:.4}}}",
            reference.done, reference.cpu, adapter.cpu, ours.done, ours.cpu, peer.done
        );
    }
    Ok(())
}

/// Milliseconds until the frame was submitted (CPU) and until it was done.
#[derive(Clone, Copy)]
struct Times {
    cpu: f64,
    done: f64,
}

/// The medians of `run`'s times, after warm-up, over the time budget.
fn median(mut run: impl FnMut() -> Result<Times>) -> Result<Times> {
    for _ in 0..WARM_UP {
        run()?;
    }
    let started = Instant::now();
    let mut samples = Vec::new();
    while samples.len() < MIN_RUNS || started.elapsed() < BUDGET {
        samples.push(run()?);
    }
    let middle = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    Ok(Times {
        cpu: middle(samples.iter().map(|t| t.cpu).collect()),
        done: middle(samples.iter().map(|t| t.done).collect()),
    })
}

fn since(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1e3
}

/// Where element `i` goes: spread over the output, overlapping.
fn placement(i: usize) -> (i32, i32) {
    let step = 97 * i as i32;
    (
        step % (OUTPUT.0 - SIDE),
        (step / OUTPUT.0 * 61 + i as i32 * 13) % (OUTPUT.1 - SIDE),
    )
}

/// A 256x256 premultiplied ARGB8888 picture, translucent for odd seeds.
fn picture(seed: u8) -> Vec<u8> {
    let alpha = if seed % 2 == 1 { 160u32 } else { 255 };
    (0..SIDE * SIDE)
        .flat_map(|i| {
            let (x, y) = ((i % SIDE) as u32, (i / SIDE) as u32);
            let c = |v: u32| ((v.wrapping_mul(u32::from(seed) | 1) % 256) * alpha / 255) as u8;
            [c(x), c(y), c(x ^ y), alpha as u8]
        })
        .collect()
}

/// The 8 pictures as textures of `vulkan`.
fn pictures(vulkan: &mut VulkanRenderer) -> Result<Vec<VulkanTexture>> {
    let import = |seed| {
        vulkan.import_memory(
            &picture(seed),
            DrmFourcc::Argb8888,
            (SIDE, SIDE).into(),
            false,
        )
    };
    Ok((0..8u8)
        .map(import)
        .collect::<std::result::Result<_, _>>()?)
}

/// Whole frames of `elements` quads through Smithay's damage tracker; the time until the
/// frame is done (for Pixman that is when `render_output` returns).
fn tracker_frames<R, T>(renderer: &mut R, elements: usize) -> Result<Times>
where
    R: ImportMem + Offscreen<T> + Bind<T>,
    R::TextureId: Clone + Send + 'static,
    R::Error: 'static,
{
    let buffers: Vec<TextureBuffer<R::TextureId>> = (0..8u8)
        .map(|seed| {
            TextureBuffer::from_memory(
                renderer,
                &picture(seed),
                DrmFourcc::Argb8888,
                (SIDE, SIDE),
                false,
                1,
                SmithayTransform::Normal,
                None,
            )
        })
        .collect::<std::result::Result<_, _>>()?;
    let elements: Vec<TextureRenderElement<R::TextureId>> = (0..elements)
        .map(|i| {
            let (x, y) = placement(i);
            TextureRenderElement::from_texture_buffer(
                Point::from((f64::from(x), f64::from(y))),
                &buffers[i % buffers.len()],
                None,
                None,
                None,
                Kind::Unspecified,
            )
        })
        .collect();
    let mut target = renderer.create_buffer(DrmFourcc::Xrgb8888, OUTPUT.into())?;
    let mut tracker = OutputDamageTracker::new(OUTPUT, 1.0, SmithayTransform::Normal);
    median(|| {
        let started = Instant::now();
        let mut framebuffer = renderer.bind(&mut target)?;
        let result = tracker.render_output(
            renderer,
            &mut framebuffer,
            0,
            &elements,
            [0.05, 0.05, 0.08, 1.0],
        );
        let sync = result.map_err(|e| format!("{e:?}"))?.sync;
        let cpu = since(started);
        sync.wait().map_err(|e| format!("{e:?}"))?;
        Ok(Times {
            cpu,
            done: since(started),
        })
    })
}

/// The same draws through `VulkanRenderer`'s Smithay `Frame`, without the damage tracker:
/// what the trait layer itself costs.
fn adapter_frames(vulkan: &mut VulkanRenderer, elements: usize) -> Result<Times> {
    let textures = pictures(vulkan)?;
    let mut target = vulkan.create_buffer(DrmFourcc::Xrgb8888, OUTPUT.into())?;
    let whole = [smithay::utils::Rectangle::from_size((SIDE, SIDE).into())];
    let output = [smithay::utils::Rectangle::from_size(OUTPUT.into())];
    median(|| {
        let started = Instant::now();
        let mut framebuffer = vulkan.bind(&mut target)?;
        let mut frame = vulkan.render(&mut framebuffer, OUTPUT.into(), SmithayTransform::Normal)?;
        frame.clear([0.05, 0.05, 0.08, 1.0].into(), &output)?;
        for i in (0..elements).rev() {
            let (x, y) = placement(i);
            let texture = &textures[i % textures.len()];
            let src = smithay::utils::Rectangle::from_size(texture.size()).to_f64();
            let dst = smithay::utils::Rectangle::new((x, y).into(), (SIDE, SIDE).into());
            frame.render_texture_from_to(
                texture,
                src,
                dst,
                &whole,
                &[],
                SmithayTransform::Normal,
                1.0,
            )?;
        }
        let sync = frame.finish()?;
        let cpu = since(started);
        sync.wait().map_err(|e| format!("{e:?}"))?;
        Ok(Times {
            cpu,
            done: since(started),
        })
    })
}

/// The same frames through vkcompose's own `Frame`: the reference.
fn core_frames(vulkan: &mut VulkanRenderer, elements: usize) -> Result<Times> {
    let textures = pictures(vulkan)?;
    let renderer = vulkan.renderer_mut();
    let target = renderer.create_target(OUTPUT.0 as u32, OUTPUT.1 as u32, DrmFourcc::Xrgb8888)?;
    let all = Rect::new(0, 0, OUTPUT.0, OUTPUT.1);
    median(|| {
        let started = Instant::now();
        let mut frame = renderer.render(&target, Transform::Normal)?;
        frame.clear([0.05, 0.05, 0.08, 1.0], &[all])?;
        // Smithay draws front to back reversed: the last element first.
        for i in (0..elements).rev() {
            let (x, y) = placement(i);
            let texture = &textures[i % textures.len()];
            let side = f64::from(texture.width());
            frame.render_texture_from_to(
                texture.texture(),
                &TextureDraw {
                    src: RectF::new(0.0, 0.0, side, side),
                    dst: Rect::new(x, y, SIDE, SIDE),
                    damage: &[all],
                    opaque: &[],
                    transform: Transform::Normal,
                    alpha: 1.0,
                    filter: Filter::Linear,
                },
            )?;
        }
        let sync = frame.finish()?;
        let cpu = since(started);
        sync.wait(Duration::MAX)?;
        Ok(Times {
            cpu,
            done: since(started),
        })
    })
}
