//! Frames of several passes on a real device, with validation and synchronization
//! validation on: offscreen groups, captures and the dual-Kawase blur, each compared with
//! pixels computed here (the blur with tests/common/kawase.rs, a CPU implementation of
//! the same passes).

mod common;

use common::kawase::{self, Image};
use common::{
    assert_validation_clean, expected_source, import_rgba as import, read_rgba as read,
    sync_validated_renderer as renderer, whole,
};
use vkcompose::format::DrmFourcc;
use vkcompose::geometry::{Rect, RectF, Transform};
use vkcompose::{Blur, Error, Filter, Renderer, Texture, TextureDraw};

type Rgba = [u8; 4];

const BACKGROUND: Rgba = [10, 20, 30, 255];

fn unorm(c: Rgba) -> [f32; 4] {
    c.map(|v| f32::from(v) / 255.0)
}

fn plain<'a>(src: RectF, dst: Rect, damage: &'a [Rect]) -> TextureDraw<'a> {
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

/// An 8x6 pattern of opaque and translucent premultiplied pixels.
fn pattern() -> Vec<Rgba> {
    (0..48u32)
        .map(|i| {
            let a = if i % 3 == 0 { 128 } else { 255 };
            let c = |k: u32| ((i * k + 31) % 256 * a / 255) as u8;
            [c(37), c(91), c(53), a as u8]
        })
        .collect()
}

/// A busy opaque image to blur: stripes and a checker.
fn busy(width: u32, height: u32) -> Vec<Rgba> {
    (0..width * height)
        .map(|i| {
            let (x, y) = (i % width, i / width);
            let checker = if (x / 4 + y / 4) % 2 == 0 { 220 } else { 30 };
            [checker, ((x * 13) % 256) as u8, ((y * 29) % 256) as u8, 255]
        })
        .collect()
}

fn assert_within(actual: &[Rgba], expected: &[Rgba], tolerance: u8, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: sizes");
    let worst = actual
        .iter()
        .zip(expected)
        .enumerate()
        .map(|(i, (a, e))| {
            let d = (0..4).map(|c| a[c].abs_diff(e[c])).max().unwrap();
            (d, i, *a, *e)
        })
        .max_by_key(|t| t.0)
        .unwrap();
    assert!(
        worst.0 <= tolerance,
        "{what}: pixel {} is {:?}, expected {:?} (off by {})",
        worst.1,
        worst.2,
        worst.3,
        worst.0
    );
}

/// A target of `BACKGROUND` with `pixels` (an image of the target's size) drawn over it.
fn scene_target(renderer: &mut Renderer, w: u32, h: u32) -> Texture {
    let target = renderer.create_target(w, h, DrmFourcc::Abgr8888).unwrap();
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    frame.clear(unorm(BACKGROUND), &[whole(w, h)]).unwrap();
    frame.finish().unwrap();
    target
}

#[test]
fn an_offscreen_group_drawn_back_one_to_one_equals_drawing_its_content_directly() {
    let (instance, mut renderer) = renderer();
    let texture = import(&mut renderer, &pattern(), 8);
    let (w, h) = (24, 20);
    let src = RectF::new(0.0, 0.0, 8.0, 6.0);
    let dst = Rect::new(5, 7, 8, 6);
    let all = [whole(w, h)];

    let direct = scene_target(&mut renderer, w, h);
    let mut frame = renderer.render(&direct, Transform::Normal).unwrap();
    frame
        .render_texture_from_to(&texture, &plain(src, dst, &all))
        .unwrap();
    frame.finish().unwrap();

    let grouped = scene_target(&mut renderer, w, h);
    let mut frame = renderer.render(&grouped, Transform::Normal).unwrap();
    let mut group = frame
        .offscreen(w, h, DrmFourcc::Abgr8888, [0.0; 4])
        .unwrap();
    group
        .render_texture_from_to(&texture, &plain(src, dst, &all))
        .unwrap();
    let drawn = group.end();
    let back = plain(RectF::new(0.0, 0.0, w as f64, h as f64), all[0], &all);
    frame.draw_pass_texture(&drawn, &back).unwrap();
    frame.finish().unwrap();

    let expected = read(&mut renderer, &direct, all[0]);
    assert_eq!(read(&mut renderer, &grouped, all[0]), expected);
    drop((texture, direct, grouped, renderer));
    assert_validation_clean(&instance);
}

#[test]
fn an_offscreen_group_drawn_scaled_turned_and_faded_shows_the_computed_pixels() {
    let (instance, mut renderer) = renderer();
    let colours: Vec<Rgba> = (0..6u8)
        .map(|i| [40 * i + 5, 200 - 30 * i, 17 * i + 60, 255])
        .collect();
    let (sw, sh) = (2usize, 3usize);
    let scale = 4;
    for transform in [Transform::Rotate90, Transform::Flipped180] {
        let (dw, dh) = if transform.swaps_axes() {
            (sh, sw)
        } else {
            (sw, sh)
        };
        let (w, h) = ((dw * scale) as u32 + 6, (dh * scale) as u32 + 4);
        let target = scene_target(&mut renderer, w, h);
        let mut frame = renderer.render(&target, Transform::Normal).unwrap();
        let mut group = frame
            .offscreen(sw as u32, sh as u32, DrmFourcc::Abgr8888, [0.0; 4])
            .unwrap();
        for (i, colour) in colours.iter().enumerate() {
            let pixel = Rect::new((i % sw) as i32, (i / sw) as i32, 1, 1);
            group.clear(unorm(*colour), &[pixel]).unwrap();
        }
        let drawn = group.end();
        let dst = Rect::new(3, 2, (dw * scale) as i32, (dh * scale) as i32);
        let damage = [dst];
        let draw = TextureDraw {
            transform,
            alpha: 0.5,
            ..plain(RectF::new(0.0, 0.0, sw as f64, sh as f64), dst, &damage)
        };
        frame.draw_pass_texture(&drawn, &draw).unwrap();
        frame.finish().unwrap();
        let pixels = read(&mut renderer, &target, whole(w, h));
        for y in 0..h as usize {
            for x in 0..w as usize {
                let inside = dst
                    .intersect(&Rect::new(x as i32, y as i32, 1, 1))
                    .is_some();
                let expected = if inside {
                    let (dx, dy) = ((x - 3) / scale, (y - 2) / scale);
                    let (px, py) = expected_source(transform, dx, dy, sw, sh);
                    let c = unorm(colours[py * sw + px]).map(|v| v * 0.5);
                    let b = unorm(BACKGROUND);
                    let over: Vec<u8> = (0..4)
                        .map(|k| ((c[k] + b[k] * (1.0 - c[3])) * 255.0).round() as u8)
                        .collect();
                    [over[0], over[1], over[2], over[3]]
                } else {
                    BACKGROUND
                };
                let got = pixels[y * w as usize + x];
                let close = (0..4).all(|k| got[k].abs_diff(expected[k]) <= 1);
                assert!(
                    close,
                    "{transform:?} ({x}, {y}): {got:?}, expected {expected:?}"
                );
            }
        }
    }
    drop(renderer);
    assert_validation_clean(&instance);
}

/// What the capture test draws before capturing.
fn capture_scene<'a>(frame: &mut vkcompose::Frame<'a>, texture: &'a Texture, all: &[Rect]) {
    let dst = Rect::new(2, 3, 16, 12);
    let src = RectF::new(0.0, 0.0, 8.0, 6.0);
    frame
        .render_texture_from_to(texture, &plain(src, dst, all))
        .unwrap();
    frame
        .draw_solid(Rect::new(9, 1, 6, 20), all, [0.2, 0.0, 0.1, 0.3])
        .unwrap();
}

#[test]
fn a_capture_equals_a_readback_of_the_same_region_at_that_point() {
    let (instance, mut renderer) = renderer();
    let texture = import(&mut renderer, &pattern(), 8);
    let (w, h) = (32, 24);
    let all = [whole(w, h)];
    let region = Rect::new(3, 4, 14, 9);
    let reference = scene_target(&mut renderer, w, h);
    let mut frame = renderer.render(&reference, Transform::Normal).unwrap();
    capture_scene(&mut frame, &texture, &all);
    frame.finish().unwrap();
    let expected = read(&mut renderer, &reference, region);

    // The capture is taken mid-frame; everything is then painted over, and the capture
    // drawn back elsewhere.
    let target = scene_target(&mut renderer, w, h);
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    capture_scene(&mut frame, &texture, &all);
    let captured = frame.capture(region).unwrap();
    frame.clear([0.0, 0.0, 0.0, 1.0], &all).unwrap();
    let moved = Rect::new(15, 12, region.w, region.h);
    let src = RectF::new(0.0, 0.0, region.w as f64, region.h as f64);
    frame
        .draw_pass_texture(&captured, &plain(src, moved, &all))
        .unwrap();
    frame.finish().unwrap();
    assert_eq!(read(&mut renderer, &target, moved), expected);
    drop((texture, reference, target, renderer));
    assert_validation_clean(&instance);
}

/// The renderer's blur of `source` (drawn over the whole target) behind `dst`, and what
/// the CPU implementation of the same passes gives.
fn blur_case(
    renderer: &mut Renderer,
    (w, h): (u32, u32),
    dst: Rect,
    blur: Blur,
    radius: f32,
) -> (Vec<Rgba>, Vec<Rgba>) {
    let source = busy(w, h);
    let texture = import(renderer, &source, w);
    let target = scene_target(renderer, w, h);
    let all = [whole(w, h)];
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    let src = RectF::new(0.0, 0.0, w as f64, h as f64);
    frame
        .render_texture_from_to(&texture, &plain(src, all[0], &all))
        .unwrap();
    frame.blur_behind(dst, &[dst], &blur, radius, 1.0).unwrap();
    frame.finish().unwrap();
    let actual = read(renderer, &target, all[0]);
    (actual, cpu_blur(&source, (w, h), dst, blur, radius))
}

/// tests/common/kawase.rs's passes over the captured region (`dst` grown by the reach),
/// the last one drawn into `dst` of the whole image.
fn cpu_blur(source: &[Rgba], (w, h): (u32, u32), dst: Rect, blur: Blur, radius: f32) -> Vec<Rgba> {
    let region = Rect::new(
        dst.x - blur.reach(),
        dst.y - blur.reach(),
        dst.w + 2 * blur.reach(),
        dst.h + 2 * blur.reach(),
    )
    .intersect(&whole(w, h))
    .unwrap();
    let mut captured = Image::new(region.w as u32, region.h as u32);
    for y in 0..region.h {
        for x in 0..region.w {
            let p = source[((region.y + y) as u32 * w + (region.x + x) as u32) as usize];
            captured.set(x as u32, y as u32, unorm(p));
        }
    }
    let sizes = kawase::level_sizes(captured.width, captured.height, blur.passes);
    let mut level = captured;
    for &(lw, lh) in &sizes[1..] {
        level = kawase::down(&level, lw, lh, blur.offset);
    }
    for &(lw, lh) in sizes[1..sizes.len() - 1].iter().rev() {
        level = kawase::up(&level, lw, lh, blur.offset);
    }
    let mut out = Image::new(w, h);
    for (i, p) in source.iter().enumerate() {
        out.pixels[i] = unorm(*p);
    }
    let rect = (dst.x as f32, dst.y as f32, dst.w as f32, dst.h as f32);
    let (rw, rh) = (region.w as f32, region.h as f32);
    let uv = (
        (dst.x - region.x) as f32 / rw,
        (dst.y - region.y) as f32 / rh,
        (dst.x + dst.w - region.x) as f32 / rw,
        (dst.y + dst.h - region.y) as f32 / rh,
    );
    let step = kawase::step(blur.offset, region.w as u32, region.h as u32);
    kawase::up_into(&level, &mut out, rect, uv, step, radius, 1.0);
    out.pixels
        .iter()
        .map(|p| p.map(|c| (c.clamp(0.0, 1.0) * 255.0).round() as u8))
        .collect()
}

#[test]
fn the_blur_equals_the_same_dual_kawase_passes_computed_on_the_cpu() {
    let (instance, mut renderer) = renderer();
    let cases = [
        ((64, 48), Rect::new(16, 12, 32, 24), Blur::new(2, 1.0), 0.0),
        ((80, 60), Rect::new(10, 8, 50, 40), Blur::new(3, 1.5), 8.0),
        ((40, 40), Rect::new(0, 0, 40, 40), Blur::new(1, 2.0), 0.0),
    ];
    for (size, dst, blur, radius) in cases {
        let (actual, expected) = blur_case(&mut renderer, size, dst, blur, radius);
        let what = format!("{blur:?} behind {dst:?} (radius {radius})");
        // The comparison means something only if the blur changes the picture.
        let source = busy(size.0, size.1);
        let changed = expected.iter().zip(&source).filter(|(e, s)| e != s).count();
        assert!(
            changed > (dst.w * dst.h / 2) as usize,
            "{what}: the blur changes {changed} pixels"
        );
        assert_within(&actual, &expected, 2, &what);
    }
    drop(renderer);
    assert_validation_clean(&instance);
}

/// The scene of the partial-redraw test within `damage`: a busy background, a change in
/// `changed` (when given), the blur and a translucent window over it.
fn draw_blur_scene<'a>(
    frame: &mut vkcompose::Frame<'a>,
    background: &'a Texture,
    changed: Option<Rect>,
    window: Rect,
    damage: &[Rect],
    blur: &Blur,
) {
    let (w, h) = frame.output_size();
    let src = RectF::new(0.0, 0.0, w as f64, h as f64);
    frame
        .render_texture_from_to(background, &plain(src, Rect::new(0, 0, w, h), damage))
        .unwrap();
    if let Some(changed) = changed {
        frame
            .draw_solid(changed, damage, [0.9, 0.1, 0.4, 1.0])
            .unwrap();
    }
    frame.blur_behind(window, damage, blur, 6.0, 1.0).unwrap();
    frame
        .draw_solid(window, damage, [0.05, 0.05, 0.1, 0.25])
        .unwrap();
}

#[test]
fn a_partial_redraw_under_a_blurred_window_equals_a_full_redraw() {
    let (instance, mut renderer) = renderer();
    let (w, h) = (96, 72);
    let background = import(&mut renderer, &busy(w, h), w);
    let blur = Blur::new(2, 1.0);
    let window = Rect::new(30, 20, 40, 30);
    let changed = Rect::new(24, 40, 5, 5);
    let all = [whole(w, h)];

    let partial = scene_target(&mut renderer, w, h);
    let mut frame = renderer.render(&partial, Transform::Normal).unwrap();
    draw_blur_scene(&mut frame, &background, None, window, &all, &blur);
    frame.finish().unwrap();
    let damage = blur.grow_damage(&[changed], window);
    assert!(damage.len() > 1, "the change lies within the blur's reach");
    let mut frame = renderer.render(&partial, Transform::Normal).unwrap();
    draw_blur_scene(
        &mut frame,
        &background,
        Some(changed),
        window,
        &damage,
        &blur,
    );
    frame.finish().unwrap();

    let full = scene_target(&mut renderer, w, h);
    let mut frame = renderer.render(&full, Transform::Normal).unwrap();
    draw_blur_scene(&mut frame, &background, Some(changed), window, &all, &blur);
    frame.finish().unwrap();
    assert_eq!(
        read(&mut renderer, &partial, all[0]),
        read(&mut renderer, &full, all[0])
    );
    drop((background, partial, full, renderer));
    assert_validation_clean(&instance);
}

#[test]
fn steady_frames_with_groups_captures_and_blur_create_no_objects() {
    let (instance, mut renderer) = renderer();
    let (w, h) = (64, 48);
    let background = import(&mut renderer, &busy(w, h), w);
    let target = scene_target(&mut renderer, w, h);
    let blur = Blur::new(3, 1.0);
    let all = [whole(w, h)];
    let frame_at = |renderer: &mut Renderer, i: i32| {
        let mut frame = renderer.render(&target, Transform::Normal).unwrap();
        let src = RectF::new(0.0, 0.0, w as f64, h as f64);
        frame
            .render_texture_from_to(&background, &plain(src, all[0], &all))
            .unwrap();
        let mut group = frame
            .offscreen(16, 16, DrmFourcc::Abgr8888, [0.0; 4])
            .unwrap();
        group
            .draw_solid(Rect::new(i % 8, 2, 6, 6), &all, [0.3, 0.0, 0.0, 0.5])
            .unwrap();
        let drawn = group.end();
        let captured = frame.capture(Rect::new(0, 0, 20, 20)).unwrap();
        frame
            .blur_behind(Rect::new(20, 10, 30, 20), &all, &blur, 4.0, 0.8)
            .unwrap();
        let src16 = RectF::new(0.0, 0.0, 16.0, 16.0);
        frame
            .draw_pass_texture(&drawn, &plain(src16, Rect::new(40, 30, 24, 18), &all))
            .unwrap();
        let src20 = RectF::new(0.0, 0.0, 20.0, 20.0);
        frame
            .draw_pass_texture(&captured, &plain(src20, Rect::new(44, 0, 20, 20), &all))
            .unwrap();
        frame.finish().unwrap()
    };
    for i in 0..6 {
        frame_at(&mut renderer, i);
    }
    let device = renderer.device().clone();
    let (objects, allocations) = (device.objects_created(), device.allocations_made());
    let mut last = None;
    for i in 6..60 {
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
        device.allocations_made(),
        allocations,
        "allocations in steady state"
    );
    drop((background, target, renderer));
    assert_validation_clean(&instance);
}

#[test]
fn bad_passes_are_typed_errors() {
    let (instance, mut renderer) = renderer();
    let target = scene_target(&mut renderer, 32, 32);
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    let zero = frame.offscreen(0, 16, DrmFourcc::Abgr8888, [0.0; 4]).err();
    assert!(matches!(zero, Some(Error::BadBuffer(_))), "{zero:?}");
    let yuv = frame.offscreen(16, 16, DrmFourcc::Nv12, [0.0; 4]).err();
    assert!(
        matches!(yuv, Some(Error::UnsupportedFormat { .. })),
        "{yuv:?}"
    );
    for outside in [
        Rect::new(20, 20, 20, 5),
        Rect::new(-1, 0, 4, 4),
        Rect::new(0, 0, 0, 4),
    ] {
        let capture = frame.capture(outside);
        assert!(
            matches!(capture, Err(Error::InvalidArgument(_))),
            "{outside:?}"
        );
    }
    for blur in [Blur::new(0, 1.0), Blur::new(9, 1.0), Blur::new(2, f32::NAN)] {
        let result = frame.blur_behind(Rect::new(0, 0, 8, 8), &[], &blur, 0.0, 1.0);
        assert!(matches!(result, Err(Error::InvalidArgument(_))), "{blur:?}");
    }
    let captured = frame.capture(Rect::new(0, 0, 8, 8)).unwrap();
    frame.finish().unwrap();
    let mut next = renderer.render(&target, Transform::Normal).unwrap();
    let src = RectF::new(0.0, 0.0, 8.0, 8.0);
    let dst = [Rect::new(0, 0, 8, 8)];
    let stale = next.draw_pass_texture(&captured, &plain(src, dst[0], &dst));
    assert!(matches!(stale, Err(Error::InvalidArgument(_))), "{stale:?}");
    next.finish().unwrap();
    drop((target, renderer));
    assert_validation_clean(&instance);
}
