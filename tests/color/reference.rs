//! The defining formulas, written out again from the standards for the colour tests to
//! compare the library against. Kept deliberately plain: no clamping beyond what the
//! standards state, no shared code with `src/color/`.

#![allow(dead_code)]

/// One 10-bit code step: the tolerance the tests allow against a standard's numbers.
pub const TEN_BIT: f64 = 1.0 / 1023.0;

/// Asserts `|a − b| <= tolerance`, naming the case.
pub fn assert_close(a: f64, b: f64, tolerance: f64, what: &str) {
    assert!(
        (a - b).abs() <= tolerance,
        "{what}: {a} vs {b} (difference {}, tolerance {tolerance})",
        (a - b).abs()
    );
}

/// Asserts every component of `a` within `tolerance` of `b`.
pub fn assert_close3(a: [f64; 3], b: [f64; 3], tolerance: f64, what: &str) {
    for c in 0..3 {
        assert_close(a[c], b[c], tolerance, &format!("{what} component {c}"));
    }
}

/// The 1024 levels of a 10-bit signal, as values in [0, 1].
pub fn ten_bit_levels() -> impl Iterator<Item = f64> {
    (0..=1023).map(|code| code as f64 / 1023.0)
}

/// IEC 61966-2-1 section 5.2: the sRGB decoding.
pub fn srgb_eotf(v: f64) -> f64 {
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

/// IEC 61966-2-1 section 5.3: the sRGB encoding.
pub fn srgb_oetf(l: f64) -> f64 {
    if l <= 0.0031308 {
        12.92 * l
    } else {
        1.055 * l.powf(1.0 / 2.4) - 0.055
    }
}

/// SMPTE ST 2084 equation 4.1: signal to luminance in cd/m².
pub fn st2084_eotf_nits(n: f64) -> f64 {
    let m1 = 2610.0 / 4096.0 / 4.0;
    let m2 = 2523.0 / 4096.0 * 128.0;
    let c1 = 3424.0 / 4096.0;
    let c2 = 2413.0 / 4096.0 * 32.0;
    let c3 = 2392.0 / 4096.0 * 32.0;
    let p = n.powf(1.0 / m2);
    10000.0 * ((p - c1).max(0.0) / (c2 - c3 * p)).powf(1.0 / m1)
}

/// SMPTE ST 2084 equation 5.2: luminance in cd/m² to signal.
pub fn st2084_inverse_eotf_nits(l: f64) -> f64 {
    let m1 = 2610.0 / 4096.0 / 4.0;
    let m2 = 2523.0 / 4096.0 * 128.0;
    let c1 = 3424.0 / 4096.0;
    let c2 = 2413.0 / 4096.0 * 32.0;
    let c3 = 2392.0 / 4096.0 * 32.0;
    let y = (l / 10000.0).powf(m1);
    ((c1 + c2 * y) / (1.0 + c3 * y)).powf(m2)
}

/// BT.2100 Table 5: the HLG OETF, with its constants as the table prints them.
pub fn bt2100_hlg_oetf(e: f64) -> f64 {
    let (a, b, c) = (0.17883277, 0.28466892, 0.55991073);
    if e <= 1.0 / 12.0 {
        (3.0 * e).sqrt()
    } else {
        a * (12.0 * e - b).ln() + c
    }
}

/// BT.2100 Table 5: the inverse HLG OETF.
pub fn bt2100_hlg_inverse_oetf(v: f64) -> f64 {
    let (a, b, c) = (0.17883277, 0.28466892, 0.55991073);
    if v <= 0.5 {
        v * v / 3.0
    } else {
        (((v - c) / a).exp() + b) / 12.0
    }
}

/// BT.1886 Annex 1: luminance in cd/m² for signal `v` on a display with white `lw` and
/// black `lb`.
pub fn bt1886_eotf_nits(v: f64, lw: f64, lb: f64) -> f64 {
    let gamma = 2.4;
    let a = (lw.powf(1.0 / gamma) - lb.powf(1.0 / gamma)).powf(gamma);
    let b = lb.powf(1.0 / gamma) / (lw.powf(1.0 / gamma) - lb.powf(1.0 / gamma));
    a * (v + b).max(0.0).powf(gamma)
}

/// Report ITU-R BT.2390 section 5.4.1: the EETF on absolute luminance in cd/m², from a
/// mastering range `lb..lw` to a target range `lmin..lmax`, written out step by step.
/// As the report writes it, the black-level term can put the result a little above
/// `lmax` when `lmin` is above `lb`; the library clamps to the target range, and
/// [`bt2390_eetf_nits_in_target`] does the same here.
pub fn bt2390_eetf_nits(l: f64, lb: f64, lw: f64, lmin: f64, lmax: f64) -> f64 {
    let pq = st2084_inverse_eotf_nits;
    let e = pq(l);
    let e1 = (e - pq(lb)) / (pq(lw) - pq(lb));
    let min_lum = (pq(lmin) - pq(lb)) / (pq(lw) - pq(lb));
    let max_lum = (pq(lmax) - pq(lb)) / (pq(lw) - pq(lb));
    let ks = 1.5 * max_lum - 0.5;
    let b = min_lum;
    let e2 = if e1 < ks {
        e1
    } else {
        let t = (e1 - ks) / (1.0 - ks);
        (2.0 * t.powi(3) - 3.0 * t.powi(2) + 1.0) * ks
            + (t.powi(3) - 2.0 * t.powi(2) + t) * (1.0 - ks)
            + (-2.0 * t.powi(3) + 3.0 * t.powi(2)) * max_lum
    };
    let e3 = e2 + b * (1.0 - e2).powi(4);
    let e4 = e3 * (pq(lw) - pq(lb)) + pq(lb);
    st2084_eotf_nits(e4)
}

/// [`bt2390_eetf_nits`] clamped to the target range `lmin..=lmax`.
pub fn bt2390_eetf_nits_in_target(l: f64, lb: f64, lw: f64, lmin: f64, lmax: f64) -> f64 {
    bt2390_eetf_nits(l, lb, lw, lmin, lmax).clamp(lmin, lmax)
}

/// A deterministic spread of RGB samples in [0, 1]³: a lattice plus scattered points
/// from a small linear congruential generator.
pub fn rgb_samples() -> Vec<[f64; 3]> {
    let mut samples = Vec::new();
    let steps = [0.0, 0.05, 0.18, 0.25, 0.5, 0.75, 0.9, 1.0];
    for &r in &steps {
        for &g in &steps {
            for &b in &steps {
                samples.push([r, g, b]);
            }
        }
    }
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..512 {
        samples.push([next(), next(), next()]);
    }
    samples
}
