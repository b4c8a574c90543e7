//! vkcompose behind Smithay's renderer traits, driven by Smithay's own damage tracker and
//! elements, compared pixel for pixel with Smithay's software renderer (Pixman) drawing
//! the same scene.

#![cfg(feature = "smithay")]

mod common;
#[path = "common/fds.rs"]
mod fds;

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::element::memory::{
    MemoryRenderBuffer, MemoryRenderBufferRenderElement,
};
use smithay::backend::renderer::element::solid::{SolidColorBuffer, SolidColorRenderElement};
use smithay::backend::renderer::element::{render_elements, Kind};
use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::backend::renderer::{
    Bind, Blit, Color32F, DebugFlags, ExportMem, Frame, ImportMem, Offscreen, Renderer,
    TextureFilter,
};
use smithay::reexports::pixman;
use smithay::utils::{Buffer, Physical, Point, Rectangle, Size, Transform};
use vkcompose::smithay::{VulkanFence, VulkanRenderer, VulkanTexture};
use vkcompose::{Instance, RendererOptions};

/// The largest difference allowed between the two renderers, per channel.
const TOLERANCE: u8 = 2;
const CLEAR: [f32; 4] = [0.1, 0.15, 0.2, 1.0];

render_elements! {
    SceneElement<R> where R: ImportMem;
    Solid=SolidColorRenderElement,
    Memory=MemoryRenderBufferRenderElement<R>,
}

fn vulkan() -> (Instance, VulkanRenderer) {
    let (instance, device) = common::gpu();
    let renderer = vkcompose::Renderer::new(&device, &RendererOptions::default()).unwrap();
    (instance, VulkanRenderer::new(renderer))
}

/// A premultiplied ARGB8888 buffer (bytes B, G, R, A) whose colour and alpha vary over
/// it, so that misplaced, turned or mis-blended texels show.
fn gradient(width: i32, height: i32, opaque: bool) -> Vec<u8> {
    let mut data = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height {
        for x in 0..width {
            let a = if opaque {
                255
            } else {
                (64 + (x * 191) / width.max(1)) as u32
            };
            let r = ((x * 255) / width.max(1)) as u32 * a / 255;
            let g = ((y * 255) / height.max(1)) as u32 * a / 255;
            let b = (((x + y) % 16) * 16) as u32 * a / 255;
            data.extend([b as u8, g as u8, r as u8, a as u8]);
        }
    }
    data
}

/// What the scene shows; both renderers get the same.
struct Scene {
    translucent: MemoryRenderBuffer,
    turned: MemoryRenderBuffer,
    flipped: MemoryRenderBuffer,
    red: SolidColorBuffer,
    veil: SolidColorBuffer,
    red_at: Point<i32, Physical>,
}

impl Scene {
    fn new() -> Scene {
        let buffer = |w, h, opaque, fourcc, transform| {
            MemoryRenderBuffer::from_slice(
                &gradient(w, h, opaque),
                fourcc,
                (w, h),
                1,
                transform,
                None,
            )
        };
        Scene {
            translucent: buffer(48, 40, false, Fourcc::Argb8888, Transform::Normal),
            turned: buffer(40, 28, true, Fourcc::Xrgb8888, Transform::_90),
            flipped: buffer(24, 20, false, Fourcc::Argb8888, Transform::Flipped270),
            red: SolidColorBuffer::new((50, 20), [0.8, 0.1, 0.1, 1.0]),
            // Premultiplied half-transparent blue.
            veil: SolidColorBuffer::new((70, 50), [0.0, 0.0, 0.4, 0.4]),
            red_at: Point::from((20, 80)),
        }
    }

    /// Where the textured elements show, in logical pixels (the turned buffer's sides
    /// swapped).
    fn texture_rects() -> [Rectangle<i32, Physical>; 4] {
        [
            Rectangle::new((10, 12).into(), (48, 40).into()),
            Rectangle::new((70, 20).into(), (28, 40).into()),
            Rectangle::new((30, 60).into(), (20, 24).into()),
            Rectangle::new((100, 70).into(), (48, 40).into()),
        ]
    }

    /// Front to back, as Smithay orders elements.
    fn elements<R>(&self, renderer: &mut R, scale: f64) -> Vec<SceneElement<R>>
    where
        R: Renderer + ImportMem,
        R::TextureId: Send + Clone + 'static,
    {
        let memory = |renderer: &mut R, buffer, at: (f64, f64), alpha| {
            SceneElement::Memory(
                MemoryRenderBufferRenderElement::from_buffer(
                    renderer,
                    Point::from(at).to_physical(scale),
                    buffer,
                    alpha,
                    None,
                    None,
                    Kind::Unspecified,
                )
                .unwrap(),
            )
        };
        let solid = |buffer, at: Point<i32, Physical>| {
            SceneElement::Solid(SolidColorRenderElement::from_buffer(
                buffer,
                at.to_f64().upscale(scale).to_i32_round(),
                scale,
                1.0,
                Kind::Unspecified,
            ))
        };
        vec![
            solid(&self.veil, Point::from((4, 6))),
            memory(renderer, &self.translucent, (10.0, 12.0), None),
            memory(renderer, &self.turned, (70.0, 20.0), None),
            memory(renderer, &self.flipped, (30.0, 60.0), None),
            memory(renderer, &self.translucent, (100.0, 70.0), Some(0.5)),
            solid(&self.red, self.red_at),
        ]
    }
}

/// One output's renderer, target and damage tracker.
struct Output<R: Renderer + Offscreen<T>, T> {
    renderer: R,
    target: T,
    tracker: OutputDamageTracker,
    size: Size<i32, Physical>,
}

impl<R, T> Output<R, T>
where
    R: Renderer + ImportMem + ExportMem + Offscreen<T>,
    R::TextureId: Send + Clone + 'static,
    R::Error: std::fmt::Debug + 'static,
{
    fn new(mut renderer: R, size: (i32, i32), scale: f64, transform: Transform) -> Self {
        let size = Size::from(size);
        let buffer: Size<i32, Buffer> = Size::from((size.w, size.h));
        let target = renderer.create_buffer(Fourcc::Abgr8888, buffer).unwrap();
        let tracker = OutputDamageTracker::new(size, scale, transform);
        Output {
            renderer,
            target,
            tracker,
            size,
        }
    }

    /// Renders the scene with `age` (0: everything) and returns the damage the tracker
    /// drew and the output's pixels, RGBA.
    fn render(
        &mut self,
        scene: &Scene,
        scale: f64,
        age: usize,
    ) -> (Option<Vec<Rectangle<i32, Physical>>>, Vec<u8>) {
        let elements = scene.elements(&mut self.renderer, scale);
        let mut framebuffer = self.renderer.bind(&mut self.target).unwrap();
        let result = self
            .tracker
            .render_output(&mut self.renderer, &mut framebuffer, age, &elements, CLEAR)
            .unwrap();
        result.sync.wait().unwrap();
        let damage = result.damage.cloned();
        let region = Rectangle::from_size(Size::from((self.size.w, self.size.h)));
        let mapping = self
            .renderer
            .copy_framebuffer(&framebuffer, region, Fourcc::Abgr8888)
            .unwrap();
        let pixels = self.renderer.map_texture(&mapping).unwrap().to_vec();
        (damage, pixels)
    }
}

type VulkanOutput = Output<VulkanRenderer, VulkanTexture>;
type PixmanOutput = Output<PixmanRenderer, pixman::Image<'static, 'static>>;

fn outputs(
    size: (i32, i32),
    scale: f64,
    transform: Transform,
    filter: TextureFilter,
) -> (Instance, VulkanOutput, PixmanOutput) {
    let (instance, mut vulkan) = vulkan();
    let mut pixman = PixmanRenderer::new().unwrap();
    for result in [
        vulkan.upscale_filter(filter),
        vulkan.downscale_filter(filter),
    ] {
        result.unwrap();
    }
    pixman.upscale_filter(filter).unwrap();
    pixman.downscale_filter(filter).unwrap();
    (
        instance,
        Output::new(vulkan, size, scale, transform),
        Output::new(pixman, size, scale, transform),
    )
}

/// Fails with the first few differing pixels when any channel differs by more than the
/// tolerance.
fn assert_same(vulkan: &[u8], pixman: &[u8], width: i32, what: &str) {
    assert_eq!(vulkan.len(), pixman.len(), "{what}: sizes differ");
    let bad: Vec<String> = vulkan
        .chunks_exact(4)
        .zip(pixman.chunks_exact(4))
        .enumerate()
        .filter(|(_, (v, p))| {
            v.iter()
                .zip(p.iter())
                .any(|(a, b)| a.abs_diff(*b) > TOLERANCE)
        })
        .take(8)
        .map(|(i, (v, p))| {
            let i = i as i32;
            format!("({}, {}): vulkan {v:?} pixman {p:?}", i % width, i / width)
        })
        .collect();
    assert!(bad.is_empty(), "{what}: pixels differ:\n{}", bad.join("\n"));
}

/// The scene covers most of the output with something other than the clear colour, so a
/// renderer that drew nothing could not match.
fn assert_drawn(pixels: &[u8], what: &str) {
    let clear = CLEAR.map(|c| (c * 255.0).round() as u8);
    let drawn = pixels
        .chunks_exact(4)
        .filter(|p| p.iter().zip(clear).any(|(a, b)| a.abs_diff(b) > TOLERANCE))
        .count();
    assert!(
        drawn > pixels.len() / 4 / 5,
        "{what}: only {drawn} pixels differ from the clear colour"
    );
}

fn compare_scene(size: (i32, i32), scale: f64, transform: Transform, filter: TextureFilter) {
    let (instance, mut vulkan, mut pixman) = outputs(size, scale, transform, filter);
    let scene = Scene::new();
    let what = format!("{size:?} scale {scale} {transform:?} {filter:?}");
    let (_, mut ours) = vulkan.render(&scene, scale, 0);
    let (_, mut theirs) = pixman.render(&scene, scale, 0);
    assert_drawn(&theirs, &what);
    if filter == TextureFilter::Linear {
        // Filtering a buffer's outermost texels, Pixman mixes in transparent black from
        // beyond the edge; vkcompose (like the GLES renderer) clamps to the edge texel.
        // Only those border pixels are left out.
        // (The rectangles are the untransformed output's.)
        assert_eq!(transform, Transform::Normal);
        for rect in Scene::texture_rects() {
            let rect = rect.to_f64().upscale(scale).to_i32_round();
            blank_border(&mut ours, size.0, rect);
            blank_border(&mut theirs, size.0, rect);
        }
    }
    assert_same(&ours, &theirs, size.0, &what);
    common::assert_validation_clean(&instance);
}

/// Zeroes the outermost ring of pixels of `rect`.
fn blank_border(pixels: &mut [u8], width: i32, rect: Rectangle<i32, Physical>) {
    let (x0, y0) = (rect.loc.x, rect.loc.y);
    let (x1, y1) = (x0 + rect.size.w - 1, y0 + rect.size.h - 1);
    for y in y0..=y1 {
        for x in x0..=x1 {
            let on_border = x == x0 || x == x1 || y == y0 || y == y1;
            let i = ((y * width + x) * 4) as usize;
            if on_border && x >= 0 && x < width && i + 4 <= pixels.len() {
                pixels[i..i + 4].fill(0);
            }
        }
    }
}

#[test]
fn scene_matches_pixman() {
    compare_scene((160, 120), 1.0, Transform::Normal, TextureFilter::Nearest);
}

#[test]
fn scene_matches_pixman_on_turned_outputs() {
    for transform in [
        Transform::_90,
        Transform::_270,
        Transform::Flipped90,
        Transform::Flipped270,
    ] {
        compare_scene((120, 160), 1.0, transform, TextureFilter::Nearest);
    }
    for transform in [Transform::_180, Transform::Flipped, Transform::Flipped180] {
        compare_scene((160, 120), 1.0, transform, TextureFilter::Nearest);
    }
}

#[test]
fn scene_matches_pixman_scaled() {
    // Twice the size: each texel covers whole pixels, so nearest filtering has one answer.
    compare_scene((320, 240), 2.0, Transform::Normal, TextureFilter::Nearest);
}

#[test]
fn scene_matches_pixman_scaled_linear() {
    compare_scene((320, 240), 2.0, Transform::Normal, TextureFilter::Linear);
}

#[test]
fn damaged_frames_match_pixman() {
    let size = (160, 120);
    let (instance, mut vulkan, mut pixman) =
        outputs(size, 1.0, Transform::_90, TextureFilter::Nearest);
    let mut scene = Scene::new();
    vulkan.render(&scene, 1.0, 0);
    pixman.render(&scene, 1.0, 0);

    // A client updates part of a buffer and a solid moves: only that is redrawn.
    {
        let mut context = scene.translucent.render();
        context
            .draw(|data| {
                for row in data.chunks_exact_mut(48 * 4).skip(5).take(10) {
                    for px in row.chunks_exact_mut(4).skip(8).take(20) {
                        px.copy_from_slice(&[0, 200, 0, 255]);
                    }
                }
                Ok::<_, ()>(vec![Rectangle::new((8, 5).into(), (20, 10).into())])
            })
            .unwrap();
    }
    scene.red_at = Point::from((24, 84));
    let (damage, ours) = vulkan.render(&scene, 1.0, 1);
    let (_, theirs) = pixman.render(&scene, 1.0, 1);
    let damage = damage.expect("the tracker found damage");
    let area: i32 = damage.iter().map(|r| r.size.w * r.size.h).sum();
    assert!(
        area > 0 && area < size.0 * size.1 / 2,
        "expected a partial redraw, got {damage:?}"
    );
    assert_same(&ours, &theirs, size.0, "damaged frame");

    // Nothing changed: nothing is drawn, and the pixels stay.
    let (damage, again) = vulkan.render(&scene, 1.0, 1);
    assert!(damage.as_ref().is_none_or(|d| d.is_empty()), "{damage:?}");
    assert_eq!(again, ours);
    common::assert_validation_clean(&instance);
}

#[test]
fn tint_matches_pixman() {
    let size = (160, 120);
    let (instance, mut vulkan, mut pixman) =
        outputs(size, 1.0, Transform::Normal, TextureFilter::Nearest);
    vulkan.renderer.set_debug_flags(DebugFlags::TINT);
    pixman.renderer.set_debug_flags(DebugFlags::TINT);
    let scene = Scene::new();
    let (_, ours) = vulkan.render(&scene, 1.0, 0);
    let (_, theirs) = pixman.render(&scene, 1.0, 0);
    assert_same(&ours, &theirs, size.0, "tinted");
    // The tint changed the picture.
    vulkan.renderer.set_debug_flags(DebugFlags::empty());
    let (_, plain) = vulkan.render(&scene, 1.0, 0);
    assert_ne!(plain, ours);
    common::assert_validation_clean(&instance);
}

/// Reads a whole texture back, RGBA.
fn read(renderer: &mut VulkanRenderer, texture: &VulkanTexture) -> Vec<u8> {
    use smithay::backend::renderer::Texture as _;
    let region = Rectangle::from_size(texture.size());
    let mapping = renderer
        .copy_texture(texture, region, Fourcc::Abgr8888)
        .unwrap();
    renderer.map_texture(&mapping).unwrap().to_vec()
}

#[test]
fn memory_imports_flipped_and_updated() {
    let (instance, mut renderer) = vulkan();
    // 2x3 ABGR8888 (bytes R, G, B, A): row y holds value 10 * (y + 1).
    let rows = |base: u8| -> Vec<u8> {
        (0..3u8)
            .flat_map(|y| [base + 10 * (y + 1), 0, 0, 255].repeat(2))
            .collect()
    };
    let upright = renderer
        .import_memory(&rows(0), Fourcc::Abgr8888, (2, 3).into(), false)
        .unwrap();
    assert_eq!(read(&mut renderer, &upright), rows(0));
    // Flipped memory is stored bottom-up: the texture shows its last row first.
    let flipped = renderer
        .import_memory(&rows(0), Fourcc::Abgr8888, (2, 3).into(), true)
        .unwrap();
    let expect: Vec<u8> = rows(0).chunks(8).rev().flatten().copied().collect();
    assert_eq!(read(&mut renderer, &flipped), expect);
    // Updating the first stored row of a flipped texture changes its bottom row.
    renderer
        .update_memory(
            &flipped,
            &rows(100),
            Rectangle::new((0, 0).into(), (2, 1).into()),
        )
        .unwrap();
    let mut expect = expect;
    expect[16..24].copy_from_slice(&rows(100)[0..8]);
    assert_eq!(read(&mut renderer, &flipped), expect);
    common::assert_validation_clean(&instance);
}

#[test]
fn bad_input_is_an_error() {
    let (instance, mut renderer) = vulkan();
    // Too little memory for the size.
    let err = renderer
        .import_memory(&[0; 10], Fourcc::Argb8888, (4, 4).into(), false)
        .unwrap_err();
    assert!(err.to_string().contains("bytes"), "{err}");
    // A format no memory import takes.
    assert!(renderer
        .import_memory(&[0; 64], Fourcc::Nv12, (4, 4).into(), false)
        .is_err());
    // An empty target.
    assert!(renderer
        .create_buffer(Fourcc::Argb8888, (0, 16).into())
        .is_err());
    // An output size that is not the framebuffer's.
    let mut target = renderer
        .create_buffer(Fourcc::Argb8888, (16, 16).into())
        .unwrap();
    let mut framebuffer = renderer.bind(&mut target).unwrap();
    assert!(renderer
        .render(&mut framebuffer, (8, 8).into(), Transform::Normal)
        .is_err());
    // A texture imported for sampling is not a render target.
    let mut texture = renderer
        .import_memory(&[0; 64], Fourcc::Argb8888, (4, 4).into(), false)
        .unwrap();
    assert!(renderer.bind(&mut texture).is_err());
    // Another renderer's target.
    let (_, mut other) = vulkan();
    let mut foreign = other
        .create_buffer(Fourcc::Argb8888, (4, 4).into())
        .unwrap();
    assert!(renderer.bind(&mut foreign).is_err());
    // Drawing another renderer's texture, or a source outside the texture, is refused at
    // the draw.
    {
        let foreign_texture = other
            .import_memory(&[0; 64], Fourcc::Argb8888, (4, 4).into(), false)
            .unwrap();
        let own = renderer
            .import_memory(&[0; 64], Fourcc::Argb8888, (4, 4).into(), false)
            .unwrap();
        let mut framebuffer = renderer.bind(&mut target).unwrap();
        let mut frame = renderer
            .render(&mut framebuffer, (16, 16).into(), Transform::Normal)
            .unwrap();
        let dst = Rectangle::from_size((4, 4).into());
        let draw = |frame: &mut vkcompose::smithay::VulkanFrame<'_, '_>, texture, src| {
            frame.render_texture_from_to(texture, src, dst, &[dst], &[], Transform::Normal, 1.0)
        };
        let whole = Rectangle::from_size((4.0, 4.0).into());
        assert!(draw(&mut frame, &foreign_texture, whole).is_err());
        let outside = Rectangle::new((2.0, 0.0).into(), (4.0, 4.0).into());
        let err = draw(&mut frame, &own, outside).unwrap_err();
        assert!(err.to_string().contains("not inside"), "{err}");
        frame.finish().unwrap().wait().unwrap();
    }
    // A readback region outside the framebuffer.
    let framebuffer = renderer.bind(&mut target).unwrap();
    assert!(renderer
        .copy_framebuffer(
            &framebuffer,
            Rectangle::new((8, 8).into(), (16, 16).into()),
            Fourcc::Abgr8888
        )
        .is_err());
    common::assert_validation_clean(&instance);
}

#[test]
fn frames_end_in_a_fence_and_drop_still_draws() {
    let (instance, mut renderer) = vulkan();
    let mut target = renderer
        .create_buffer(Fourcc::Abgr8888, (8, 8).into())
        .unwrap();
    let red = Color32F::new(1.0, 0.0, 0.0, 1.0);
    let whole = [Rectangle::from_size((8, 8).into())];
    let sync = {
        let mut framebuffer = renderer.bind(&mut target).unwrap();
        let mut frame = renderer
            .render(&mut framebuffer, (8, 8).into(), Transform::Normal)
            .unwrap();
        frame.clear(red, &whole).unwrap();
        frame.finish().unwrap()
    };
    let fence = sync.get::<VulkanFence>().expect("a vkcompose fence");
    sync.wait().unwrap();
    assert!(sync.is_reached());
    let exportable = renderer.renderer().device().capabilities().sync_file.export;
    assert_eq!(sync.is_exportable(), exportable);
    assert_eq!(sync.export().is_some(), exportable);
    assert!(fence.point().belongs_to(renderer.renderer()));
    // A frame of this renderer needs no wait in the next one.
    {
        let mut framebuffer = renderer.bind(&mut target).unwrap();
        let mut frame = renderer
            .render(&mut framebuffer, (8, 8).into(), Transform::Normal)
            .unwrap();
        frame.wait(&sync).unwrap();
        frame
            .draw_solid(
                Rectangle::new((4, 0).into(), (4, 8).into()),
                &[Rectangle::from_size((4, 8).into())],
                Color32F::new(0.0, 0.0, 1.0, 1.0),
            )
            .unwrap();
        // Dropped, not finished: Smithay allows it, and the draw lands.
    }
    let pixels = read(&mut renderer, &target);
    assert_eq!(&pixels[0..4], &[255, 0, 0, 255]);
    assert_eq!(&pixels[16..20], &[0, 0, 255, 255]);
    common::assert_validation_clean(&instance);
}

#[test]
fn blit_copies_and_scales() {
    let (instance, mut renderer) = vulkan();
    let data = gradient(8, 8, true);
    let mut source = renderer
        .create_buffer(Fourcc::Argb8888, (8, 8).into())
        .unwrap();
    let texture = renderer
        .import_memory(&data, Fourcc::Argb8888, (8, 8).into(), false)
        .unwrap();
    {
        let mut framebuffer = renderer.bind(&mut source).unwrap();
        let mut frame = renderer
            .render(&mut framebuffer, (8, 8).into(), Transform::Normal)
            .unwrap();
        frame
            .render_texture_at(
                &texture,
                (0, 0).into(),
                1,
                1.0,
                Transform::Normal,
                &[Rectangle::from_size((8, 8).into())],
                &[],
                1.0,
            )
            .unwrap();
        frame.finish().unwrap().wait().unwrap();
    }
    let mut target = renderer
        .create_buffer(Fourcc::Abgr8888, (16, 16).into())
        .unwrap();
    let from = renderer.bind(&mut source).unwrap();
    let mut to = renderer.bind(&mut target).unwrap();
    renderer
        .blit(
            &from,
            &mut to,
            Rectangle::from_size((8, 8).into()),
            Rectangle::new((0, 0).into(), (16, 16).into()),
            TextureFilter::Nearest,
        )
        .unwrap();
    drop((from, to));
    let pixels = read(&mut renderer, &target);
    // Every source texel (BGRA bytes) became a 2x2 block (RGBA bytes).
    for y in 0..16 {
        for x in 0..16 {
            let s = ((y / 2) * 8 + x / 2) * 4;
            let expected = [data[s + 2], data[s + 1], data[s], data[s + 3]];
            common::assert_pixel(&pixels, 16, x as u32, y as u32, expected, "blit");
        }
    }
    common::assert_validation_clean(&instance);
}

#[test]
fn smithay_dmabufs_import_through_the_renderer() {
    use smithay::backend::allocator::dmabuf::{Dmabuf, DmabufFlags};
    use smithay::backend::allocator::{Format, Modifier};
    use smithay::backend::renderer::ImportDma;

    let (instance, mut renderer) = vulkan();
    let formats = renderer.dmabuf_formats();
    let linear_argb = Format {
        code: Fourcc::Argb8888,
        modifier: Modifier::Linear,
    };
    assert!(formats.contains(&linear_argb), "{formats:?}");

    // 6x4 ARGB8888 with a 32-byte stride and a 64-byte offset.
    let data = gradient(6, 4, false);
    let mut bytes = vec![0xEE; 64 + 32 * 4];
    for (row, pixels) in data.chunks_exact(24).enumerate() {
        bytes[64 + row * 32..][..24].copy_from_slice(pixels);
    }
    let mut builder = Dmabuf::builder(
        (6, 4),
        Fourcc::Argb8888,
        Modifier::Linear,
        DmabufFlags::empty(),
    );
    assert!(builder.add_plane(fds::memfd(&bytes), 0, 64, 32));
    let mut dmabuf = builder.build().unwrap();

    let texture = renderer.import_dmabuf(&dmabuf, None).unwrap();
    let pixels = read(&mut renderer, &texture);
    for (i, (ours, bgra)) in pixels.chunks_exact(4).zip(data.chunks_exact(4)).enumerate() {
        assert_eq!(ours, [bgra[2], bgra[1], bgra[0], bgra[3]], "pixel {i}");
    }
    // The same client buffer on the next commit is the same texture.
    let again = renderer.import_dmabuf(&dmabuf, None).unwrap();
    assert!(std::sync::Arc::ptr_eq(texture.texture(), again.texture()));

    // A copy cannot be drawn back into the buffer: binding is refused, not faked.
    if renderer.renderer().device().capabilities().dmabuf_import != vkcompose::DmabufImport::Native
    {
        let err = renderer.bind(&mut dmabuf).unwrap_err();
        assert!(err.to_string().contains("render target"), "{err}");
    }

    // A stride too small for the width is refused with the numbers.
    let mut builder = Dmabuf::builder(
        (6, 4),
        Fourcc::Argb8888,
        Modifier::Linear,
        DmabufFlags::empty(),
    );
    assert!(builder.add_plane(fds::memfd(&bytes), 0, 0, 8));
    let err = renderer
        .import_dmabuf(&builder.build().unwrap(), None)
        .unwrap_err();
    assert!(err.to_string().contains("stride"), "{err}");
    common::assert_validation_clean(&instance);
}

/// Someone else's fence (another renderer's, a client's acquire point): it claims to be
/// pending (or signalled), exports a dup of `fd` if it has one, and counts how often it is
/// waited for on the CPU.
#[derive(Debug)]
struct ForeignFence {
    signaled: bool,
    fd: Option<std::os::fd::OwnedFd>,
    cpu_waits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl smithay::backend::renderer::sync::Fence for ForeignFence {
    fn is_signaled(&self) -> bool {
        self.signaled
    }

    fn wait(&self) -> Result<(), smithay::backend::renderer::sync::Interrupted> {
        self.cpu_waits
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    fn is_exportable(&self) -> bool {
        self.fd.is_some()
    }

    fn export(&self) -> Option<std::os::fd::OwnedFd> {
        self.fd.as_ref().map(|fd| fd.try_clone().unwrap())
    }
}

/// A sync_file that has signalled, from a frame of the vkcompose renderer underneath
/// drawing into `scratch` (one of its targets); `None` where the driver exports none.
fn signalled_sync_file(
    renderer: &mut VulkanRenderer,
    scratch: &vkcompose::Texture,
) -> Option<std::os::fd::OwnedFd> {
    let core = renderer.renderer_mut();
    if !core.device().capabilities().sync_file.export {
        return None;
    }
    let frame = core
        .render(scratch, vkcompose::geometry::Transform::Normal)
        .unwrap();
    let (point, file) = frame.finish_with_sync_file().unwrap();
    assert!(file.wait(std::time::Duration::from_secs(10)).unwrap());
    assert!(point.wait(std::time::Duration::from_secs(10)).unwrap());
    let fd = file.into_fd();
    assert!(
        fd.is_some(),
        "the driver exported -1, not a sync_file to test with"
    );
    fd
}

/// Draws a frame into `target` that waits for `fences` and clears it red; returns the
/// CPU waits the fences saw.
fn frame_waiting_for(
    renderer: &mut VulkanRenderer,
    target: &mut VulkanTexture,
    fences: Vec<ForeignFence>,
) -> usize {
    let counters: Vec<_> = fences.iter().map(|f| f.cpu_waits.clone()).collect();
    let mut framebuffer = renderer.bind(target).unwrap();
    let mut frame = renderer
        .render(&mut framebuffer, (8, 8).into(), Transform::Normal)
        .unwrap();
    for fence in fences {
        frame
            .wait(&smithay::backend::renderer::sync::SyncPoint::from(fence))
            .unwrap();
    }
    frame
        .clear(
            Color32F::new(1.0, 0.0, 0.0, 1.0),
            &[Rectangle::from_size((8, 8).into())],
        )
        .unwrap();
    frame.finish().unwrap().wait().unwrap();
    counters
        .iter()
        .map(|c| c.load(std::sync::atomic::Ordering::SeqCst))
        .sum()
}

#[test]
fn a_foreign_fence_is_waited_for_on_the_gpu_where_sync_files_import() {
    let (instance, mut renderer) = vulkan();
    let mut target = renderer
        .create_buffer(Fourcc::Abgr8888, (8, 8).into())
        .unwrap();
    let scratch = renderer
        .renderer_mut()
        .create_target(4, 4, vkcompose::format::DrmFourcc::Abgr8888)
        .unwrap();
    let device = renderer.renderer().device().clone();
    let gpu_waits = device.capabilities().sync_file.both();
    let fence = |signaled, fd| ForeignFence {
        signaled,
        fd,
        cpu_waits: Default::default(),
    };
    // A signalled fence needs no wait at all; one without a sync_file is waited for on
    // the CPU everywhere.
    let signalled = fence(true, signalled_sync_file(&mut renderer, &scratch));
    assert_eq!(
        frame_waiting_for(&mut renderer, &mut target, vec![signalled]),
        0
    );
    assert_eq!(
        frame_waiting_for(&mut renderer, &mut target, vec![fence(false, None)]),
        1
    );
    if !gpu_waits {
        // The documented fallback: without sync_file import every pending fence is
        // waited for on the CPU.
        let pending = fence(false, Some(fds::memfd(&[0])));
        assert_eq!(
            frame_waiting_for(&mut renderer, &mut target, vec![pending]),
            1
        );
        eprintln!(
            "{}: no sync_file import; checked the CPU wait",
            device.name()
        );
        common::assert_validation_clean(&instance);
        return;
    }
    // Steady frames each waiting for two foreign sync_files, on the GPU: no CPU wait and,
    // after the first frames, no new Vulkan objects.
    let mut frame = |renderer: &mut VulkanRenderer| {
        let fences = (0..2)
            .map(|_| fence(false, signalled_sync_file(renderer, &scratch)))
            .collect();
        frame_waiting_for(renderer, &mut target, fences)
    };
    for _ in 0..5 {
        assert_eq!(frame(&mut renderer), 0);
    }
    let objects = device.objects_created();
    for _ in 0..10 {
        assert_eq!(frame(&mut renderer), 0);
    }
    assert_eq!(
        device.objects_created(),
        objects,
        "objects created by steady waits"
    );
    let pixels = read(&mut renderer, &target);
    assert!(pixels.chunks_exact(4).all(|p| p == [255, 0, 0, 255]));
    // A fence whose fd is no sync_file is a typed error, not a panic.
    {
        let mut framebuffer = renderer.bind(&mut target).unwrap();
        let mut frame = renderer
            .render(&mut framebuffer, (8, 8).into(), Transform::Normal)
            .unwrap();
        let bogus = fence(false, Some(fds::memfd(&[0])));
        let err = frame
            .wait(&smithay::backend::renderer::sync::SyncPoint::from(bogus))
            .unwrap_err();
        assert!(matches!(err, vkcompose::Error::InvalidArgument(_)), "{err}");
        frame.finish().unwrap().wait().unwrap();
    }
    common::assert_validation_clean(&instance);
}

/// Smithay 0.7 has no colour API: the framebuffer's description is set through
/// vkcompose's methods, and Smithay's colours (premultiplied sRGB) are re-encoded for it.
/// sRGB white clears a PQ target to 203 cd/m^2 (PQ 0.58, computed here from ST 2084).
#[test]
fn srgb_colours_land_at_reference_white_in_a_pq_framebuffer() {
    let (instance, mut renderer) = vulkan();
    let mut target = renderer
        .create_buffer(Fourcc::Abgr2101010, (4, 2).into())
        .unwrap();
    let whole = [Rectangle::from_size((4, 2).into())];
    {
        let mut framebuffer = renderer.bind(&mut target).unwrap();
        framebuffer
            .set_color_description(vkcompose::color::ColorDescription::bt2020_pq())
            .unwrap();
        let mut frame = renderer
            .render(&mut framebuffer, (4, 2).into(), Transform::Normal)
            .unwrap();
        frame
            .clear(Color32F::new(1.0, 1.0, 1.0, 1.0), &whole)
            .unwrap();
        frame.finish().unwrap().wait().unwrap();
    }
    let mapping = renderer
        .copy_texture(
            &target,
            Rectangle::from_size((4, 2).into()),
            Fourcc::Abgr2101010,
        )
        .unwrap();
    let bytes = renderer.map_texture(&mapping).unwrap().to_vec();
    let (m1, m2) = (2610.0 / 16384.0, 2523.0 / 4096.0 * 128.0);
    let (c1, c2, c3) = (
        3424.0 / 4096.0,
        2413.0_f64 / 4096.0 * 32.0,
        2392.0 / 4096.0 * 32.0,
    );
    let y = (203.0_f64 / 10_000.0).powf(m1);
    let pq = ((c1 + c2 * y) / (1.0 + c3 * y)).powf(m2) * 1023.0;
    for word in bytes.chunks(4) {
        let word = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        for c in [word & 0x3ff, (word >> 10) & 0x3ff, (word >> 20) & 0x3ff] {
            assert!((f64::from(c) - pq).abs() <= 1.0, "{c} against {pq}");
        }
    }
    common::assert_validation_clean(&instance);
}
