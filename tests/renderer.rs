//! The renderer on a real device with validation on: every pixel read back is compared
//! with a value computed here from the same geometry.

mod common;

use common::{assert_validation_clean, expected_source, gpu};
use vkcompose::format::DrmFourcc;
use vkcompose::geometry::{Rect, RectF, Transform};
use vkcompose::{Error, Filter, Renderer, RendererOptions, ShmLayout, Texture, TextureDraw};

type Rgba = [u8; 4];

const BACKGROUND: Rgba = [10, 20, 30, 255];

fn renderer() -> (vkcompose::Instance, Renderer) {
    let (instance, device) = gpu();
    let renderer = Renderer::new(&device, &RendererOptions::default()).unwrap();
    (instance, renderer)
}

/// ABGR8888 is R, G, B, A in memory: test pixels are written as they read.
fn abgr(pixels: &[Rgba]) -> Vec<u8> {
    pixels.concat()
}

fn import(renderer: &mut Renderer, pixels: &[Rgba], width: u32) -> Texture {
    let height = pixels.len() as u32 / width;
    renderer
        .import_memory(
            &abgr(pixels),
            ShmLayout {
                fourcc: DrmFourcc::Abgr8888,
                width,
                height,
                stride: width * 4,
            },
        )
        .unwrap()
}

/// A target filled with `BACKGROUND`.
fn target(renderer: &mut Renderer, width: u32, height: u32) -> Texture {
    let target = renderer
        .create_target(width, height, DrmFourcc::Abgr8888)
        .unwrap();
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    let all = Rect::new(0, 0, width as i32, height as i32);
    frame.clear(unorm(BACKGROUND), &[all]).unwrap();
    frame.finish().unwrap();
    target
}

fn unorm(c: Rgba) -> [f32; 4] {
    c.map(|v| f32::from(v) / 255.0)
}

fn read(renderer: &mut Renderer, texture: &Texture) -> Vec<Rgba> {
    let region = Rect::new(0, 0, texture.width() as i32, texture.height() as i32);
    let readback = renderer
        .copy_framebuffer(texture, region, DrmFourcc::Abgr8888)
        .unwrap();
    readback
        .bytes()
        .unwrap()
        .chunks(4)
        .map(|c| [c[0], c[1], c[2], c[3]])
        .collect()
}

fn draw<'a>(src: RectF, dst: Rect, damage: &'a [Rect]) -> TextureDraw<'a> {
    TextureDraw {
        src,
        dst,
        damage,
        opaque: &[],
        transform: Transform::Normal,
        alpha: 1.0,
        filter: Filter::Nearest,
    }
}

fn assert_close(actual: Rgba, expected: Rgba, what: &str) {
    let close = actual
        .iter()
        .zip(expected)
        .all(|(&a, e)| a.abs_diff(e) <= 1);
    assert!(close, "{what}: got {actual:?}, expected {expected:?}");
}

fn assert_image(actual: &[Rgba], expected: &[Rgba], width: usize, what: &str) {
    assert_eq!(actual.len(), expected.len());
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert_close(*a, *e, &format!("{what} at ({}, {})", i % width, i / width));
    }
}

/// Six distinct opaque colours: a 2x3 image whose every turn and mirror differs.
fn asymmetric() -> Vec<Rgba> {
    (0..6u8)
        .map(|i| [40 * i + 5, 200 - 30 * i, 17 * i + 60, 255])
        .collect()
}

#[test]
fn each_of_the_eight_transforms_turns_the_image_exactly() {
    let (instance, mut renderer) = renderer();
    let image = asymmetric();
    let texture = import(&mut renderer, &image, 2);
    for t in Transform::ALL {
        let (dw, dh) = if t.swaps_axes() { (3, 2) } else { (2, 3) };
        let target = target(&mut renderer, 4, 4);
        let dst = Rect::new(1, 1, dw, dh);
        let mut frame = renderer.render(&target, Transform::Normal).unwrap();
        let damage = [dst];
        let mut d = draw(RectF::new(0.0, 0.0, 2.0, 3.0), dst, &damage);
        d.transform = t;
        frame.render_texture_from_to(&texture, &d).unwrap();
        frame.finish().unwrap();
        let pixels = read(&mut renderer, &target);
        for y in 0..4 {
            for x in 0..4 {
                let inside = (1..1 + dw as usize).contains(&x) && (1..1 + dh as usize).contains(&y);
                let expected = if inside {
                    let (sx, sy) = expected_source(t, x - 1, y - 1, 2, 3);
                    image[sy * 2 + sx]
                } else {
                    BACKGROUND
                };
                assert_close(pixels[y * 4 + x], expected, &format!("{t:?} at ({x}, {y})"));
            }
        }
    }
    drop(texture);
    drop(renderer);
    assert_validation_clean(&instance);
}

#[test]
fn half_alpha_blends_premultiplied_over_the_background() {
    let (instance, mut renderer) = renderer();
    // Premultiplied: 50% red.
    let texture = import(&mut renderer, &[[128, 0, 0, 128]; 4], 2);
    let target = target(&mut renderer, 2, 2);
    let all = Rect::new(0, 0, 2, 2);
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    let damage = [all];
    let mut d = draw(RectF::new(0.0, 0.0, 2.0, 2.0), all, &damage);
    d.alpha = 0.5;
    frame.render_texture_from_to(&texture, &d).unwrap();
    frame.finish().unwrap();
    let src = unorm([128, 0, 0, 128]).map(|c| c * 0.5);
    let dst = unorm(BACKGROUND);
    let over: Rgba =
        std::array::from_fn(|i| ((src[i] + dst[i] * (1.0 - src[3])) * 255.0).round() as u8);
    for p in read(&mut renderer, &target) {
        assert_close(p, over, "half alpha");
    }
    drop((texture, target, renderer));
    assert_validation_clean(&instance);
}

#[test]
fn a_source_crop_shows_only_the_cropped_pixels() {
    let (instance, mut renderer) = renderer();
    let image: Vec<Rgba> = (0..16u8).map(|i| [i * 15, 255 - i * 15, i, 255]).collect();
    let texture = import(&mut renderer, &image, 4);
    let target = target(&mut renderer, 2, 2);
    let all = Rect::new(0, 0, 2, 2);
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    frame
        .render_texture_from_to(&texture, &draw(RectF::new(1.0, 2.0, 2.0, 2.0), all, &[all]))
        .unwrap();
    frame.finish().unwrap();
    let expected = [image[9], image[10], image[13], image[14]];
    assert_image(&read(&mut renderer, &target), &expected, 2, "crop");
    drop((texture, target, renderer));
    assert_validation_clean(&instance);
}

#[test]
fn nearest_and_linear_scaling_match_computed_samples() {
    let (instance, mut renderer) = renderer();
    let (a, b): (Rgba, Rgba) = ([0, 0, 0, 255], [200, 100, 40, 255]);
    let texture = import(&mut renderer, &[a, b], 2);
    for filter in [Filter::Nearest, Filter::Linear] {
        let target = target(&mut renderer, 8, 1);
        let dst = Rect::new(0, 0, 8, 1);
        let mut frame = renderer.render(&target, Transform::Normal).unwrap();
        let damage = [dst];
        let mut d = draw(RectF::new(0.0, 0.0, 2.0, 1.0), dst, &damage);
        d.filter = filter;
        frame.render_texture_from_to(&texture, &d).unwrap();
        frame.finish().unwrap();
        let pixels = read(&mut renderer, &target);
        for (x, &pixel) in pixels.iter().enumerate() {
            // Pixel centre x + 0.5 samples u = (x + 0.5) / 8 of a 2-texel texture.
            let u = (x as f64 + 0.5) / 8.0 * 2.0;
            let expected: Rgba = match filter {
                Filter::Nearest => {
                    if u < 1.0 {
                        a
                    } else {
                        b
                    }
                }
                Filter::Linear => {
                    // Texel centres at 0.5 and 1.5, clamped at the edges.
                    let t = (u - 0.5).clamp(0.0, 1.0);
                    std::array::from_fn(|i| {
                        (f64::from(a[i]) * (1.0 - t) + f64::from(b[i]) * t).round() as u8
                    })
                }
            };
            assert_close(pixel, expected, &format!("{filter:?} at x {x}"));
        }
    }
    drop((texture, renderer));
    assert_validation_clean(&instance);
}

#[test]
fn damage_limits_writes_to_the_damaged_rectangles() {
    let (instance, mut renderer) = renderer();
    let white: Rgba = [255; 4];
    let texture = import(&mut renderer, &[white; 16], 4);
    let target = target(&mut renderer, 4, 4);
    let dst = Rect::new(0, 0, 4, 4);
    let damage = [
        Rect::new(0, 0, 2, 1),
        Rect::new(1, 2, 2, 2),
        Rect::new(2, 2, 1, 1),
    ];
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    frame
        .render_texture_from_to(
            &texture,
            &draw(RectF::new(0.0, 0.0, 4.0, 4.0), dst, &damage),
        )
        .unwrap();
    frame.finish().unwrap();
    let pixels = read(&mut renderer, &target);
    for y in 0..4 {
        for x in 0..4 {
            let damaged = damage
                .iter()
                .any(|r| x >= r.x && x < r.right() && y >= r.y && y < r.bottom());
            let expected = if damaged { white } else { BACKGROUND };
            assert_close(
                pixels[(y * 4 + x) as usize],
                expected,
                &format!("({x}, {y})"),
            );
        }
    }
    drop((texture, target, renderer));
    assert_validation_clean(&instance);
}

#[test]
fn clears_and_solid_draws_fill_exactly_their_rectangles() {
    let (instance, mut renderer) = renderer();
    let target = target(&mut renderer, 6, 4);
    let red = [1.0, 0.0, 0.0, 1.0];
    let half_green = [0.0, 0.5, 0.0, 0.5];
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    frame
        .clear(red, &[Rect::new(0, 0, 2, 2), Rect::new(4, 2, 2, 2)])
        .unwrap();
    let solid = Rect::new(1, 1, 3, 2);
    frame.draw_solid(solid, &[solid], half_green).unwrap();
    let done = frame.finish().unwrap();
    assert!(done.wait(std::time::Duration::from_secs(10)).unwrap());
    let timestamps = renderer.device().physical_device().info().queue_families
        [renderer.device().queue_family() as usize]
        .timestamp_valid_bits;
    let gpu_time = renderer.gpu_time(&done).unwrap();
    assert_eq!(gpu_time.is_some(), timestamps > 0, "{gpu_time:?}");
    let pixels = read(&mut renderer, &target);
    for y in 0..4 {
        for x in 0..6 {
            let cleared = (x < 2 && y < 2) || (x >= 4 && y >= 2);
            let below = if cleared { red } else { unorm(BACKGROUND) };
            let in_solid = (1..4).contains(&x) && (1..3).contains(&y);
            let color = if in_solid {
                std::array::from_fn(|i| half_green[i] + below[i] * (1.0 - half_green[3]))
            } else {
                below
            };
            let expected = color.map(|c| (c * 255.0).round() as u8);
            assert_close(pixels[y * 6 + x], expected, &format!("({x}, {y})"));
        }
    }
    drop((target, renderer));
    assert_validation_clean(&instance);
}

#[test]
fn xrgb_samples_alpha_as_one_whatever_the_padding_byte_holds() {
    let (instance, mut renderer) = renderer();
    // XBGR8888: R, G, B, X in memory; X is garbage (0 here, which would be transparent).
    let bytes = [50u8, 100, 150, 0].repeat(4);
    let texture = renderer
        .import_memory(
            &bytes,
            ShmLayout {
                fourcc: DrmFourcc::Xbgr8888,
                width: 2,
                height: 2,
                stride: 8,
            },
        )
        .unwrap();
    let target = target(&mut renderer, 2, 2);
    let all = Rect::new(0, 0, 2, 2);
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    let damage = [all];
    let mut d = draw(RectF::new(0.0, 0.0, 2.0, 2.0), all, &damage);
    d.transform = Transform::Flipped; // not a plain copy: goes through the shader
    frame.render_texture_from_to(&texture, &d).unwrap();
    frame.finish().unwrap();
    for p in read(&mut renderer, &target) {
        assert_close(p, [50, 100, 150, 255], "xrgb");
    }
    drop((texture, target, renderer));
    assert_validation_clean(&instance);
}

#[test]
fn every_shm_format_round_trips_through_upload_and_readback() {
    let (instance, mut renderer) = renderer();
    let formats = renderer.shm_formats();
    assert!(formats.len() >= 18, "{formats:?}");
    for fourcc in formats {
        let info = vkcompose::format::format_info(fourcc).unwrap();
        let bpp = info.bytes_per_pixel as usize;
        let (width, height) = (5u32, 3u32);
        let data: Vec<u8> = (0..width as usize * height as usize * bpp)
            .map(|i| (i * 37 + 11) as u8)
            // Keep half floats finite: clear the exponent's top bit of every high byte.
            .enumerate()
            .map(|(i, b)| if bpp == 8 && i % 2 == 1 { b & 0x3f } else { b })
            .collect();
        let layout = ShmLayout {
            fourcc,
            width,
            height,
            stride: width * bpp as u32,
        };
        let texture = renderer.import_memory(&data, layout).unwrap();
        let region = Rect::new(0, 0, width as i32, height as i32);
        let back = renderer.copy_texture(&texture, region, fourcc).unwrap();
        assert_eq!(back.bytes().unwrap(), &data[..], "{fourcc:?}");
    }
    drop(renderer);
    assert_validation_clean(&instance);
}

#[test]
fn stride_padding_is_skipped_and_only_damaged_pixels_are_updated() {
    let (instance, mut renderer) = renderer();
    let (width, height, stride) = (3u32, 3u32, 20u32);
    let padded = |value: u8| -> Vec<u8> {
        let mut bytes = vec![0xEE; (stride * height) as usize];
        for y in 0..height as usize {
            for x in 0..width as usize {
                let i = y * stride as usize + x * 4;
                bytes[i..i + 4].copy_from_slice(&[value, x as u8, y as u8, 255]);
            }
        }
        bytes
    };
    let layout = ShmLayout {
        fourcc: DrmFourcc::Abgr8888,
        width,
        height,
        stride,
    };
    let texture = renderer.import_memory(&padded(1), layout).unwrap();
    let damage = [Rect::new(1, 1, 2, 1), Rect::new(-5, 2, 6, 9)];
    renderer
        .update_memory(&texture, &padded(2), stride, &damage)
        .unwrap();
    let region = Rect::new(0, 0, 3, 3);
    let back = renderer
        .copy_texture(&texture, region, DrmFourcc::Abgr8888)
        .unwrap();
    let bytes = back.bytes().unwrap();
    for y in 0..3 {
        for x in 0..3 {
            let damaged = (y == 1 && x >= 1) || (y == 2 && x == 0);
            let value = if damaged { 2 } else { 1 };
            let i = (y * 3 + x) * 4;
            assert_eq!(
                &bytes[i..i + 4],
                &[value, x as u8, y as u8, 255],
                "({x}, {y})"
            );
        }
    }
    drop((back, texture, renderer));
    assert_validation_clean(&instance);
}

#[test]
fn host_pointer_import_gives_the_same_pixels_as_the_staging_path() {
    let (instance, mut renderer) = renderer();
    let vkcompose::ShmUpload::HostPointer { alignment } =
        renderer.device().capabilities().shm_upload
    else {
        eprintln!("no host-pointer import on this device");
        return;
    };
    let (width, height) = (16u32, 8u32);
    let stride = width * 4;
    let len = (stride * height) as usize;
    let pool_len = len.div_ceil(alignment as usize) * alignment as usize;
    let layout = std::alloc::Layout::from_size_align(pool_len, alignment as usize).unwrap();
    // SAFETY: test code; a non-zero size, freed below after the pool is dropped.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
    // SAFETY: `ptr` holds `pool_len` initialised bytes we own.
    let pool_bytes = unsafe { std::slice::from_raw_parts_mut(ptr, pool_len) };
    for (i, b) in pool_bytes[..len].iter_mut().enumerate() {
        *b = (i * 7) as u8 | 3;
    }
    let data = pool_bytes[..len].to_vec();
    let shm = ShmLayout {
        fourcc: DrmFourcc::Abgr8888,
        width,
        height,
        stride,
    };
    let staged = renderer.import_memory(&data, shm).unwrap();
    let direct = renderer.import_memory(&vec![0; len], shm).unwrap();
    // SAFETY: the allocation outlives the pool (dropped before the dealloc below).
    let pool = unsafe { renderer.import_shm_pool(ptr, pool_len) }.unwrap();
    let all = Rect::new(0, 0, width as i32, height as i32);
    renderer
        .update_from_pool(&direct, &pool, 0, stride, &[all])
        .unwrap();
    let a = renderer
        .copy_texture(&staged, all, DrmFourcc::Abgr8888)
        .unwrap();
    let b = renderer
        .copy_texture(&direct, all, DrmFourcc::Abgr8888)
        .unwrap();
    assert_eq!(a.bytes().unwrap(), b.bytes().unwrap());
    assert_eq!(a.bytes().unwrap(), &data[..]);
    drop((a, b, pool, staged, direct));
    // SAFETY: allocated above with this layout; the pool that imported it is gone.
    unsafe { std::alloc::dealloc(ptr, layout) };
    // A misaligned pool is a typed error, not invalid usage.
    // SAFETY: never read: the alignment check fails first.
    let err = unsafe { renderer.import_shm_pool(ptr.wrapping_add(1), pool_len) }
        .err()
        .unwrap();
    assert!(matches!(err, Error::BadBuffer(_)), "{err}");
    drop(renderer);
    assert_validation_clean(&instance);
}

#[test]
fn a_readback_of_a_sub_region_returns_just_that_region() {
    let (instance, mut renderer) = renderer();
    let image: Vec<Rgba> = (0..12u8).map(|i| [i * 20, i, 255 - i, 255]).collect();
    let texture = import(&mut renderer, &image, 4);
    let back = renderer
        .copy_texture(&texture, Rect::new(1, 1, 2, 2), DrmFourcc::Abgr8888)
        .unwrap();
    assert!(back.wait(std::time::Duration::from_secs(10)).unwrap());
    assert!(back.is_ready().unwrap());
    let expected = abgr(&[image[5], image[6], image[9], image[10]]);
    assert_eq!(back.bytes().unwrap(), &expected[..]);
    // Converted through a blit into ARGB8888 (B, G, R, A in memory) where the device can.
    if let Ok(converted) =
        renderer.copy_texture(&texture, Rect::new(0, 0, 1, 1), DrmFourcc::Argb8888)
    {
        let [r, g, b, a] = image[0];
        assert_eq!(converted.bytes().unwrap(), &[b, g, r, a]);
    }
    drop((back, texture, renderer));
    assert_validation_clean(&instance);
}

#[test]
fn an_output_transform_turns_the_whole_frame() {
    let (instance, mut renderer) = renderer();
    let image = asymmetric();
    let texture = import(&mut renderer, &image, 2);
    // A 3x2 target turned 90 degrees is a 2x3 output: draw the image upright into it.
    let target = target(&mut renderer, 3, 2);
    let mut frame = renderer.render(&target, Transform::Rotate90).unwrap();
    assert_eq!(frame.output_size(), (2, 3));
    let all = Rect::new(0, 0, 2, 3);
    frame
        .render_texture_from_to(&texture, &draw(RectF::new(0.0, 0.0, 2.0, 3.0), all, &[all]))
        .unwrap();
    frame.finish().unwrap();
    let pixels = read(&mut renderer, &target);
    for y in 0..2 {
        for x in 0..3 {
            let (sx, sy) = expected_source(Transform::Rotate90, x, y, 2, 3);
            assert_close(
                pixels[y * 3 + x],
                image[sy * 2 + sx],
                &format!("({x}, {y})"),
            );
        }
    }
    drop((texture, target, renderer));
    assert_validation_clean(&instance);
}

#[test]
fn opaque_regions_and_the_copy_path_give_the_same_pixels_as_blending() {
    let (instance, mut renderer) = renderer();
    let image: Vec<Rgba> = (0..16u8).map(|i| [i * 9, 100, 200 - i * 5, 255]).collect();
    let texture = import(&mut renderer, &image, 4);
    let all = Rect::new(0, 0, 4, 4);
    let mut results = Vec::new();
    for opaque in [&[][..], &[Rect::new(0, 0, 4, 2)][..], &[all][..]] {
        let target = target(&mut renderer, 4, 4);
        let mut frame = renderer.render(&target, Transform::Normal).unwrap();
        let damage = [all];
        let mut d = draw(RectF::new(0.0, 0.0, 4.0, 4.0), all, &damage);
        d.opaque = opaque;
        frame.render_texture_from_to(&texture, &d).unwrap();
        frame.finish().unwrap();
        results.push(read(&mut renderer, &target));
    }
    for r in &results {
        assert_image(r, &image, 4, "opaque paths");
    }
    drop((texture, renderer));
    assert_validation_clean(&instance);
}

#[test]
fn a_thousand_frames_create_no_vulkan_objects_after_the_first() {
    let (instance, mut renderer) = renderer();
    let image: Vec<Rgba> = (0..64u8).map(|i| [i, 2 * i, 255 - i, 200]).collect();
    let texture = import(&mut renderer, &image, 8);
    let target = target(&mut renderer, 64, 64);
    let stride = 8 * 4;
    let bytes = abgr(&image);
    let frame_at = |renderer: &mut Renderer, i: i32| {
        let damage = [Rect::new(i % 50, (i * 7) % 50, 14, 14)];
        renderer
            .update_memory(&texture, &bytes, stride, &[Rect::new(i % 8, 0, 1, 8)])
            .unwrap();
        let mut frame = renderer.render(&target, Transform::Normal).unwrap();
        frame.clear([0.0, 0.0, 0.0, 1.0], &damage).unwrap();
        frame
            .render_texture_from_to(
                &texture,
                &draw(
                    RectF::new(0.0, 0.0, 8.0, 8.0),
                    Rect::new(4, 4, 40, 40),
                    &damage,
                ),
            )
            .unwrap();
        frame
            .draw_solid(Rect::new(20, 20, 30, 30), &damage, [0.0, 0.2, 0.0, 0.2])
            .unwrap();
        frame.finish().unwrap()
    };
    for i in 0..10 {
        frame_at(&mut renderer, i);
    }
    let device = renderer.device().clone();
    let (objects, blocks, allocations) = (
        device.objects_created(),
        device.allocator_stats().blocks,
        device.allocations_made(),
    );
    let mut last = None;
    for i in 10..1000 {
        last = Some(frame_at(&mut renderer, i));
    }
    assert!(last
        .unwrap()
        .wait(std::time::Duration::from_secs(60))
        .unwrap());
    assert_eq!(
        device.objects_created(),
        objects,
        "objects created in steady state"
    );
    assert_eq!(
        device.allocator_stats().blocks,
        blocks,
        "memory blocks in steady state"
    );
    assert_eq!(
        device.allocations_made(),
        allocations,
        "allocations in steady state"
    );
    drop((texture, target, renderer));
    assert_validation_clean(&instance);
}

#[test]
fn bad_input_is_a_typed_error_and_never_reaches_vulkan() {
    let (instance, mut renderer) = renderer();
    let layout = |width, height, stride| ShmLayout {
        fourcc: DrmFourcc::Argb8888,
        width,
        height,
        stride,
    };
    let short = renderer
        .import_memory(&[0; 63], layout(4, 4, 16))
        .err()
        .unwrap();
    assert!(matches!(short, Error::BadBuffer(_)), "{short}");
    let narrow = renderer
        .import_memory(&[0; 64], layout(4, 4, 12))
        .err()
        .unwrap();
    assert!(narrow.to_string().contains("stride 12"), "{narrow}");
    let zero = renderer.import_memory(&[], layout(0, 4, 16)).err().unwrap();
    assert!(matches!(zero, Error::BadBuffer(_)), "{zero}");
    let huge = renderer
        .import_memory(&[0; 64], layout(1 << 20, 1, 4 << 20))
        .err()
        .unwrap();
    assert!(matches!(huge, Error::BadBuffer(_)), "{huge}");
    let unsupported = renderer
        .import_memory(
            &[0; 64],
            ShmLayout {
                fourcc: DrmFourcc::Nv12,
                width: 4,
                height: 4,
                stride: 4,
            },
        )
        .err()
        .unwrap();
    assert!(
        matches!(unsupported, Error::UnsupportedFormat { .. }),
        "{unsupported}"
    );

    // A texture from another renderer.
    let mut other = Renderer::new(renderer.device(), &RendererOptions::default()).unwrap();
    let foreign = import(&mut other, &[[1, 2, 3, 255]], 1);
    let target = target(&mut renderer, 2, 2);
    let all = Rect::new(0, 0, 2, 2);
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    let err = frame
        .render_texture_from_to(&foreign, &draw(RectF::new(0.0, 0.0, 1.0, 1.0), all, &[all]))
        .err()
        .unwrap();
    assert!(matches!(err, Error::ForeignTexture), "{err}");
    frame.finish().unwrap();
    // A source rectangle outside the buffer.
    let own = import(&mut renderer, &[[1, 2, 3, 255]], 1);
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    let err = frame
        .render_texture_from_to(&own, &draw(RectF::new(0.0, 0.0, 2.0, 1.0), all, &[all]))
        .err()
        .unwrap();
    assert!(err.to_string().contains("source rectangle"), "{err}");
    frame.finish().unwrap();
    drop((foreign, other, own, target, renderer));
    assert_validation_clean(&instance);
}

#[test]
fn an_opaque_scaled_draw_blits_the_pixels_the_shader_would_draw() {
    let (instance, mut renderer) = renderer();
    let image: Vec<Rgba> = vec![
        [200, 0, 0, 255],
        [0, 200, 0, 255],
        [0, 0, 200, 255],
        [90, 90, 90, 255],
    ];
    let texture = import(&mut renderer, &image, 2);
    let dst = Rect::new(1, 1, 4, 4);
    for filter in [Filter::Nearest, Filter::Linear] {
        let mut results = Vec::new();
        for opaque in [&[][..], &[dst][..]] {
            let target = target(&mut renderer, 6, 6);
            let damage = [dst];
            let mut frame = renderer.render(&target, Transform::Normal).unwrap();
            let mut d = draw(RectF::new(0.0, 0.0, 2.0, 2.0), dst, &damage);
            d.opaque = opaque;
            d.filter = filter;
            frame.render_texture_from_to(&texture, &d).unwrap();
            frame.finish().unwrap();
            results.push(read(&mut renderer, &target));
        }
        assert_image(
            &results[1],
            &results[0],
            6,
            &format!("{filter:?} blit vs shader"),
        );
        if filter == Filter::Nearest {
            for y in 0..6 {
                for x in 0..6 {
                    let inside = (1..5).contains(&x) && (1..5).contains(&y);
                    let expected = if inside {
                        image[((y - 1) / 2) * 2 + (x - 1) / 2]
                    } else {
                        BACKGROUND
                    };
                    assert_close(
                        results[1][y * 6 + x],
                        expected,
                        &format!("nearest ({x}, {y})"),
                    );
                }
            }
        }
    }
    drop((texture, renderer));
    assert_validation_clean(&instance);
}

#[test]
fn one_pixel_and_maximum_width_buffers_import() {
    let (instance, mut renderer) = renderer();
    let one = import(&mut renderer, &[[9, 8, 7, 255]], 1);
    let back = renderer
        .copy_texture(&one, Rect::new(0, 0, 1, 1), DrmFourcc::Abgr8888)
        .unwrap();
    assert_eq!(back.bytes().unwrap(), &[9, 8, 7, 255]);
    let max = renderer
        .device()
        .physical_device()
        .info()
        .limits
        .max_image_dimension_2d;
    let wide: Vec<Rgba> = (0..max)
        .map(|x| [(x % 251) as u8, (x / 251) as u8, 1, 255])
        .collect();
    let texture = import(&mut renderer, &wide, max);
    let last = Rect::new(max as i32 - 1, 0, 1, 1);
    let back = renderer
        .copy_texture(&texture, last, DrmFourcc::Abgr8888)
        .unwrap();
    assert_eq!(back.bytes().unwrap(), &wide[max as usize - 1]);
    drop((back, one, texture, renderer));
    assert_validation_clean(&instance);
}

#[test]
fn a_saved_pipeline_cache_is_accepted_by_a_new_renderer() {
    let (instance, renderer) = renderer();
    let device = renderer.device().clone();
    let mut first = renderer;
    let drawn = target(&mut first, 4, 4);
    let data = first.pipeline_cache_data().unwrap();
    assert!(!data.is_empty());
    drop((drawn, first));
    let options = RendererOptions {
        pipeline_cache: Some(data),
        ..Default::default()
    };
    let mut second = Renderer::new(&device, &options).unwrap();
    let drawn = target(&mut second, 4, 4);
    assert_eq!(read(&mut second, &drawn)[0], BACKGROUND);
    // Garbage is ignored by the driver rather than failing.
    let garbage = RendererOptions {
        pipeline_cache: Some(vec![7; 64]),
        ..Default::default()
    };
    assert!(Renderer::new(&device, &garbage).is_ok());
    drop((drawn, second));
    assert_validation_clean(&instance);
}

/// Where the device has descriptor indexing, frames draw textured quads through one texture
/// array; they must give exactly the pixels of one descriptor set per texture. (lavapipe has
/// no descriptor indexing: both renderers take the per-texture path there.)
#[test]
fn the_texture_array_draws_the_pixels_of_one_set_per_texture() {
    let (instance, device) = gpu();
    let indexing = device.capabilities().descriptor_indexing;
    eprintln!("descriptor indexing: {indexing}");
    let mut frames = Vec::new();
    for texture_array in [true, false] {
        let options = RendererOptions {
            texture_array,
            ..Default::default()
        };
        let mut renderer = Renderer::new(&device, &options).unwrap();
        let textures: Vec<Texture> = (0..5u8)
            .map(|i| {
                let pixels: Vec<Rgba> = (0..64u8)
                    .map(|p| {
                        let a = if i % 2 == 0 { 255 } else { 160 };
                        [
                            (p * 3).wrapping_add(i * 40).min(a),
                            (i * 50).min(a),
                            (255 - p).min(a),
                            a,
                        ]
                    })
                    .collect();
                import(&mut renderer, &pixels, 8)
            })
            .collect();
        let xrgb = renderer
            .import_memory(
                &[90u8, 60, 30, 0].repeat(16),
                ShmLayout {
                    fourcc: DrmFourcc::Xbgr8888,
                    width: 4,
                    height: 4,
                    stride: 16,
                },
            )
            .unwrap();
        let target = target(&mut renderer, 48, 40);
        let all = [Rect::new(0, 0, 48, 40)];
        let mut frame = renderer.render(&target, Transform::Normal).unwrap();
        for i in 0..12i32 {
            let mut d = draw(
                RectF::new(1.0, 0.0, 7.0, 8.0),
                Rect::new((i * 7) % 36, (i * 5) % 30, 12, 10),
                &all,
            );
            d.transform = Transform::ALL[i as usize % 8];
            d.alpha = if i % 3 == 0 { 0.5 } else { 1.0 };
            d.filter = if i % 2 == 0 {
                Filter::Linear
            } else {
                Filter::Nearest
            };
            frame
                .render_texture_from_to(&textures[i as usize % textures.len()], &d)
                .unwrap();
            if i == 6 {
                let quad = Rect::new(10, 10, 8, 8);
                frame
                    .render_texture_from_to(
                        &xrgb,
                        &draw(RectF::new(0.0, 0.0, 4.0, 4.0), quad, &all),
                    )
                    .unwrap();
            }
        }
        frame.finish().unwrap();
        frames.push(read(&mut renderer, &target));
    }
    assert_image(
        &frames[0],
        &frames[1],
        48,
        "texture array vs one set per texture",
    );
    assert_validation_clean(&instance);
}

#[test]
fn an_shm_buffer_may_end_right_after_its_last_rows_texels() {
    let (instance, mut renderer) = renderer();
    let (width, height, stride) = (3u32, 2u32, 20u32);
    let pixels = asymmetric();
    // Row 0 padded to the stride; row 1 ends after its 3 texels: 20 + 12 bytes.
    let mut bytes: Vec<u8> = pixels[..3].concat();
    bytes.resize(stride as usize, 0xAA);
    bytes.extend(pixels[3..].concat());
    let layout = ShmLayout {
        fourcc: DrmFourcc::Abgr8888,
        width,
        height,
        stride,
    };
    let short = renderer.import_memory(&bytes[..bytes.len() - 1], layout);
    assert!(
        matches!(short, Err(Error::BadBuffer(_))),
        "{:?}",
        short.err()
    );
    let texture = renderer.import_memory(&bytes, layout).unwrap();
    assert_eq!(read(&mut renderer, &texture), pixels);
    drop((texture, renderer));
    assert_validation_clean(&instance);
}
