//! The dual-Kawase blur on the CPU: the passes of `shaders/kawase_down.frag` and
//! `shaders/kawase_up.wgsl` computed the way the GPU computes them (Vulkan's LINEAR,
//! CLAMP_TO_EDGE sampling with normalized coordinates, uv at pixel centres, premultiplied
//! blending), for tests to compare the renderer's blur with.
//!
//! `step`, the shaders' push constant, is per axis and in uv units of the source:
//! `offset * 0.5 / destination_size`, the destination's half pixel scaled by the blur
//! offset ([`step`]).
//!
//! The GPU interpolates weights with a few bits of sub-texel precision (8 on most
//! devices), so its results differ from these by a small fraction of a texel's value.

#![allow(dead_code)]

/// An RGBA image of premultiplied `f32` texels, rows from the top.
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<[f32; 4]>,
}

impl Image {
    /// A transparent image.
    pub fn new(width: u32, height: u32) -> Image {
        Image {
            width,
            height,
            pixels: vec![[0.0; 4]; width as usize * height as usize],
        }
    }

    /// The texel at column `x`, row `y`.
    pub fn get(&self, x: u32, y: u32) -> [f32; 4] {
        self.pixels[y as usize * self.width as usize + x as usize]
    }

    /// Sets the texel at column `x`, row `y`.
    pub fn set(&mut self, x: u32, y: u32, texel: [f32; 4]) {
        self.pixels[y as usize * self.width as usize + x as usize] = texel;
    }

    /// The sum of every texel, per channel.
    pub fn sum(&self) -> [f64; 4] {
        let mut sum = [0.0f64; 4];
        for texel in &self.pixels {
            for c in 0..4 {
                sum[c] += f64::from(texel[c]);
            }
        }
        sum
    }
}

/// The two texel indices and the weight of the second that LINEAR filtering uses at the
/// normalized coordinate `u` along an axis of `size` texels, CLAMP_TO_EDGE: `x = u * size -
/// 0.5`, `i0 = floor(x)`, weight `x - i0`, both indices clamped to `[0, size - 1]`.
fn linear_taps(u: f32, size: u32) -> (u32, u32, f32) {
    let x = u * size as f32 - 0.5;
    let i0 = x.floor();
    let weight = x - i0;
    let last = i64::from(size) - 1;
    let clamp = |i: i64| i.clamp(0, last) as u32;
    (clamp(i0 as i64), clamp(i0 as i64 + 1), weight)
}

/// `a * (1 - t) + b * t`, per channel.
fn mix(a: [f32; 4], b: [f32; 4], t: f32) -> [f32; 4] {
    std::array::from_fn(|c| a[c] * (1.0 - t) + b[c] * t)
}

/// `a + b * k`, per channel.
fn add_scaled(a: [f32; 4], b: [f32; 4], k: f32) -> [f32; 4] {
    std::array::from_fn(|c| a[c] + b[c] * k)
}

/// `a * k`, per channel.
fn scale(a: [f32; 4], k: f32) -> [f32; 4] {
    a.map(|x| x * k)
}

/// `img` sampled at the normalized coordinates (`u`, `v`) as Vulkan samples with LINEAR
/// filtering and CLAMP_TO_EDGE addressing.
pub fn sample_bilinear(img: &Image, u: f32, v: f32) -> [f32; 4] {
    let (x0, x1, a) = linear_taps(u, img.width);
    let (y0, y1, b) = linear_taps(v, img.height);
    let top = mix(img.get(x0, y0), img.get(x1, y0), a);
    let bottom = mix(img.get(x0, y1), img.get(x1, y1), a);
    mix(top, bottom, b)
}

/// The shaders' `step` for a pass into a destination of `dst_w` x `dst_h` pixels:
/// `offset * 0.5 / destination_size` per axis, in uv units of the source.
pub fn step(offset: f32, dst_w: u32, dst_h: u32) -> [f32; 2] {
    [offset * 0.5 / dst_w as f32, offset * 0.5 / dst_h as f32]
}

/// `src` sampled at `uv` moved by (`dx`, `dy`) steps, as the shaders' taps are.
fn tap(src: &Image, uv: [f32; 2], step: [f32; 2], dx: f32, dy: f32) -> [f32; 4] {
    sample_bilinear(src, uv[0] + dx * step[0], uv[1] + dy * step[1])
}

/// kawase_down.frag at `uv` before the instance alpha: the centre weighted 4 and the four
/// diagonal taps 1 each, over 8.
pub fn down_texel(src: &Image, uv: [f32; 2], step: [f32; 2]) -> [f32; 4] {
    let mut sum = scale(tap(src, uv, step, 0.0, 0.0), 4.0);
    for (dx, dy) in [(-1.0, -1.0), (1.0, 1.0), (1.0, -1.0), (-1.0, 1.0)] {
        sum = add_scaled(sum, tap(src, uv, step, dx, dy), 1.0);
    }
    scale(sum, 1.0 / 8.0)
}

/// kawase_up.wgsl at `uv` before alpha and mask: the four axis taps at two steps weighted
/// 1 each and the four diagonal taps at one step 2 each, over 12.
pub fn up_texel(src: &Image, uv: [f32; 2], step: [f32; 2]) -> [f32; 4] {
    let mut sum = [0.0; 4];
    for (dx, dy) in [(-2.0, 0.0), (2.0, 0.0), (0.0, -2.0), (0.0, 2.0)] {
        sum = add_scaled(sum, tap(src, uv, step, dx, dy), 1.0);
    }
    for (dx, dy) in [(-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0), (1.0, 1.0)] {
        sum = add_scaled(sum, tap(src, uv, step, dx, dy), 2.0);
    }
    scale(sum, 1.0 / 12.0)
}

/// A pass drawing one quad over the whole `width` x `height` destination: `texel` at each
/// pixel centre's uv, `((x + 0.5) / width, (y + 0.5) / height)`.
fn full_pass(width: u32, height: u32, texel: impl Fn([f32; 2]) -> [f32; 4]) -> Image {
    let mut out = Image::new(width, height);
    for y in 0..height {
        for x in 0..width {
            let uv = [
                (x as f32 + 0.5) / width as f32,
                (y as f32 + 0.5) / height as f32,
            ];
            out.set(x, y, texel(uv));
        }
    }
    out
}

/// The `kawase_down` pipeline drawing all of `src` into a `dst_w` x `dst_h` destination
/// (alpha 1, `Replace` blending).
pub fn down(src: &Image, dst_w: u32, dst_h: u32, offset: f32) -> Image {
    let step = step(offset, dst_w, dst_h);
    full_pass(dst_w, dst_h, |uv| down_texel(src, uv, step))
}

/// The `kawase_up` pipeline drawing all of `src` into a `dst_w` x `dst_h` destination
/// cleared to transparent (alpha 1, the mask the whole destination with radius 0, so
/// coverage 1 and blending leaves the texel as it is).
pub fn up(src: &Image, dst_w: u32, dst_h: u32, offset: f32) -> Image {
    let step = step(offset, dst_w, dst_h);
    full_pass(dst_w, dst_h, |uv| up_texel(src, uv, step))
}

/// The size of each level of a blur of `passes` passes: level 0 is the source's, and each
/// next one half the previous (integer division), at least 1.
pub fn level_sizes(width: u32, height: u32, passes: u32) -> Vec<(u32, u32)> {
    let mut sizes = vec![(width, height)];
    for _ in 0..passes {
        let (w, h) = *sizes.last().unwrap();
        sizes.push(((w / 2).max(1), (h / 2).max(1)));
    }
    sizes
}

/// The whole blur: `src` down through every level of [`level_sizes`], then up back to
/// level 0, each pass with the same `offset`. The result has the source's size.
pub fn dual_kawase(src: &Image, passes: u32, offset: f32) -> Image {
    let sizes = level_sizes(src.width, src.height, passes);
    let mut img = src.clone();
    for &(w, h) in &sizes[1..] {
        img = down(&img, w, h, offset);
    }
    for &(w, h) in sizes[..passes as usize].iter().rev() {
        img = up(&img, w, h, offset);
    }
    img
}

/// The mask of kawase_up.wgsl: how much of the pixel centred at `p` (target pixels,
/// centres at .5) the rectangle `clip` (x, y, width, height) with corners of `radius`
/// covers, `0.5 - signed distance` clamped to [0, 1].
pub fn coverage(p: [f32; 2], clip: (f32, f32, f32, f32), radius: f32) -> f32 {
    let (x, y, w, h) = clip;
    let r = radius.min(0.5 * w.min(h)).max(0.0);
    // Per axis, how far `p` lies outside the rectangle shrunk by `r` (negative inside).
    let qx = (x + r - p[0]).max(p[0] - (x + w - r));
    let qy = (y + r - p[1]).max(p[1] - (y + h - r));
    let outside = qx.max(0.0).hypot(qy.max(0.0));
    let distance = outside + qx.max(qy).min(0.0) - r;
    (0.5 - distance).clamp(0.0, 1.0)
}

/// The `kawase_up` pipeline drawing one quad over `rect` (x, y, width, height, pixels of
/// `dst`) onto `dst`: uv runs from (`u0`, `v0`) at the rectangle's top-left corner to
/// (`u1`, `v1`) at its bottom-right, `offset_step` is the push constant `step` as given,
/// the mask is `rect` with corners of `radius`, and the result, times `alpha` and the
/// coverage, is blended premultiplied-over what `dst` holds. Pixels are those whose
/// centre lies in the rectangle, its left and top edges included (which of two quads
/// sharing an edge through pixel centres covers them is the rasterizer's choice).
pub fn up_into(
    src: &Image,
    dst: &mut Image,
    rect: (f32, f32, f32, f32),
    uv_rect: (f32, f32, f32, f32),
    offset_step: [f32; 2],
    radius: f32,
    alpha: f32,
) {
    let (x0, y0, w, h) = rect;
    let (u0, v0, u1, v1) = uv_rect;
    for py in 0..dst.height {
        for px in 0..dst.width {
            let p = [px as f32 + 0.5, py as f32 + 0.5];
            if !(x0 <= p[0] && p[0] < x0 + w && y0 <= p[1] && p[1] < y0 + h) {
                continue;
            }
            let (tx, ty) = ((p[0] - x0) / w, (p[1] - y0) / h);
            let uv = [u0 + tx * (u1 - u0), v0 + ty * (v1 - v0)];
            let texel = up_texel(src, uv, offset_step);
            let source = scale(texel, alpha * coverage(p, rect, radius));
            dst.set(px, py, add_scaled(source, dst.get(px, py), 1.0 - source[3]));
        }
    }
}

/// How far, in full-resolution pixels along an axis, a pixel of `dual_kawase(src, passes,
/// offset)` can depend on source pixels, for a source of any size.
///
/// Distances add up pass by pass in uv units, which all levels share. Let `s(i)` be the
/// level sizes, `r(i) = s(0) / s(i)` (one level-`i` pixel in full-resolution pixels) and
/// `o = |offset|`.
///
/// - Down, level `i` into `i + 1`: the diagonal taps lie `step = o / 2 / s(i+1)` from the
///   pixel's centre on each axis, that is `o / 2 * r(i+1)` full-resolution pixels, and
///   LINEAR filtering reads texels whose centres lie less than one level-`i` texel,
///   `r(i)`, from a tap.
/// - Up, level `i + 1` into `i`: the farthest tap on an axis lies `2 step = o / s(i)`,
///   that is `o * r(i)`, away, and reads texels less than one level-`i+1` texel,
///   `r(i+1)`, from it.
///
/// So the reach is less than
///
/// ```text
/// D = sum over i < passes of (o/2 + 1) r(i+1) + (o + 1) r(i)
/// ```
///
/// The sizes halve with integer division and never drop below 1, so `s(i+1) >= (s(i) -
/// 1) / 2`, hence `s(0) <= 2^i s(i) + 2^i - 1` and `r(i) <= 2^(i+1) - 1` (reached when
/// level `i` is 1 pixel). With that bound, for every size,
///
/// ```text
/// D = (4o + 6)(2^passes - 1) - passes (3o/2 + 2)
/// ```
///
/// (where the sizes halve exactly, `r(i) = 2^i` gives `D = (2o + 3)(2^passes - 1)`).
/// Clamping at the edges only moves taps inwards. The result is `ceil(D)`: the bound is
/// strict (a texel a whole texel from a tap has weight 0), which leaves room for the GPU's
/// rounding. Taps rarely line up at their worst, so the real reach is smaller:
/// [`reach_for`] computes it for one source size.
pub fn reach(passes: u32, offset: f32) -> i32 {
    let o = f64::from(offset.abs());
    let ratio = |i: u32| 2.0f64.powi(i as i32 + 1) - 1.0;
    let distance: f64 = (0..passes)
        .map(|i| (o / 2.0 + 1.0) * ratio(i + 1) + (o + 1.0) * ratio(i))
        .sum();
    distance.ceil() as i32
}

/// The reach of [`reach`] for a `width` x `height` source, per axis (x, y), exactly: the
/// farthest any pixel of the result lies from a source texel its taps can read, found by
/// following each pixel's first and last texel through every pass. A texel is counted
/// when a tap lies within 1/1000 texel of reading it, so the GPU's rounding cannot read
/// beyond; where taps land exactly on texel centres (offset 1.5 with exact halving, for
/// one) that counts neighbours of weight 0, and the result exceeds the CPU blur's spread.
pub fn reach_for(width: u32, height: u32, passes: u32, offset: f32) -> (i32, i32) {
    let sizes = level_sizes(width, height, passes);
    let x: Vec<u32> = sizes.iter().map(|s| s.0).collect();
    let y: Vec<u32> = sizes.iter().map(|s| s.1).collect();
    (reach_along(&x, offset), reach_along(&y, offset))
}

/// [`reach_for`] along one axis whose level sizes are `sizes`.
fn reach_along(sizes: &[u32], offset: f32) -> i32 {
    let passes = sizes.len() - 1;
    // Each pass's footprints, from the result back to the source: the up passes into
    // levels 0, 1, ..., then the down passes into levels passes, ..., 1.
    let mut chain = Vec::new();
    for i in 0..passes {
        chain.push(footprints(sizes[i + 1], sizes[i], offset, 2.0));
    }
    for i in (0..passes).rev() {
        chain.push(footprints(sizes[i], sizes[i + 1], offset, 1.0));
    }
    (0..i64::from(sizes[0]))
        .map(|x| {
            let (lo, hi) = chain
                .iter()
                .fold((x, x), |(lo, hi), f| (f[lo as usize].0, f[hi as usize].1));
            (x - lo).max(hi - x) as i32
        })
        .max()
        .unwrap_or(0)
}

/// For each of a pass's `dst` destination texels along an axis, the first and last of its
/// `src` source texels that LINEAR filtering reads at the outermost taps, `reach` steps
/// either side of the texel's centre (1 for down, 2 for up).
fn footprints(src: u32, dst: u32, offset: f32, reach: f64) -> Vec<(i64, i64)> {
    const SLACK: f64 = 1e-3;
    let step = f64::from(offset.abs()) * 0.5 / f64::from(dst);
    let last = i64::from(src) - 1;
    let texel = |u: f64| u * f64::from(src) - 0.5;
    (0..dst)
        .map(|j| {
            let u = (f64::from(j) + 0.5) / f64::from(dst);
            let lo = (texel(u - reach * step) - SLACK).floor() as i64;
            let hi = (texel(u + reach * step) + SLACK).floor() as i64 + 1;
            (lo.clamp(0, last), hi.clamp(0, last))
        })
        .collect()
}
