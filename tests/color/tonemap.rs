//! The BT.2390 EETF against the report's formulas and its required properties, and the
//! gamut mappings' guarantees.

use crate::reference::*;
use vkcompose::color::{
    compress, ColorError, Eetf, GamutMapping, Primaries, COMPRESSION_THRESHOLD,
};

/// Luminances from 0 to `peak` cd/m², dense in the dark where PQ is too.
fn luminance_samples(peak: f64) -> Vec<f64> {
    (0..=2000)
        .map(|i| peak * (i as f64 / 2000.0).powi(3))
        .collect()
}

fn pq(nits: f64) -> f64 {
    st2084_inverse_eotf_nits(nits)
}

#[test]
fn eetf_matches_bt_2390() {
    // Source and target ranges where BT.2390's formula applies as written.
    let cases = [
        (0.0, 1000.0, 0.0, 400.0),
        (0.0, 4000.0, 0.1, 1000.0),
        (0.005, 10000.0, 0.05, 600.0),
        (0.0, 1000.0, 0.5, 250.0),
    ];
    for (lb, lw, lmin, lmax) in cases {
        let eetf = Eetf::new(lb, lw, lmin, lmax).unwrap();
        for l in luminance_samples(lw) {
            let expected = bt2390_eetf_nits_in_target(l.max(lb), lb, lw, lmin, lmax);
            let ours = eetf.apply_nits(l);
            // Compare in PQ, where a 10-bit step is what the eye can see.
            assert_close(
                pq(ours),
                pq(expected),
                1e-9,
                &format!("{l} cd/m² in {lw}→{lmax}"),
            );
            assert_close(pq(ours), pq(expected), TEN_BIT, "10-bit");
        }
    }
}

#[test]
fn the_report_overshoots_the_target_peak_with_a_raised_black() {
    // Why the library clamps: BT.2390 as written maps the source peak above the target's
    // when the target's black is above the source's.
    let overshoot = bt2390_eetf_nits(10000.0, 0.0, 10000.0, 0.2, 80.0);
    assert!(overshoot > 80.0, "{overshoot}");
    let eetf = Eetf::new(0.0, 10000.0, 0.2, 80.0).unwrap();
    assert_close(pq(eetf.apply_nits(10000.0)), pq(80.0), 1e-12, "clamped");
    assert_close(pq(eetf.apply_nits(0.0)), pq(0.2), 1e-12, "black lifted");
}

#[test]
fn eetf_is_monotonic_and_lands_source_peak_on_target_peak() {
    let cases = [
        (0.0, 1000.0, 0.0, 400.0),
        (0.0, 10000.0, 0.2, 80.0),
        (0.005, 4000.0, 0.05, 1500.0),
        (0.0, 1000.0, 0.0, 100.0),
        (0.0, 10000.0, 0.0, 5.0),
    ];
    for (lb, lw, lmin, lmax) in cases {
        let eetf = Eetf::new(lb, lw, lmin, lmax).unwrap();
        let mut previous = f64::NEG_INFINITY;
        for l in luminance_samples(lw) {
            let out = eetf.apply_nits(l);
            assert!(
                out >= previous - 1e-12,
                "{l} cd/m² fell from {previous} to {out}"
            );
            assert!(
                out <= lmax * (1.0 + 1e-9),
                "{l} cd/m² gave {out} above {lmax}"
            );
            previous = out;
        }
        assert_close(
            pq(eetf.apply_nits(lw)),
            pq(lmax),
            1e-9,
            "peak lands on peak",
        );
    }
}

#[test]
fn eetf_leaves_light_below_the_knee_alone() {
    // Same black on both sides, so the black-level term is zero.
    let eetf = Eetf::new(0.0, 1000.0, 0.0, 400.0).unwrap();
    let max_lum = pq(400.0) / pq(1000.0);
    let knee_start = 1.5 * max_lum - 0.5;
    let knee_nits = st2084_eotf_nits(knee_start * pq(1000.0));
    for l in luminance_samples(knee_nits) {
        assert_close(eetf.apply_nits(l), l, l * 1e-9 + 1e-12, "below the knee");
    }
    assert!(eetf.apply_nits(knee_nits * 1.5) < knee_nits * 1.5);
    let params = eetf.shader_params();
    assert_close(
        params.knee_start as f64,
        knee_start,
        1e-6,
        "KS in the shader params",
    );
    assert_eq!(params.pass_through, 0.0);
}

#[test]
fn eetf_is_exact_pass_through_when_the_target_contains_the_source() {
    for (lb, lw, lmin, lmax) in [
        (0.005, 1000.0, 0.0, 1000.0),
        (0.1, 600.0, 0.05, 4000.0),
        (0.0, 203.0, 0.0, 203.0),
    ] {
        let eetf = Eetf::new(lb, lw, lmin, lmax).unwrap();
        assert!(eetf.is_pass_through());
        for l in luminance_samples(lw * 2.0) {
            assert_eq!(eetf.apply_nits(l), l);
        }
        assert_eq!(eetf.shader_params().pass_through, 1.0);
        assert_eq!(eetf.shader_params().to_vec4s()[1][2], 1.0);
    }
}

#[test]
fn eetf_refuses_bad_ranges() {
    assert!(matches!(
        Eetf::new(0.0, 1000.0, 100.0, 100.0),
        Err(ColorError::LuminanceOrder { .. })
    ));
    assert!(matches!(
        Eetf::new(f64::NAN, 1000.0, 0.0, 100.0),
        Err(ColorError::NotFinite { .. })
    ));
    assert!(matches!(
        Eetf::new(-1.0, 1000.0, 0.0, 100.0),
        Err(ColorError::NegativeLuminance { .. })
    ));
}

fn luminance(rgb: [f64; 3], w: [f64; 3]) -> f64 {
    rgb[0] * w[0] + rgb[1] * w[1] + rgb[2] * w[2]
}

#[test]
fn compression_keeps_luminance_and_lands_in_gamut() {
    let w = Primaries::BT709.luminance_weights().unwrap();
    let to_srgb = vkcompose::color::conversion(&Primaries::BT2020, &Primaries::BT709).unwrap();
    for rgb in rgb_samples() {
        let wide = to_srgb.apply(rgb);
        let y = luminance(wide, w);
        let mapped = compress(wide, w);
        for c in mapped {
            assert!((0.0..=1.0).contains(&c), "{wide:?} mapped to {mapped:?}");
        }
        if (0.0..=1.0).contains(&y) {
            assert_close(luminance(mapped, w), y, 1e-9, "luminance kept");
        }
        assert_eq!(GamutMapping::Compress.apply(wide, w), mapped);
        let clipped = GamutMapping::Clip.apply(wide, w);
        assert_eq!(clipped, wide.map(|c| c.clamp(0.0, 1.0)));
    }
}

#[test]
fn compression_leaves_colours_inside_the_threshold_alone() {
    let w = Primaries::BT709.luminance_weights().unwrap();
    let grey = 0.5;
    // A colour 70 % of the way from grey to the red boundary along (+1, −x, −x)…
    let direction = [1.0, -w[0] / (w[1] + w[2]), -w[0] / (w[1] + w[2])];
    let to_boundary = (1.0 - grey) / direction[0];
    let inside = direction.map(|d| grey + d * to_boundary * 0.7);
    assert_close3(compress(inside, w), inside, 1e-12, "inside the threshold");
    // …is unchanged, while one past the boundary is pulled inside, keeping its hue
    // direction.
    let outside = direction.map(|d| grey + d * to_boundary * 1.5);
    let mapped = compress(outside, w);
    let t = (mapped[0] - grey) / (outside[0] - grey);
    assert!(t > 0.0 && t < 1.0);
    assert!(t * 1.5 > COMPRESSION_THRESHOLD && t * 1.5 < 1.0);
    for c in 0..3 {
        assert_close(mapped[c] - grey, (outside[c] - grey) * t, 1e-12, "same hue");
    }
    assert_eq!(GamutMapping::Clip.spec_constant(), 0);
    assert_eq!(GamutMapping::Compress.spec_constant(), 1);
}
