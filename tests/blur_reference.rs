//! Checks of the CPU dual-Kawase blur (tests/common/kawase.rs) that the renderer's blur is
//! compared with: Vulkan's LINEAR + CLAMP_TO_EDGE sampling, the reach of a blur, energy,
//! and the masked last pass. CPU only: no device.

#[path = "common/kawase.rs"]
mod kawase;

use kawase::{
    coverage, dual_kawase, level_sizes, reach, reach_for, sample_bilinear, step, up, up_into, Image,
};

/// A transparent `width` x `height` image with one bright premultiplied texel at (x, y).
fn impulse(width: u32, height: u32, x: u32, y: u32) -> Image {
    let mut img = Image::new(width, height);
    img.set(x, y, [0.8, 0.4, 0.2, 1.0]);
    img
}

/// How far along x and y the non-zero texels of `img` lie from (x, y).
fn support(img: &Image, x: u32, y: u32) -> (i32, i32) {
    let mut far = (0, 0);
    for py in 0..img.height {
        for px in 0..img.width {
            if img.get(px, py).iter().any(|&c| c != 0.0) {
                far.0 = far.0.max((px as i32 - x as i32).abs());
                far.1 = far.1.max((py as i32 - y as i32).abs());
            }
        }
    }
    far
}

fn assert_close(a: [f32; 4], b: [f32; 4], tolerance: f32, what: &str) {
    for c in 0..4 {
        assert!(
            (a[c] - b[c]).abs() <= tolerance,
            "{what}: {a:?} differs from {b:?}"
        );
    }
}

#[test]
fn bilinear_sampling_is_vulkans_linear_clamp_to_edge() {
    let mut img = Image::new(2, 2);
    img.set(0, 0, [1.0, 0.0, 0.0, 1.0]);
    img.set(1, 0, [0.0, 1.0, 0.0, 1.0]);
    img.set(0, 1, [0.0, 0.0, 1.0, 1.0]);
    img.set(1, 1, [0.0, 0.0, 0.0, 0.0]);
    // Texel centres give the texels.
    assert_eq!(sample_bilinear(&img, 0.25, 0.25), img.get(0, 0));
    assert_eq!(sample_bilinear(&img, 0.75, 0.75), img.get(1, 1));
    // Halfway between centres: the mean of the four.
    assert_close(
        sample_bilinear(&img, 0.5, 0.5),
        [0.25, 0.25, 0.25, 0.75],
        1e-6,
        "centre",
    );
    // A quarter texel right of the first centre: weights 3/4 and 1/4 along x.
    assert_close(
        sample_bilinear(&img, 0.375, 0.25),
        [0.75, 0.25, 0.0, 1.0],
        1e-6,
        "quarter",
    );
    // CLAMP_TO_EDGE: from the image's border outwards, the edge texels.
    assert_eq!(sample_bilinear(&img, 0.0, 0.0), img.get(0, 0));
    assert_eq!(sample_bilinear(&img, -3.0, 0.25), img.get(0, 0));
    assert_eq!(sample_bilinear(&img, 1.7, 0.75), img.get(1, 1));
}

#[test]
fn levels_halve_with_integer_division_down_to_one() {
    assert_eq!(level_sizes(5, 3, 3), vec![(5, 3), (2, 1), (1, 1), (1, 1)]);
    assert_eq!(level_sizes(64, 48, 2), vec![(64, 48), (32, 24), (16, 12)]);
}

/// Exact halving: a bright texel spreads no farther than the reach, and where its spread
/// stays clear of the edges the blur keeps its energy (each down pass scales the sum by
/// the quarter of the area it keeps, each up pass by four).
#[test]
fn a_bright_pixel_spreads_within_reach_and_keeps_its_energy() {
    for (size, passes, offset) in [(64, 1, 1.0), (128, 2, 1.0), (128, 3, 2.0), (256, 3, 1.5)] {
        let general = reach(passes, offset);
        let (rx, ry) = reach_for(size, size, passes, offset);
        assert!(rx <= general && ry <= general, "reach_for beyond reach");
        for (x, y) in [(size / 2, size / 2), (size / 2 + 3, size / 2 - 5)] {
            let src = impulse(size, size, x, y);
            let out = dual_kawase(&src, passes, offset);
            let (sx, sy) = support(&out, x, y);
            assert!(
                sx <= rx && sy <= ry,
                "{size}x{size}, {passes} passes, offset {offset}: spread ({sx}, {sy}) beyond reach ({rx}, {ry})"
            );
            assert!(sx > 0 && sy > 0, "the texel did not spread");
            let (before, after) = (src.sum(), out.sum());
            for c in 0..4 {
                let error = (after[c] - before[c]).abs() / before[c];
                assert!(
                    error < 1e-4,
                    "{size}x{size}, {passes} passes, offset {offset}: energy {after:?}, was {before:?}"
                );
            }
        }
    }
}

/// Any size: the spread of a bright texel stays within `reach_for` and `reach`, near the
/// edges too. (Where a level is not exactly half the one above, downsampling an impulse
/// does not keep its energy: the sum depends on where the texel falls between taps.)
#[test]
fn a_bright_pixel_of_any_size_spreads_within_reach() {
    for (w, h, passes, offset) in [
        (127, 61, 3, 1.0),
        (99, 77, 3, 2.5),
        (29, 30, 2, 3.0),
        (7, 5, 3, 1.0),
    ] {
        let (rx, ry) = reach_for(w, h, passes, offset);
        let general = reach(passes, offset);
        assert!(rx <= general && ry <= general, "reach_for beyond reach");
        for (x, y) in [(w / 2, h / 2), (1, h - 1), (w - 2, 0)] {
            let out = dual_kawase(&impulse(w, h, x, y), passes, offset);
            let (sx, sy) = support(&out, x, y);
            assert!(
                sx <= rx && sy <= ry,
                "{w}x{h} at ({x}, {y}), {passes} passes, offset {offset}: spread ({sx}, {sy}) beyond reach ({rx}, {ry})"
            );
        }
    }
}

/// `reach_for` is exact where no tap lands exactly on a texel centre (whole offsets):
/// along one axis, some source texel spreads exactly that far.
#[test]
fn reach_for_is_the_farthest_spread() {
    for (w, passes, offset) in [(128, 3, 1.0), (127, 3, 2.0), (300, 4, 3.0)] {
        let farthest = (0..w)
            .map(|x| support(&dual_kawase(&impulse(w, 1, x, 0), passes, offset), x, 0).0)
            .max()
            .unwrap();
        assert_eq!(
            reach_for(w, 1, passes, offset).0,
            farthest,
            "{w} wide, {passes} passes, offset {offset}"
        );
    }
}

#[test]
fn a_flat_image_stays_flat() {
    let colour = [0.3, 0.2, 0.1, 0.5];
    let mut src = Image::new(53, 31);
    src.pixels.fill(colour);
    let out = dual_kawase(&src, 3, 2.0);
    assert_eq!((out.width, out.height), (53, 31));
    for &texel in &out.pixels {
        assert_close(texel, colour, 1e-6, "flat");
    }
}

#[test]
fn coverage_with_square_corners_is_exact_on_pixel_centres() {
    let clip = (3.0, 2.0, 5.0, 4.0);
    for y in 0..10 {
        for x in 0..12 {
            let inside = (3..8).contains(&x) && (2..6).contains(&y);
            let c = coverage([x as f32 + 0.5, y as f32 + 0.5], clip, 0.0);
            assert_eq!(c, if inside { 1.0 } else { 0.0 }, "pixel ({x}, {y})");
        }
    }
}

#[test]
fn coverage_rounds_corners() {
    let clip = (0.0, 0.0, 20.0, 10.0);
    // Radius 4: the corner's centre of curvature is (4, 4). The corner pixel lies
    // 3.5 * sqrt(2) - 4 = 0.95 outside the arc, the pixel beside the arc's middle well inside.
    assert_eq!(coverage([0.5, 0.5], clip, 4.0), 0.0);
    assert_eq!(coverage([2.5, 2.5], clip, 4.0), 1.0);
    let on_arc = coverage(
        [4.0 - 2.0f32.sqrt() * 2.0, 4.0 - 2.0f32.sqrt() * 2.0],
        clip,
        4.0,
    );
    assert!((on_arc - 0.5).abs() < 1e-5, "on the arc: {on_arc}");
    // Edges away from the corners are as with square corners; the radius is limited to
    // half the shorter side.
    assert_eq!(coverage([10.5, 0.5], clip, 4.0), 1.0);
    assert_eq!(coverage([10.5, 10.5], clip, 4.0), 0.0);
    assert_eq!(coverage([10.0, 5.0], clip, 100.0), 1.0);
    assert_eq!(coverage([0.5, 0.5], clip, 100.0), 0.0);
}

#[test]
fn up_into_a_whole_cleared_target_is_the_up_pass() {
    let mut src = impulse(16, 12, 5, 7);
    src.set(10, 2, [0.1, 0.2, 0.3, 0.4]);
    let (w, h, offset) = (32, 24, 1.5);
    let mut dst = Image::new(w, h);
    up_into(
        &src,
        &mut dst,
        (0.0, 0.0, w as f32, h as f32),
        (0.0, 0.0, 1.0, 1.0),
        step(offset, w, h),
        0.0,
        1.0,
    );
    let expected = up(&src, w, h, offset);
    for (a, b) in dst.pixels.iter().zip(&expected.pixels) {
        assert_close(*a, *b, 1e-6, "up_into");
    }
}

#[test]
fn up_into_masks_and_blends_over_the_target() {
    let mut src = Image::new(8, 8);
    src.pixels.fill([0.0, 0.0, 0.4, 0.5]);
    let background = [0.2, 0.6, 0.0, 1.0];
    let mut dst = Image::new(24, 20);
    dst.pixels.fill(background);
    let rect = (4.0, 3.0, 16.0, 12.0);
    up_into(
        &src,
        &mut dst,
        rect,
        (0.25, 0.25, 0.75, 0.75),
        [0.01, 0.01],
        5.0,
        0.5,
    );
    // Premultiplied over: the flat source times alpha 0.5, then the background times 1 -
    // its alpha; outside the rectangle and in its rounded-off corners, the background.
    let blended = [0.2 * 0.75, 0.6 * 0.75, 0.2, 1.0];
    for y in 0..dst.height {
        for x in 0..dst.width {
            let p = [x as f32 + 0.5, y as f32 + 0.5];
            let c = coverage(p, rect, 5.0);
            let expected = if c == 1.0 {
                blended
            } else if c == 0.0 {
                background
            } else {
                continue;
            };
            assert_close(dst.get(x, y), expected, 1e-6, &format!("pixel ({x}, {y})"));
        }
    }
    assert_eq!(dst.get(4, 3), background, "the rounded-off corner");
    assert_eq!(dst.get(3, 8), background, "left of the rectangle");
    assert_close(dst.get(12, 8), blended, 1e-6, "the middle");
}
