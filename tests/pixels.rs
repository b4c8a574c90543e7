//! Draws through the generated pipelines on a real device and checks every pixel against
//! values computed here, independently of the shaders.

mod common;
#[path = "../examples/effects/tests/reference/mod.rs"]
mod reference;

use common::*;
use vkcompose::shaders::{passes, sets, solid, texture, Pipelines};
use vkcompose::{vk, Error, Filter, Recorder, RenderPass, Sampler};

const SIZE: u32 = 64;
const BACKGROUND: [u8; 4] = [20, 40, 60, 255];

/// A 2x2 premultiplied texture: opaque red, half-transparent green, transparent, and
/// opaque blue.
const TEXELS: [[u8; 4]; 4] = [
    [255, 0, 0, 255],
    [0, 128, 0, 128],
    [0, 0, 0, 0],
    [0, 0, 255, 255],
];

struct TexturedQuad {
    dst: [f32; 4],
    uv_offset: [f32; 2],
    uv_axes: [f32; 4],
    alpha: f32,
    opaque: bool,
}

impl TexturedQuad {
    fn instance(&self) -> texture::Instance {
        texture::Instance {
            dst: self.dst,
            uv_offset: self.uv_offset,
            uv_axes: self.uv_axes,
            alpha: self.alpha,
        }
    }

    /// The texel a pixel center samples with nearest filtering, from the same affine map
    /// the shader applies, or `None` outside the quad.
    fn texel_at(&self, x: u32, y: u32) -> Option<[f32; 4]> {
        let [dx, dy, w, h] = self.dst;
        let (cx, cy) = ((x as f32 + 0.5 - dx) / w, (y as f32 + 0.5 - dy) / h);
        if !(0.0..1.0).contains(&cx) || !(0.0..1.0).contains(&cy) {
            return None;
        }
        let u = self.uv_offset[0] + cx * self.uv_axes[0] + cy * self.uv_axes[2];
        let v = self.uv_offset[1] + cx * self.uv_axes[1] + cy * self.uv_axes[3];
        let (tx, ty) = (
            (u * 2.0).floor().clamp(0.0, 1.0) as usize,
            (v * 2.0).floor().clamp(0.0, 1.0) as usize,
        );
        let mut texel = to_float(TEXELS[ty * 2 + tx]);
        if self.opaque {
            texel[3] = 1.0;
        }
        Some(texel.map(|c| c * self.alpha))
    }
}

/// A device with the shipped pipelines for RGBA8 targets and a sampler.
struct Shipped {
    instance: vkcompose::Instance,
    device: vkcompose::Device,
    pass: RenderPass<passes::Output>,
    pipelines: Pipelines,
    sampler: Sampler,
}

fn shipped(filter: Filter) -> Shipped {
    let (instance, device) = gpu();
    let pass = RenderPass::<passes::Output>::new(&device, vk::Format::R8G8B8A8_UNORM).unwrap();
    let pipelines = Pipelines::new(&device, &pass, vk::PipelineCache::null()).unwrap();
    let sampler = Sampler::new(&device, filter).unwrap();
    Shipped {
        instance,
        device,
        pass,
        pipelines,
        sampler,
    }
}

#[test]
fn textured_and_solid_quads_match_computed_pixels() {
    let Shipped {
        instance,
        device,
        pass,
        pipelines,
        sampler,
    } = shipped(Filter::Nearest);
    let source = rgba_texture(&device, 2, 2, true);
    let target = rgba_texture(&device, SIZE, SIZE, true);

    let quads = [
        // Plain: each texel covers a 16x16 quarter.
        TexturedQuad {
            dst: [4.0, 4.0, 32.0, 32.0],
            uv_offset: [0.0, 0.0],
            uv_axes: [1.0, 0.0, 0.0, 1.0],
            alpha: 1.0,
            opaque: false,
        },
        // Rotated by 90 degrees through the UV axes, at half opacity.
        TexturedQuad {
            dst: [40.0, 4.0, 16.0, 16.0],
            uv_offset: [1.0, 0.0],
            uv_axes: [0.0, 1.0, -1.0, 0.0],
            alpha: 0.5,
            opaque: false,
        },
    ];
    let opaque = TexturedQuad {
        dst: [4.0, 40.0, 16.0, 16.0],
        uv_offset: [0.0, 0.0],
        uv_axes: [1.0, 0.0, 0.0, 1.0],
        alpha: 0.5,
        opaque: true,
    };
    let solid_color = [0.5, 0.25, 0.0, 0.5];
    let solid_dst = [40.0, 40.0, 16.0, 8.0];

    let mut recorder = Recorder::new(&device).unwrap();
    let texels: Vec<u8> = TEXELS.concat();
    recorder.upload(&source, &texels).unwrap();
    recorder.clear(&target, to_float(BACKGROUND)).unwrap();
    {
        let mut frame = recorder.begin_pass(&pass, &target, [0.0; 4]).unwrap();
        let push = texture::Push {
            target_size: [SIZE as f32; 2],
        };
        let tex = sets::Textured {
            tex: vkcompose::pipelines::SampledTexture::new(&source, &sampler),
        };
        let instances: Vec<_> = quads.iter().map(TexturedQuad::instance).collect();
        frame
            .draw(
                &pipelines.texture.variant(texture::Variant::Alpha),
                &push,
                tex,
                &instances,
            )
            .unwrap();
        frame
            .draw(
                &pipelines.texture.variant(texture::Variant::Opaque),
                &push,
                tex,
                &[opaque.instance()],
            )
            .unwrap();
        let solid_push = solid::Push {
            target_size: [SIZE as f32; 2],
        };
        frame
            .draw(
                &pipelines.solid,
                &solid_push,
                (),
                &[solid::Instance {
                    dst: solid_dst,
                    color: solid_color,
                }],
            )
            .unwrap();
    }
    let readback = recorder.read_back(&target).unwrap();
    let finished = recorder.finish().unwrap();
    let pixels = finished.bytes(readback);

    for y in 0..SIZE {
        for x in 0..SIZE {
            let mut expected = to_float(BACKGROUND);
            for quad in quads.iter().chain([&opaque]) {
                if let Some(texel) = quad.texel_at(x, y) {
                    expected = over(texel, expected);
                }
            }
            let [sx, sy, sw, sh] = solid_dst;
            let inside = |p: u32, start: f32, len: f32| {
                (p as f32 + 0.5) >= start && (p as f32 + 0.5) < start + len
            };
            if inside(x, sx, sw) && inside(y, sy, sh) {
                expected = over(solid_color, expected);
            }
            assert_pixel(pixels, SIZE, x, y, to_unorm(expected), "composited frame");
        }
    }
    // Spot checks that the computed reference itself is not trivially the background.
    assert_pixel(pixels, SIZE, 10, 10, [255, 0, 0, 255], "opaque red texel");
    // Rotated: the top-left quarter shows the top-right texel (half-transparent green).
    let green = to_float(TEXELS[1]).map(|c| c * 0.5);
    assert_pixel(
        pixels,
        SIZE,
        44,
        8,
        to_unorm(over(green, to_float(BACKGROUND))),
        "rotated quad",
    );
    drop(finished);
    assert_validation_clean(&instance);
}

#[test]
fn drawing_a_texture_that_was_never_uploaded_is_an_error_not_invalid_usage() {
    let Shipped {
        instance,
        device,
        pass,
        pipelines,
        sampler,
    } = shipped(Filter::Linear);
    let never_uploaded = rgba_texture(&device, 4, 4, true);
    let target = rgba_texture(&device, 8, 8, true);
    let mut recorder = Recorder::new(&device).unwrap();
    recorder.clear(&target, [0.0; 4]).unwrap();
    {
        let mut frame = recorder.begin_pass(&pass, &target, [0.0; 4]).unwrap();
        let tex = sets::Textured {
            tex: vkcompose::pipelines::SampledTexture::new(&never_uploaded, &sampler),
        };
        let push = texture::Push {
            target_size: [8.0, 8.0],
        };
        let instance = texture::Instance {
            dst: [0.0, 0.0, 8.0, 8.0],
            uv_offset: [0.0; 2],
            uv_axes: [1.0, 0.0, 0.0, 1.0],
            alpha: 1.0,
        };
        let result = frame.draw(&pipelines.texture, &push, tex, &[instance]);
        assert!(
            matches!(result, Err(Error::InvalidArgument(_))),
            "{:?}",
            result.err()
        );
    }
    recorder.finish().unwrap();
    assert_validation_clean(&instance);
}

#[test]
fn a_render_pass_rejects_a_target_of_another_format() {
    let (instance, device) = gpu();
    let pass = RenderPass::<passes::Output>::new(&device, vk::Format::B8G8R8A8_UNORM).unwrap();
    let target = rgba_texture(&device, 8, 8, true);
    let mut recorder = Recorder::new(&device).unwrap();
    assert!(matches!(
        recorder.begin_pass(&pass, &target, [0.0; 4]),
        Err(Error::InvalidArgument(_))
    ));
    recorder.finish().unwrap();
    assert_validation_clean(&instance);
}

#[test]
fn uploading_the_wrong_number_of_bytes_is_an_error() {
    let (instance, device) = gpu();
    let texture = rgba_texture(&device, 2, 2, true);
    let mut recorder = Recorder::new(&device).unwrap();
    let result = recorder.upload(&texture, &[0u8; 15]);
    assert!(
        matches!(&result, Err(Error::InvalidArgument(m)) if m.contains("16 bytes")),
        "{result:?}"
    );
    recorder.finish().unwrap();
    assert_validation_clean(&instance);
}

#[test]
fn the_opaque_pipeline_replaces_instead_of_blending() {
    let Shipped {
        instance,
        device,
        pass,
        pipelines,
        sampler,
    } = shipped(Filter::Nearest);
    let source = rgba_texture(&device, 2, 2, true);
    let target = rgba_texture(&device, 2, 2, true);
    let mut recorder = Recorder::new(&device).unwrap();
    recorder.upload(&source, &TEXELS.concat()).unwrap();
    recorder.clear(&target, to_float(BACKGROUND)).unwrap();
    {
        let mut frame = recorder.begin_pass(&pass, &target, [0.0; 4]).unwrap();
        let set = sets::Textured {
            tex: vkcompose::pipelines::SampledTexture::new(&source, &sampler),
        };
        // The same instance type as `texture`: both pipelines come from the same shaders.
        let quad = texture::Instance {
            dst: [0.0, 0.0, 2.0, 2.0],
            uv_offset: [0.0; 2],
            uv_axes: [1.0, 0.0, 0.0, 1.0],
            alpha: 1.0,
        };
        let push = texture::Push {
            target_size: [2.0, 2.0],
        };
        frame
            .draw(&pipelines.texture_opaque, &push, set, &[quad])
            .unwrap();
    }
    let readback = recorder.read_back(&target).unwrap();
    let finished = recorder.finish().unwrap();
    for (i, texel) in TEXELS.iter().enumerate() {
        // Replaced, not blended: even the transparent texel overwrites the background.
        assert_pixel(
            finished.bytes(readback),
            2,
            i as u32 % 2,
            i as u32 / 2,
            *texel,
            "opaque pipeline",
        );
    }
    drop(finished);
    assert_validation_clean(&instance);
}

/// A custom draw through `Frame::draw_damaged` changes only its damage: a solid quad over
/// the whole 8x8 target, damage two rectangles (one reaching past the target's edge, one
/// empty): inside them the quad's colour, everywhere else the clear colour. A second frame
/// draws the same with no damage and changes nothing.
#[test]
fn a_custom_draw_with_damage_changes_only_the_damage() {
    let (instance, device) = gpu();
    let mut renderer = vkcompose::Renderer::new(&device, &Default::default()).unwrap();
    let pass = RenderPass::<passes::Output>::new(&device, vk::Format::R8G8B8A8_UNORM).unwrap();
    let pipelines = Pipelines::new(&device, &pass, vk::PipelineCache::null()).unwrap();
    let target = renderer
        .create_target(8, 8, vkcompose::format::DrmFourcc::Abgr8888)
        .unwrap();
    let whole = vkcompose::geometry::Rect::new(0, 0, 8, 8);
    let damage = [
        vkcompose::geometry::Rect::new(1, 2, 3, 2),
        vkcompose::geometry::Rect::new(6, 5, 4, 9),
        vkcompose::geometry::Rect::new(0, 0, 0, 4),
    ];
    let inside = |x: i32, y: i32| {
        damage
            .iter()
            .any(|r| (r.x..r.x + r.w).contains(&x) && (r.y..r.y + r.h).contains(&y))
    };
    let push = solid::Push {
        target_size: [8.0, 8.0],
    };
    let quad = solid::Instance {
        dst: [0.0, 0.0, 8.0, 8.0],
        color: [0.0, 1.0, 0.0, 1.0],
    };
    for (rects, what) in [(&damage[..], "damaged"), (&[][..], "undamaged")] {
        let mut frame = renderer
            .render(&target, vkcompose::geometry::Transform::Normal)
            .unwrap();
        if what == "damaged" {
            frame.clear([1.0, 0.0, 0.0, 1.0], &[whole]).unwrap();
        }
        frame
            .draw_damaged(&pipelines.solid, push, (), &[quad], rects)
            .unwrap();
        let point = frame.finish().unwrap();
        point.wait(std::time::Duration::MAX).unwrap();
        let readback = renderer
            .copy_framebuffer(&target, whole, vkcompose::format::DrmFourcc::Abgr8888)
            .unwrap();
        for (i, px) in readback.bytes().unwrap().chunks_exact(4).enumerate() {
            let (x, y) = (i as i32 % 8, i as i32 / 8);
            let want = if inside(x, y) {
                [0, 255, 0, 255]
            } else {
                [255, 0, 0, 255]
            };
            assert_eq!(px, want, "{what} frame, pixel ({x}, {y})");
        }
    }
    assert_validation_clean(&instance);
}

/// An owned custom draw (`Frame::draw_owned`) keeps its pipeline and resources until the
/// frame's work is done: the caller drops its handles right after the call, and the
/// texture still lands, texel for texel. A pipeline built for another format is a typed
/// error when the frame is finished, not invalid Vulkan usage.
#[test]
fn an_owned_custom_draw_outlives_its_callers_handles_and_checks_the_format() {
    let (instance, device) = gpu();
    let mut renderer = vkcompose::Renderer::new(&device, &Default::default()).unwrap();
    let pass = RenderPass::<passes::Output>::new(&device, vk::Format::R8G8B8A8_UNORM).unwrap();
    let pipeline = std::sync::Arc::new(
        texture::Pipeline::new(&device, &pass, vk::PipelineCache::null()).unwrap(),
    );
    let texels: Vec<[u8; 4]> = (0..16u8).map(|i| [i * 16, 255 - i * 16, i, 255]).collect();
    let source = std::sync::Arc::new(import_rgba(&mut renderer, &texels, 4));
    let sampler = Sampler::new(&device, Filter::Nearest).unwrap();
    let target = renderer
        .create_target(4, 4, vkcompose::format::DrmFourcc::Abgr8888)
        .unwrap();
    let mut frame = renderer
        .render(&target, vkcompose::geometry::Transform::Normal)
        .unwrap();
    let quad = frame.quad(
        whole(4, 4),
        vkcompose::geometry::RectF::new(0.0, 0.0, 1.0, 1.0),
    );
    let instance_data = texture::Instance {
        dst: quad.dst,
        uv_offset: quad.uv_offset,
        uv_axes: quad.uv_axes,
        alpha: 1.0,
    };
    let push = texture::Push {
        target_size: frame.target_size(),
    };
    frame
        .draw_owned(
            pipeline.clone(),
            push,
            (source.clone(), sampler.clone()),
            |(texture, sampler)| sets::Textured {
                tex: vkcompose::pipelines::SampledTexture::new(texture, sampler),
            },
            &[instance_data],
            &[whole(4, 4)],
        )
        .unwrap();
    drop((pipeline, source, sampler));
    frame
        .finish()
        .unwrap()
        .wait(std::time::Duration::MAX)
        .unwrap();
    assert_eq!(read_rgba(&mut renderer, &target, whole(4, 4)), texels);

    // Built for BGRA, drawn into RGBA.
    let other = RenderPass::<passes::Output>::new(&device, vk::Format::B8G8R8A8_UNORM).unwrap();
    let pipelines = Pipelines::new(&device, &other, vk::PipelineCache::null()).unwrap();
    let mut frame = renderer
        .render(&target, vkcompose::geometry::Transform::Normal)
        .unwrap();
    let quad = solid::Instance {
        dst: [0.0, 0.0, 4.0, 4.0],
        color: [1.0; 4],
    };
    let push = solid::Push {
        target_size: [4.0, 4.0],
    };
    frame.draw(&pipelines.solid, push, (), &[quad]).unwrap();
    let result = frame.finish();
    assert!(
        matches!(&result, Err(Error::InvalidArgument(m)) if m.contains("built for")),
        "{:?}",
        result.err()
    );
    assert_validation_clean(&instance);
}

/// The output pixel (x, y) of a `w` x `h` output shown turned by `transform`, as the
/// target pixel it lands on: the pixel's centre carried to the target and floored.
fn target_pixel(
    transform: vkcompose::geometry::Transform,
    (w, h): (u32, u32),
    x: u32,
    y: u32,
) -> (u32, u32) {
    let forward = transform.invert();
    let centre = [
        (f64::from(x) + 0.5) / f64::from(w),
        (f64::from(y) + 0.5) / f64::from(h),
    ];
    let [u, v] = forward.source_point(centre);
    let (tw, th) = if transform.swaps_axes() {
        (h, w)
    } else {
        (w, h)
    };
    ((u * f64::from(tw)) as u32, (v * f64::from(th)) as u32)
}

/// `Frame::render_texture_rounded`: an opaque white texture with four different corner
/// radii (one square) over transparent black, on outputs turned every way, on the
/// single-pass path and on the linear path: every pixel is the area of its square inside
/// the rounded rectangle (in the output's coordinates, integrated numerically here), as
/// stored on the single-pass path and sRGB-encoded light on the linear one, within 2/255.
#[test]
fn rounded_texture_draws_cover_each_pixel_by_its_area_under_every_transform() {
    use vkcompose::geometry::{CornerRadii, Rect, RectF, Transform};
    let (instance, device) = gpu();
    let mut renderer = vkcompose::Renderer::new(&device, &Default::default()).unwrap();
    let texture = import_rgba(&mut renderer, &vec![[255u8; 4]; 20 * 14], 20);
    let corners = CornerRadii {
        top_left: 5.0,
        top_right: 2.5,
        bottom_right: 7.0,
        bottom_left: 0.0,
    };
    let dst = Rect::new(3, 4, 20, 14);
    let output = (28u32, 24u32);
    let mut partial = 0;
    for linear in [false, true] {
        for transform in Transform::ALL {
            let (tw, th) = if transform.swaps_axes() {
                (output.1, output.0)
            } else {
                output
            };
            let target = renderer
                .create_target(tw, th, vkcompose::format::DrmFourcc::Abgr8888)
                .unwrap();
            let mut frame = renderer.render(&target, transform).unwrap();
            frame.set_linear_blending(linear);
            let all = Rect::new(0, 0, output.0 as i32, output.1 as i32);
            frame.clear([0.0; 4], &[all]).unwrap();
            let draw = vkcompose::TextureDraw {
                src: RectF::new(0.0, 0.0, 20.0, 14.0),
                dst,
                damage: &[all],
                opaque: &[],
                transform: Transform::Normal,
                alpha: 1.0,
                filter: Filter::Nearest,
            };
            frame
                .render_texture_rounded(&texture, &draw, corners)
                .unwrap();
            frame
                .finish()
                .unwrap()
                .wait(std::time::Duration::MAX)
                .unwrap();
            let pixels = read_rgba(&mut renderer, &target, whole(tw, th));
            let radii = corners.to_array().map(f64::from);
            for y in 0..output.1 {
                for x in 0..output.0 {
                    let (lx, ly) = (f64::from(x) - 3.0, f64::from(y) - 4.0);
                    let covered = reference::coverage(lx, ly, 20.0, 14.0, radii);
                    if covered > 0.01 && covered < 0.99 {
                        partial += 1;
                    }
                    let light = if linear {
                        srgb_encode(covered)
                    } else {
                        covered
                    };
                    let expected = (light * 255.0).round() as i32;
                    let (px, py) = target_pixel(transform, output, x, y);
                    let got = pixels[(py * tw + px) as usize];
                    let alpha = (covered * 255.0).round() as i32;
                    let ok = (i32::from(got[0]) - expected).abs() <= 2
                        && (i32::from(got[3]) - alpha).abs() <= 2;
                    assert!(ok, "{transform:?}, linear {linear}: output pixel ({x}, {y}) is {got:?}, expected colour {expected}, alpha {alpha}");
                }
            }
        }
    }
    assert!(
        partial > 16 * 20,
        "only {partial} partly covered pixels checked"
    );
    assert_validation_clean(&instance);
}

/// The sRGB encoding of linear light in [0, 1].
fn srgb_encode(linear: f64) -> f64 {
    if linear <= 0.0031308 {
        12.92 * linear
    } else {
        1.055 * linear.powf(1.0 / 2.4) - 0.055
    }
}
