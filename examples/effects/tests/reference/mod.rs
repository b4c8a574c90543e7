//! Reference values for the effects, computed by other means than their shaders:
//! coverage by numerical integration of a shape's height across each pixel (the shaders
//! integrate the arcs in closed form), the shadow by numerical integration of the Gaussian
//! (the shader uses an erf approximation). Shared with tests/headless_compositor.rs.

#![allow(dead_code)]

/// The vertical extent of the rounded rectangle [0, w] x [0, h] at `x` (its own pixels).
pub fn extent_at(x: f64, w: f64, h: f64, [tl, tr, br, bl]: [f64; 4]) -> (f64, f64) {
    let arc = |r: f64, d: f64| r - (r * r - d * d).max(0.0).sqrt();
    let top = if x < tl {
        arc(tl, tl - x)
    } else if x > w - tr {
        arc(tr, x - (w - tr))
    } else {
        0.0
    };
    let bottom = if x < bl {
        h - arc(bl, bl - x)
    } else if x > w - br {
        h - arc(br, x - (w - br))
    } else {
        h
    };
    (top, bottom)
}

/// How much of the pixel at (px, py) (window pixels, its top-left corner) the rounded
/// rectangle covers: its height inside the pixel, integrated across it (midpoint rule).
pub fn coverage(px: f64, py: f64, w: f64, h: f64, radii: [f64; 4]) -> f64 {
    const STEPS: usize = 2000;
    let mut area = 0.0;
    for i in 0..STEPS {
        let x = px + (i as f64 + 0.5) / STEPS as f64;
        if !(0.0..=w).contains(&x) {
            continue;
        }
        let (top, bottom) = extent_at(x, w, h, radii);
        area += (bottom.min(py + 1.0) - top.max(py)).max(0.0);
    }
    area / STEPS as f64
}

/// The share of a Gaussian (standard deviation `sigma`) around `x` in [0, w], by Simpson's
/// rule.
pub fn gaussian_share(x: f64, w: f64, sigma: f64) -> f64 {
    const STEPS: usize = 2000;
    let g = |t: f64| (-(x - t).powi(2) / (2.0 * sigma * sigma)).exp();
    let step = w / STEPS as f64;
    let mut sum = g(0.0) + g(w);
    for i in 1..STEPS {
        sum += g(i as f64 * step) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    sum * step / 3.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt())
}
