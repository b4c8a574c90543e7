//! Gamut mapping: what to do with linear RGB that a conversion into a smaller gamut left
//! with components below 0 or above 1.

/// Where the soft compression of [`compress`] starts: colours whose distance from the
/// achromatic axis is under 80 % of the way to the gamut boundary are left as they are.
pub const COMPRESSION_THRESHOLD: f64 = 0.8;

/// How out-of-gamut colours are brought into `[0, 1]`.
///
/// The declaration order is the numbering of [`GamutMapping::spec_constant`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum GamutMapping {
    /// Clamp each component to `[0, 1]`: cheapest, exact inside the gamut, but it shifts
    /// the hue and luminance of colours outside it.
    #[default]
    Clip,
    /// [`compress`]: keep luminance and hue, and compress the chroma of the outermost
    /// colours smoothly onto the gamut boundary.
    Compress,
}

impl GamutMapping {
    /// A small stable number for a shader specialization constant: `Clip` 0,
    /// `Compress` 1.
    pub const fn spec_constant(self) -> u32 {
        self as u32
    }

    /// Maps `rgb` into `[0, 1]`; `luminance_weights` are the target primaries'
    /// ([`Primaries::luminance_weights`](super::primaries::Primaries::luminance_weights)).
    pub fn apply(self, rgb: [f64; 3], luminance_weights: [f64; 3]) -> [f64; 3] {
        match self {
            GamutMapping::Clip => clip(rgb),
            GamutMapping::Compress => compress(rgb, luminance_weights),
        }
    }
}

/// Each component clamped to `[0, 1]`.
pub fn clip(rgb: [f64; 3]) -> [f64; 3] {
    rgb.map(|c| c.clamp(0.0, 1.0))
}

/// Compresses `rgb` toward the achromatic axis, keeping its luminance.
///
/// The colour is split into its grey `Y·(1, 1, 1)` (`Y` from `luminance_weights`, which
/// add up to 1) and a chroma offset `rgb − Y`, which carries no luminance. Along that
/// offset's direction the gamut boundary, where the first component reaches 0 or 1, is
/// at some distance from the grey; `r` is the colour's distance as a fraction of it
/// (`r > 1` outside the gamut). Below [`COMPRESSION_THRESHOLD`] nothing changes; above,
/// `r' = t + (r − t) / (1 + (r − t) / (1 − t))` takes `[t, ∞)` smoothly (slope 1 at `t`)
/// onto `[t, 1)`, so in-gamut colours near the edge move a little to make room for the
/// ones outside, and no two colours end up on the same boundary point.
///
/// When the luminance itself is outside `[0, 1]` (light that tone mapping should have
/// brought down), the grey is clamped into range first and the result is clipped, the
/// only way left to land in the gamut.
pub fn compress(rgb: [f64; 3], luminance_weights: [f64; 3]) -> [f64; 3] {
    let w = luminance_weights;
    let y = w[0] * rgb[0] + w[1] * rgb[1] + w[2] * rgb[2];
    let grey = y.clamp(0.0, 1.0);
    let offset = rgb.map(|c| c - y);
    // The largest step along the offset that stays inside: per component, the room to 0
    // for a negative offset and to 1 for a positive one.
    let room = offset
        .iter()
        .map(|&d| boundary_step(grey, d))
        .fold(f64::INFINITY, f64::min);
    // No offset (already grey), or a grey at 0 or 1 that leaves no room for any.
    if room.is_infinite() || room <= 0.0 {
        return clip([grey; 3]);
    }
    let distance = 1.0 / room;
    let gain = compressed_distance(distance) * room;
    clip(offset.map(|d| grey + d * gain))
}

/// How far along `d` the component at `grey` may go before leaving `[0, 1]`, or infinity
/// when `d` is zero.
fn boundary_step(grey: f64, d: f64) -> f64 {
    if d < 0.0 {
        grey / -d
    } else if d > 0.0 {
        (1.0 - grey) / d
    } else {
        f64::INFINITY
    }
}

/// The compression curve on relative distance from grey (1.0 = the boundary).
fn compressed_distance(distance: f64) -> f64 {
    let t = COMPRESSION_THRESHOLD;
    if distance <= t {
        return distance;
    }
    let excess = distance - t;
    t + excess / (1.0 + excess / (1.0 - t))
}
