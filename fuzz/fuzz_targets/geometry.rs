//! The geometry under arbitrary rectangles, extreme ones included: `subtract` and
//! `disjoint` cover exactly the pixels they should, each once (checked on the grid of every
//! edge involved, so sizes up to i32's range are checked exactly); clipping a textured
//! quad keeps every pixel's texture coordinate; transforms invert.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vkcompose::geometry::{
    clip_texture_instance, damaged_pieces, disjoint, subtract, texture_instance, CornerRadii, Quad,
    Rect, RectF, Transform,
};

#[derive(Arbitrary, Debug)]
struct Input {
    region: Vec<(i32, i32, i32, i32)>,
    holes: Vec<(i32, i32, i32, i32)>,
    transform: u8,
    src: (u16, u16, u16, u16),
    buffer: (u16, u16),
    dst: (i16, i16, u16, u16),
    radii: [u8; 4],
}

fuzz_target!(|input: Input| {
    let region = rects(&input.region);
    let holes = rects(&input.holes);
    check_exact_cover(&subtract(&region, &holes), &region, &holes);
    check_exact_cover(&disjoint(&region), &region, &[]);
    if let Some(&dst) = holes.first() {
        // Each piece is inside `dst`, and together they are the damage inside it.
        let pieces = damaged_pieces(dst, &region);
        assert!(pieces.iter().all(|p| dst.contains_rect(p)));
        let inside: Vec<Rect> = region.iter().filter_map(|r| r.intersect(&dst)).collect();
        check_exact_cover(&pieces, &inside, &[]);
    }
    let transform = Transform::ALL[input.transform as usize % 8];
    check_transform(transform, &input);
    check_clipping(transform, &input, &region);
});

fn rects(raw: &[(i32, i32, i32, i32)]) -> Vec<Rect> {
    raw.iter()
        .take(12)
        .map(|&(x, y, w, h)| Rect::new(x, y, w, h))
        .collect()
}

/// `out` are non-empty and cover each pixel (below i32::MAX, which a Rect cannot start
/// at) once where some of `region` and none of `holes` covers it, and nowhere else.
/// Pixels are checked per cell of the grid of every edge, where coverage is uniform.
fn check_exact_cover(out: &[Rect], region: &[Rect], holes: &[Rect]) {
    assert!(out.iter().all(|r| !r.is_empty()), "{out:?}");
    let all: Vec<&Rect> = out.iter().chain(region).chain(holes).collect();
    let xs = edges(all.iter().flat_map(|r| [i64::from(r.x), right(r)]));
    let ys = edges(all.iter().flat_map(|r| [i64::from(r.y), bottom(r)]));
    for y in ys.windows(2) {
        for x in xs.windows(2) {
            let (px, py) = (x[0], y[0]);
            if px >= i64::from(i32::MAX) || py >= i64::from(i32::MAX) {
                continue;
            }
            let wanted = region.iter().any(|r| covers(r, px, py))
                && !holes.iter().any(|r| covers(r, px, py));
            let count = out.iter().filter(|r| covers(r, px, py)).count();
            assert_eq!(count, usize::from(wanted), "pixel ({px}, {py}) in {out:?}");
        }
    }
}

fn edges(values: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut v: Vec<i64> = values.collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn right(r: &Rect) -> i64 {
    i64::from(r.x) + i64::from(r.w)
}

fn bottom(r: &Rect) -> i64 {
    i64::from(r.y) + i64::from(r.h)
}

fn covers(r: &Rect, x: i64, y: i64) -> bool {
    !r.is_empty() && i64::from(r.x) <= x && x < right(r) && i64::from(r.y) <= y && y < bottom(r)
}

/// `invert` undoes `source_point`, and corner radii move with the corners.
fn check_transform(transform: Transform, input: &Input) {
    assert_eq!(
        Transform::from_wayland(transform.to_wayland()),
        Some(transform)
    );
    let inverse = transform.invert();
    for point in [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.25, 0.75]] {
        let there = transform.source_point(point);
        let back = inverse.source_point(there);
        // source_point maps display to source; the inverse's maps it back.
        assert!((back[0] - point[0]).abs() < 1e-12 && (back[1] - point[1]).abs() < 1e-12);
    }
    let radii = CornerRadii {
        top_left: f32::from(input.radii[0]),
        top_right: f32::from(input.radii[1]),
        bottom_right: f32::from(input.radii[2]),
        bottom_left: f32::from(input.radii[3]),
    };
    let mut moved = radii.on_target(transform);
    let mut original = radii.to_array();
    moved.sort_by(f32::total_cmp);
    original.sort_by(f32::total_cmp);
    assert_eq!(moved, original, "a transform only moves the corners");
}

/// A textured quad clipped to each damage rectangle samples, at every clipped pixel, what
/// the whole quad samples there.
fn check_clipping(transform: Transform, input: &Input, damage: &[Rect]) {
    let (bw, bh) = (u32::from(input.buffer.0) + 1, u32::from(input.buffer.1) + 1);
    let (sx, sy, sw, sh) = input.src;
    let src = RectF::new(
        f64::from(sx) / 8.0,
        f64::from(sy) / 8.0,
        f64::from(sw) / 8.0 + 0.125,
        f64::from(sh) / 8.0 + 0.125,
    );
    let (dx, dy, dw, dh) = input.dst;
    let dst = Rect::new(
        i32::from(dx),
        i32::from(dy),
        i32::from(dw) + 1,
        i32::from(dh) + 1,
    );
    let full = texture_instance(src, (bw, bh), dst, transform, 0.5);
    for &clip in damage {
        let Some(piece) = clip_texture_instance(&full, clip) else {
            assert!(clip.intersect(&dst).is_none(), "{clip:?} meets {dst:?}");
            continue;
        };
        let [x, y, w, h] = piece.dst.map(f64::from);
        let inside = dst.intersect(&clip).expect("a piece lies where both meet");
        assert_eq!(
            [x, y, w, h],
            [inside.x, inside.y, inside.w, inside.h].map(f64::from)
        );
        for (fx, fy) in [(0.5, 0.5), (w - 0.5, h - 0.5), (w / 2.0, 0.5)] {
            let a = uv(&piece, x + fx, y + fy);
            let b = uv(&full, x + fx, y + fy);
            let scale = 1.0 + a[0].abs().max(a[1].abs());
            assert!(
                (a[0] - b[0]).abs() < 1e-4 * scale && (a[1] - b[1]).abs() < 1e-4 * scale,
                "{a:?} vs {b:?} at ({fx}, {fy}) of {piece:?}"
            );
        }
        assert_eq!(piece.alpha, full.alpha);
    }
}

/// The texture coordinate a quad gives the target point (px, py).
fn uv(q: &Quad, px: f64, py: f64) -> [f64; 2] {
    let [x, y, w, h] = q.dst.map(f64::from);
    let (s, t) = ((px - x) / w, (py - y) / h);
    let [ou, ov] = q.uv_offset.map(f64::from);
    let [au, av, du, dv] = q.uv_axes.map(f64::from);
    [ou + s * au + t * du, ov + s * av + t * dv]
}
