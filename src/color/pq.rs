//! The perceptual quantizer of SMPTE ST 2084 (BT.2100 PQ): an absolute encoding in which
//! signal 1.0 is 10 000 cd/m², spaced to match the eye's contrast steps.

/// The luminance that PQ signal 1.0 stands for, in cd/m².
pub const PQ_PEAK_NITS: f64 = 10_000.0;

// ST 2084's constants, written as the exact fractions the standard gives them in.
const M1: f64 = 2610.0 / 16384.0;
const M2: f64 = 2523.0 / 4096.0 * 128.0;
const C1: f64 = 3424.0 / 4096.0;
const C2: f64 = 2413.0 / 4096.0 * 32.0;
const C3: f64 = 2392.0 / 4096.0 * 32.0;

/// The PQ EOTF: signal `encoded` in `[0, 1]` to luminance relative to 10 000 cd/m²
/// (1.0 = [`PQ_PEAK_NITS`]). Signals outside `[0, 1]` are clamped first: past 1.0 the
/// formula's denominator reaches zero.
pub fn pq_eotf(encoded: f64) -> f64 {
    let e = encoded.clamp(0.0, 1.0).powf(1.0 / M2);
    ((e - C1).max(0.0) / (C2 - C3 * e)).powf(1.0 / M1)
}

/// The inverse PQ EOTF: luminance relative to 10 000 cd/m² to a signal in `[0, 1]`.
/// Luminances outside `[0, 1]` (below black, above 10 000 cd/m²) are clamped first.
pub fn pq_inverse_eotf(linear: f64) -> f64 {
    let y = linear.clamp(0.0, 1.0).powf(M1);
    ((C1 + C2 * y) / (1.0 + C3 * y)).powf(M2)
}

/// The PQ signal for an absolute luminance in cd/m².
pub fn pq_from_nits(nits: f64) -> f64 {
    pq_inverse_eotf(nits / PQ_PEAK_NITS)
}

/// The absolute luminance in cd/m² that a PQ signal stands for.
pub fn pq_to_nits(encoded: f64) -> f64 {
    pq_eotf(encoded) * PQ_PEAK_NITS
}
