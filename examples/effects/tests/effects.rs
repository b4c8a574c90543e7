//! The effects against pixels computed here, by other means than the shaders': coverage by
//! numerical integration of the shape's height along each pixel (the shaders integrate the
//! arcs in closed form), the shadow by numerical integration of the Gaussian (the shader
//! uses an erf approximation). Each is drawn in a vkcompose frame and, through the render
//! elements, in a Smithay frame, which must give the same bytes. Validation is on.

#[path = "../../../tests/common/mod.rs"]
mod common;
mod reference;

use reference::{coverage, gaussian_share};

use std::sync::Arc;

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::utils::CommitCounter;
use smithay::backend::renderer::{Bind, ExportMem, ImportMem, Offscreen};
use smithay::utils::{Buffer, Physical, Rectangle, Size, Transform as SmithayTransform};
use vkcompose::geometry::{Rect, Transform};
use vkcompose::smithay::{VulkanRenderer, VulkanTexture};
use vkcompose::{Error, Instance, RendererOptions};
use vkcompose_effects::elements::{
    BorderElement, DecorationElement, RoundedWindowElement, ShadowElement,
};
use vkcompose_effects::{Border, Corners, Effects, Paint, Shadow};

const SIZE: i32 = 48;
const WINDOW: Rect = Rect {
    x: 10,
    y: 12,
    w: 26,
    h: 22,
};
const CORNERS: Corners = Corners {
    top_left: 9.0,
    top_right: 4.5,
    bottom_right: 11.0,
    bottom_left: 0.0,
};

/// The shadow the shadow tests draw.
const SHADOW: Shadow = Shadow {
    offset: [2, 3],
    sigma: 3.0,
    color: [0.0, 0.0, 0.0, 0.75],
};

fn setup() -> (Instance, VulkanRenderer, Arc<Effects>) {
    let (instance, device) = common::gpu();
    let renderer = vkcompose::Renderer::new(&device, &RendererOptions::default()).unwrap();
    let effects = Arc::new(Effects::new(&device).unwrap());
    (instance, VulkanRenderer::new(renderer), effects)
}

/// An opaque white window texture, imported the way Smithay imports shm.
fn white_window(renderer: &mut VulkanRenderer) -> VulkanTexture {
    let data = vec![255u8; (WINDOW.w * WINDOW.h * 4) as usize];
    let size: Size<i32, Buffer> = (WINDOW.w, WINDOW.h).into();
    renderer
        .import_memory(&data, Fourcc::Abgr8888, size, false)
        .unwrap()
}

fn radii(corners: Corners) -> [f64; 4] {
    [
        corners.top_left,
        corners.top_right,
        corners.bottom_right,
        corners.bottom_left,
    ]
    .map(f64::from)
}

/// The decorated window drawn in a vkcompose frame: shadow, window, border, in order.
fn draw_core(
    vulkan: &mut VulkanRenderer,
    effects: &Arc<Effects>,
    window: &VulkanTexture,
    what: &Scene,
) -> Vec<[u8; 4]> {
    let renderer = vulkan.renderer_mut();
    let target = renderer
        .create_target(
            SIZE as u32,
            SIZE as u32,
            vkcompose::format::DrmFourcc::Abgr8888,
        )
        .unwrap();
    let all = [common::whole(SIZE as u32, SIZE as u32)];
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    frame.clear(what.clear, &all).unwrap();
    if let Some(shadow) = &what.shadow {
        effects
            .draw_shadow(&mut frame, WINDOW, shadow, &what.damage)
            .unwrap();
    }
    if what.window {
        let texture = window.texture().clone();
        effects
            .draw_window(&mut frame, texture, WINDOW, CORNERS, 1.0, &what.damage)
            .unwrap();
    }
    if let Some(border) = &what.border {
        effects
            .draw_border(&mut frame, WINDOW, CORNERS, border, &what.damage)
            .unwrap();
    }
    frame
        .finish()
        .unwrap()
        .wait(std::time::Duration::MAX)
        .unwrap();
    common::read_rgba(renderer, &target, all[0])
}

/// The same through Smithay: the effects' render elements in a damage tracker's frame.
fn draw_smithay(
    vulkan: &mut VulkanRenderer,
    effects: &Arc<Effects>,
    window: &VulkanTexture,
    what: &Scene,
) -> Vec<[u8; 4]> {
    let physical = |r: Rect| Rectangle::<i32, Physical>::new((r.x, r.y).into(), (r.w, r.h).into());
    let commit = CommitCounter::default();
    let mut elements: Vec<DecorationElement> = Vec::new();
    if let Some(border) = what.border {
        elements
            .push(BorderElement::new(effects, physical(WINDOW), CORNERS, border, commit).into());
    }
    if what.window {
        let element = RoundedWindowElement::new(
            effects,
            window.clone(),
            physical(WINDOW),
            CORNERS,
            1.0,
            commit,
        );
        elements.push(element.into());
    }
    if let Some(shadow) = what.shadow {
        elements.push(ShadowElement::new(effects, physical(WINDOW), shadow, commit).into());
    }
    let mut target = vulkan
        .create_buffer(Fourcc::Abgr8888, (SIZE, SIZE).into())
        .unwrap();
    let mut tracker = OutputDamageTracker::new((SIZE, SIZE), 1.0, SmithayTransform::Normal);
    let mut framebuffer = vulkan.bind(&mut target).unwrap();
    let [r, g, b, a] = what.clear;
    let result = tracker
        .render_output(&mut *vulkan, &mut framebuffer, 0, &elements, [r, g, b, a])
        .unwrap();
    result.sync.wait().unwrap();
    let region = Rectangle::from_size((SIZE, SIZE).into());
    let mapping = vulkan
        .copy_framebuffer(&framebuffer, region, Fourcc::Abgr8888)
        .unwrap();
    let bytes = vulkan.map_texture(&mapping).unwrap().to_vec();
    bytes.chunks(4).map(|c| [c[0], c[1], c[2], c[3]]).collect()
}

/// What a test draws.
#[derive(Clone)]
struct Scene {
    clear: [f32; 4],
    shadow: Option<Shadow>,
    window: bool,
    border: Option<Border>,
    damage: Vec<Rect>,
}

impl Scene {
    fn new() -> Scene {
        Scene {
            clear: [0.0; 4],
            shadow: None,
            window: false,
            border: None,
            damage: vec![common::whole(SIZE as u32, SIZE as u32)],
        }
    }
}

/// Draws `scene` both ways and checks that they agree byte for byte.
fn draw_both(scene: &Scene) -> (Instance, Vec<[u8; 4]>) {
    let (instance, mut vulkan, effects) = setup();
    let window = white_window(&mut vulkan);
    let core = draw_core(&mut vulkan, &effects, &window, scene);
    let smithay = draw_smithay(&mut vulkan, &effects, &window, scene);
    let differing = core.iter().zip(&smithay).filter(|(a, b)| a != b).count();
    assert_eq!(
        differing, 0,
        "core and Smithay frames differ in {differing} pixels"
    );
    (instance, core)
}

fn at(pixels: &[[u8; 4]], x: i32, y: i32) -> [u8; 4] {
    pixels[(y * SIZE + x) as usize]
}

/// Every channel of `got` within one level of `expected`.
fn assert_within_one(got: [u8; 4], expected: &[i32], what: &str) {
    let got = got.map(i32::from);
    let near = got.iter().zip(expected).all(|(g, e)| (g - e).abs() <= 1);
    assert!(near, "{what}: {got:?}, expected {expected:?}");
}

fn level(v: f64) -> i32 {
    (v * 255.0).round() as i32
}

#[test]
fn rounded_corners_cover_each_pixel_by_its_area() {
    let scene = Scene {
        window: true,
        ..Scene::new()
    };
    let (instance, pixels) = draw_both(&scene);
    let (w, h) = (f64::from(WINDOW.w), f64::from(WINDOW.h));
    let (mut worst, mut partial) = (0, 0);
    for y in 0..SIZE {
        for x in 0..SIZE {
            let (lx, ly) = (f64::from(x - WINDOW.x), f64::from(y - WINDOW.y));
            let expected = level(coverage(lx, ly, w, h, radii(CORNERS)));
            if expected > 0 && expected < 255 {
                partial += 1;
            }
            let got = at(&pixels, x, y);
            for channel in got {
                let off = (i32::from(channel) - expected).abs();
                worst = worst.max(off);
                assert!(off <= 2, "({x}, {y}): {got:?}, coverage {expected}/255");
            }
        }
    }
    // Three rounded corners have pixels the arc cuts; the square one has none.
    assert!(partial > 30, "only {partial} pixels are partly covered");
    eprintln!("worst corner coverage error: {worst}/255 over {partial} partly covered pixels");
    common::assert_validation_clean(&instance);
}

#[test]
fn a_solid_border_is_its_colour_and_follows_the_corners() {
    // Levels that are whole numbers of 255ths: 0.5 would land on a rounding boundary.
    let color = [0.0, 0.6, 0.2, 0.6];
    let width = 4.0;
    let scene = Scene {
        border: Some(Border {
            width,
            paint: Paint::Solid(color),
        }),
        ..Scene::new()
    };
    let (instance, pixels) = draw_both(&scene);
    let expected_color = color.map(|c| level(f64::from(c)));
    // The centres of the four straight sides: the colour exactly.
    let middle = [
        (WINDOW.x - 2, WINDOW.y + WINDOW.h / 2),
        (WINDOW.right() + 1, WINDOW.y + WINDOW.h / 2),
        (WINDOW.x + WINDOW.w / 2, WINDOW.y - 2),
        (WINDOW.x + WINDOW.w / 2, WINDOW.bottom() + 1),
    ];
    for (x, y) in middle {
        let got = at(&pixels, x, y).map(i32::from);
        assert_eq!(got, expected_color, "the border's centre at ({x}, {y})");
    }
    // Everywhere: the ring between the window grown by the width (corners by as much) and
    // the window, by area.
    let (w, h) = (f64::from(WINDOW.w), f64::from(WINDOW.h));
    let inner = radii(CORNERS);
    let outer = inner.map(|r| if r > 0.0 { r + f64::from(width) } else { 0.0 });
    let grow = f64::from(width);
    for y in 0..SIZE {
        for x in 0..SIZE {
            let (lx, ly) = (f64::from(x - WINDOW.x), f64::from(y - WINDOW.y));
            let ring = coverage(lx + grow, ly + grow, w + 2.0 * grow, h + 2.0 * grow, outer)
                - coverage(lx, ly, w, h, inner);
            let got = at(&pixels, x, y);
            for (channel, c) in got.iter().zip(color) {
                let expected = level(ring.max(0.0) * f64::from(c));
                let off = (i32::from(*channel) - expected).abs();
                assert!(off <= 2, "({x}, {y}): {got:?}, expected {expected} of {c}");
            }
        }
    }
    common::assert_validation_clean(&instance);
}

#[test]
fn a_gradient_border_runs_across_the_border_box() {
    let (from, to) = ([1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0]);
    let width = 4.0;
    let scene = Scene {
        border: Some(Border {
            width,
            paint: Paint::Gradient {
                from,
                to,
                direction: [2.0, 0.0],
            },
        }),
        ..Scene::new()
    };
    let (instance, pixels) = draw_both(&scene);
    // At the centres of the left and right sides and of the top: fully covered, so the
    // gradient's value at the pixel's centre, t running 0..1 across the border box.
    let span = f64::from(WINDOW.w) + 2.0 * f64::from(width);
    for (x, y) in [
        (WINDOW.x - 2, WINDOW.y + WINDOW.h / 2),
        (WINDOW.right() + 1, WINDOW.y + WINDOW.h / 2),
        (WINDOW.x + WINDOW.w / 2, WINDOW.y - 2),
    ] {
        let centre = f64::from(x - WINDOW.x) + 0.5;
        let t = (0.5 + (centre - f64::from(WINDOW.w) / 2.0) / span).clamp(0.0, 1.0);
        let expected: Vec<i32> = (0..4)
            .map(|i| level(f64::from(from[i]) * (1.0 - t) + f64::from(to[i]) * t))
            .collect();
        assert_within_one(
            at(&pixels, x, y),
            &expected,
            &format!("({x}, {y}) at t {t}"),
        );
    }
    common::assert_validation_clean(&instance);
}

#[test]
fn the_shadow_is_the_gaussian_blur_of_the_box() {
    let shadow = SHADOW;
    let scene = Scene {
        shadow: Some(shadow),
        ..Scene::new()
    };
    let (instance, pixels) = draw_both(&scene);
    let bounds = shadow.bounds(WINDOW);
    let (w, h) = (f64::from(WINDOW.w), f64::from(WINDOW.h));
    let mut worst = 0;
    for y in 0..SIZE {
        for x in 0..SIZE {
            let inside =
                (bounds.x..bounds.right()).contains(&x) && (bounds.y..bounds.bottom()).contains(&y);
            // Pixel centres relative to the shadow's box.
            let cx = f64::from(x - WINDOW.x - shadow.offset[0]) + 0.5;
            let cy = f64::from(y - WINDOW.y - shadow.offset[1]) + 0.5;
            let share = gaussian_share(cx, w, 3.0) * gaussian_share(cy, h, 3.0);
            let expected = if inside { level(0.75 * share) } else { 0 };
            let got = i32::from(at(&pixels, x, y)[3]);
            worst = worst.max((got - expected).abs());
            assert!(
                (got - expected).abs() <= 2,
                "({x}, {y}): alpha {got}, expected {expected}"
            );
        }
    }
    eprintln!("worst shadow error: {worst}/255");
    common::assert_validation_clean(&instance);
}

/// Drawn with damage, a border changes only the damage; without, nothing.
#[test]
fn a_border_drawn_with_damage_changes_only_the_damage() {
    let border = Border {
        width: 4.0,
        paint: Paint::Solid([0.0, 1.0, 0.0, 1.0]),
    };
    let red = [1.0, 0.0, 0.0, 1.0];
    let full = Scene {
        clear: red,
        border: Some(border),
        ..Scene::new()
    };
    let (instance, everything) = draw_both(&full);
    let damage = Rect::new(WINDOW.x - 6, WINDOW.y - 6, 12, 9);
    let (_instance, mut vulkan, effects) = setup();
    let window = white_window(&mut vulkan);
    let partial = Scene {
        damage: vec![damage],
        ..full.clone()
    };
    // Cleared red everywhere, the border only inside the damage.
    let pixels = draw_core(&mut vulkan, &effects, &window, &partial);
    for y in 0..SIZE {
        for x in 0..SIZE {
            let inside =
                (damage.x..damage.right()).contains(&x) && (damage.y..damage.bottom()).contains(&y);
            let expected = if inside {
                at(&everything, x, y)
            } else {
                [255, 0, 0, 255]
            };
            assert_eq!(at(&pixels, x, y), expected, "({x}, {y})");
        }
    }
    common::assert_validation_clean(&instance);
}

#[test]
fn bad_parameters_are_typed_errors() {
    let (instance, mut vulkan, effects) = setup();
    let window = white_window(&mut vulkan);
    let renderer = vulkan.renderer_mut();
    let target = renderer
        .create_target(8, 8, vkcompose::format::DrmFourcc::Abgr8888)
        .unwrap();
    let all = [Rect::new(0, 0, 8, 8)];
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    let texture = window.texture().clone();
    let too_opaque = effects.draw_window(&mut frame, texture, WINDOW, CORNERS, 1.5, &all);
    assert!(
        matches!(too_opaque, Err(Error::InvalidArgument(_))),
        "{too_opaque:?}"
    );
    let nan = Border {
        width: f32::NAN,
        paint: Paint::Solid([1.0; 4]),
    };
    let result = effects.draw_border(&mut frame, WINDOW, CORNERS, &nan, &all);
    assert!(
        matches!(result, Err(Error::InvalidArgument(_))),
        "{result:?}"
    );
    let shadow = Shadow {
        offset: [0, 0],
        sigma: -1.0,
        color: [0.0; 4],
    };
    let result = effects.draw_shadow(&mut frame, WINDOW, &shadow, &all);
    assert!(
        matches!(result, Err(Error::InvalidArgument(_))),
        "{result:?}"
    );
    frame.finish().unwrap();
    common::assert_validation_clean(&instance);
}

/// On the linear path (colour management) the border's sRGB colour is converted into the
/// blend buffer's light and back: an opaque border keeps its colour at its centres.
#[test]
fn a_border_in_a_linear_frame_keeps_its_colour() {
    let (instance, mut vulkan, effects) = setup();
    let renderer = vulkan.renderer_mut();
    let target = renderer
        .create_target(
            SIZE as u32,
            SIZE as u32,
            vkcompose::format::DrmFourcc::Abgr8888,
        )
        .unwrap();
    let all = [common::whole(SIZE as u32, SIZE as u32)];
    let color = [0.0, 0.6, 0.2, 1.0];
    let border = Border {
        width: 4.0,
        paint: Paint::Solid(color),
    };
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    frame.set_linear_blending(true);
    frame.clear([0.0, 0.0, 0.0, 1.0], &all).unwrap();
    effects
        .draw_border(&mut frame, WINDOW, CORNERS, &border, &all)
        .unwrap();
    frame
        .finish()
        .unwrap()
        .wait(std::time::Duration::MAX)
        .unwrap();
    let pixels = common::read_rgba(renderer, &target, all[0]);
    let expected = color.map(|c| level(f64::from(c)));
    for (x, y) in [
        (WINDOW.x - 2, WINDOW.y + WINDOW.h / 2),
        (WINDOW.right() + 1, WINDOW.y + WINDOW.h / 2),
    ] {
        assert_within_one(at(&pixels, x, y), &expected, &format!("({x}, {y})"));
    }
    common::assert_validation_clean(&instance);
}

/// `VulkanFrame::draw_pipeline` (a generated pipeline with its typed push constants and
/// instances, in a Smithay frame) gives the shadow the effects draw through `draw_with`.
#[test]
fn a_pipeline_drawn_with_draw_pipeline_matches_the_effect() {
    use smithay::backend::renderer::{Frame as _, Renderer as _};
    use vkcompose::geometry::RectF;
    use vkcompose_effects::shaders::{passes, shadow};
    let shadow_of = SHADOW;
    let (instance, mut vulkan, effects) = setup();
    let window = white_window(&mut vulkan);
    let scene = Scene {
        shadow: Some(shadow_of),
        ..Scene::new()
    };
    let expected = draw_core(&mut vulkan, &effects, &window, &scene);
    let device = vulkan.renderer().device().clone();
    let mut target = vulkan
        .create_buffer(Fourcc::Abgr8888, (SIZE, SIZE).into())
        .unwrap();
    let mut framebuffer = vulkan.bind(&mut target).unwrap();
    let size: Size<i32, Physical> = (SIZE, SIZE).into();
    let mut frame = vulkan
        .render(&mut framebuffer, size, SmithayTransform::Normal)
        .unwrap();
    let whole = Rectangle::from_size(size);
    frame.clear([0.0; 4].into(), &[whole]).unwrap();
    let pass =
        vkcompose::RenderPass::<passes::Output>::new(&device, frame.format().unwrap()).unwrap();
    let pipeline = Arc::new(
        shadow::Pipeline::new(&device, &pass, vkcompose::vk::PipelineCache::null()).unwrap(),
    );
    let bounds = shadow_of.bounds(WINDOW);
    let reach = f64::from(shadow_of.reach());
    let dst = Rectangle::new((bounds.x, bounds.y).into(), (bounds.w, bounds.h).into());
    let local = RectF::new(-reach, -reach, f64::from(bounds.w), f64::from(bounds.h));
    let quad = frame.quad(dst, local).unwrap();
    let push = shadow::Push {
        target_size: frame.target_size().unwrap(),
        size: [WINDOW.w as f32, WINDOW.h as f32],
        color: shadow_of.color,
        sigma: shadow_of.sigma,
    };
    let instances = [shadow::Instance {
        dst: quad.dst,
        local_offset: quad.uv_offset,
        local_axes: quad.uv_axes,
    }];
    let damage = [Rectangle::from_size(dst.size)];
    frame
        .draw_pipeline::<shadow::Pipeline, ()>(pipeline, push, (), |_| (), &instances, dst, &damage)
        .unwrap();
    frame.finish().unwrap().wait().unwrap();
    let region = Rectangle::from_size((SIZE, SIZE).into());
    let mapping = vulkan
        .copy_framebuffer(&framebuffer, region, Fourcc::Abgr8888)
        .unwrap();
    let bytes = vulkan.map_texture(&mapping).unwrap().to_vec();
    let pixels: Vec<[u8; 4]> = bytes.chunks(4).map(|c| [c[0], c[1], c[2], c[3]]).collect();
    let differing = pixels.iter().zip(&expected).filter(|(a, b)| a != b).count();
    assert_eq!(
        differing, 0,
        "draw_pipeline and the effect differ in {differing} pixels"
    );
    common::assert_validation_clean(&instance);
}
