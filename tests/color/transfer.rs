//! Transfer functions against their standards' formulas at every 10-bit level, both
//! directions, and against published values.

use crate::reference::*;
use vkcompose::color::{
    hlg_system_gamma, HlgOotf, Luminances, TransferFunction, HLG_LUMINANCE_WEIGHTS,
};

/// Checks `tf` against `eotf` (encoded → linear) at every 10-bit level, and the inverse
/// by encoding the reference's linear value and comparing with the level it came from.
fn check_against(tf: TransferFunction, eotf: impl Fn(f64) -> f64) {
    check_within(tf, eotf, 1e-9);
}

/// [`check_against`] with a looser bound on linear light, for HLG, whose table rounds
/// `c` to eight decimals where the library computes it exactly.
fn check_within(tf: TransferFunction, eotf: impl Fn(f64) -> f64, linear_tolerance: f64) {
    for v in ten_bit_levels() {
        let linear = eotf(v);
        let what = format!("{tf:?} to_linear({v})");
        assert_close(tf.to_linear(v), linear, linear_tolerance, &what);
        assert_close(
            tf.from_linear(linear),
            v,
            TEN_BIT,
            &format!("{tf:?} from_linear"),
        );
        // Far tighter than a code step in fact (PQ of 0 cd/m² is 7.3e-7, not 0).
        assert_close(tf.from_linear(linear), v, 1e-6, &format!("{tf:?} inverse"));
    }
}

#[test]
fn srgb_matches_iec_61966_2_1() {
    check_against(TransferFunction::Srgb, srgb_eotf);
    for v in ten_bit_levels() {
        let l = srgb_eotf(v);
        assert_close(
            TransferFunction::Srgb.from_linear(l),
            srgb_oetf(l),
            1e-12,
            "oetf",
        );
    }
    // The toe: linear below the threshold, 1/12.92 slope.
    assert_close(
        TransferFunction::Srgb.to_linear(0.04),
        0.04 / 12.92,
        1e-15,
        "toe",
    );
    assert_close(TransferFunction::Srgb.to_linear(0.5), 0.214041, 1e-6, "mid");
}

#[test]
fn pure_powers_match() {
    check_against(TransferFunction::Gamma22, |v| v.powf(2.2));
    check_against(TransferFunction::Gamma24, |v| v.powf(2.4));
    check_against(TransferFunction::Linear, |v| v);
    check_against(TransferFunction::ExtendedLinear, |v| v);
}

#[test]
fn bt1886_uses_the_default_display_when_alone() {
    // The luminances the protocol's bt1886 implies (BT.2035): black 0.01, white 100 cd/m².
    let (lw, lb) = (100.0, 0.01);
    check_against(TransferFunction::Bt1886, |v| {
        bt1886_eotf_nits(v, lw, lb) / lw
    });
    assert_close(
        TransferFunction::Bt1886.to_linear(0.0),
        lb / lw,
        1e-12,
        "black",
    );
    assert_close(TransferFunction::Bt1886.to_linear(1.0), 1.0, 1e-12, "white");
}

#[test]
fn pq_matches_st_2084() {
    check_against(TransferFunction::Pq, |v| st2084_eotf_nits(v) / 10000.0);
    // Published PQ signal levels (BT.2408 Table 1 and the usual 10-bit code values).
    for (nits, signal) in [
        (100.0, 0.5081),
        (203.0, 0.5806),
        (1000.0, 0.7518),
        (10000.0, 1.0),
    ] {
        let pq = TransferFunction::Pq.from_linear(nits / 10000.0);
        assert_close(pq, signal, TEN_BIT, &format!("PQ of {nits} cd/m²"));
        assert_close(pq, st2084_inverse_eotf_nits(nits), 1e-12, "inverse EOTF");
        let back = TransferFunction::Pq.to_linear(pq) * 10000.0;
        assert_close(back, nits, nits * 1e-9, &format!("{nits} cd/m² round trip"));
    }
    assert_eq!(TransferFunction::Pq.to_linear(0.0), 0.0);
}

#[test]
fn hlg_matches_bt_2100() {
    check_within(TransferFunction::Hlg, bt2100_hlg_inverse_oetf, 1e-8);
    for v in ten_bit_levels() {
        let e = bt2100_hlg_inverse_oetf(v);
        assert_close(
            TransferFunction::Hlg.from_linear(e),
            bt2100_hlg_oetf(e),
            1e-7,
            "oetf",
        );
    }
    // The two halves meet at E = 1/12, signal 0.5; E = 1 is signal 1.
    assert_close(
        TransferFunction::Hlg.from_linear(1.0 / 12.0),
        0.5,
        1e-12,
        "knee",
    );
    assert_close(TransferFunction::Hlg.from_linear(1.0), 1.0, 1e-6, "top");
}

#[test]
fn hlg_system_gamma_follows_bt_2100() {
    assert_close(hlg_system_gamma(1000.0), 1.2, 1e-12, "1000 cd/m²");
    for peak in [400.0, 600.0, 1500.0, 2000.0] {
        let expected = 1.2 + 0.42 * (peak / 1000.0_f64).log10();
        assert_close(hlg_system_gamma(peak), expected, 1e-12, "gamma");
    }
    assert!(HlgOotf::new(0.0).is_err());
    assert!(HlgOotf::new(f64::NAN).is_err());
}

#[test]
fn hlg_ootf_puts_reference_white_at_203_nits_on_1000() {
    // BT.2408: HLG reference white is signal 0.75, shown at 203 cd/m² on a 1000 cd/m²
    // display.
    let ootf = HlgOotf::new(1000.0).unwrap();
    let display = ootf.signal_to_display([0.75; 3]);
    for c in display {
        assert_close(c * 1000.0, 203.0, 0.5, "reference white");
    }
}

#[test]
fn hlg_ootf_matches_bt_2100_and_inverts() {
    let w = HLG_LUMINANCE_WEIGHTS;
    for peak in [400.0, 1000.0, 2000.0] {
        let gamma = 1.2 + 0.42 * (peak / 1000.0_f64).log10();
        let ootf = HlgOotf::new(peak).unwrap();
        for signal in rgb_samples() {
            let scene = signal.map(bt2100_hlg_inverse_oetf);
            let ys = w[0] * scene[0] + w[1] * scene[1] + w[2] * scene[2];
            let expected = if ys > 0.0 {
                scene.map(|e| ys.powf(gamma - 1.0) * e)
            } else {
                [0.0; 3]
            };
            let display = ootf.signal_to_display(signal);
            assert_close3(display, expected, 1e-7, "OOTF");
            let back = ootf.display_to_signal(display);
            if ys > 1e-6 {
                assert_close3(back, signal, TEN_BIT, "inverse OOTF");
            }
        }
    }
}

#[test]
fn out_of_range_values_are_clamped_except_extended_linear() {
    for tf in TransferFunction::ALL {
        let below = tf.to_linear(-0.5);
        let above = tf.to_linear(1.5);
        if tf == TransferFunction::ExtendedLinear {
            assert_eq!((below, above), (-0.5, 1.5));
            assert_eq!(tf.from_linear(-2.0), -2.0);
        } else {
            assert_eq!(below, tf.to_linear(0.0), "{tf:?}");
            assert_eq!(above, tf.to_linear(1.0), "{tf:?}");
            assert!(tf.from_linear(2.0).is_finite(), "{tf:?}");
        }
    }
}

#[test]
fn spec_constants_are_stable_and_dense() {
    let expected = [
        (TransferFunction::Srgb, 0),
        (TransferFunction::Gamma22, 1),
        (TransferFunction::Bt1886, 2),
        (TransferFunction::Gamma24, 3),
        (TransferFunction::Pq, 4),
        (TransferFunction::Hlg, 5),
        (TransferFunction::Linear, 6),
        (TransferFunction::ExtendedLinear, 7),
    ];
    for (tf, n) in expected {
        assert_eq!(tf.spec_constant(), n);
        assert_eq!(TransferFunction::from_spec_constant(n), Some(tf));
    }
    assert_eq!(TransferFunction::from_spec_constant(8), None);
    assert_eq!(TransferFunction::ALL.len(), expected.len());
}

#[test]
fn default_luminances_follow_the_protocol() {
    let d = TransferFunction::Srgb.default_luminances();
    assert_eq!((d.min, d.max, d.reference), (0.2, 80.0, 80.0));
    let pq = TransferFunction::Pq.default_luminances();
    assert_eq!((pq.min, pq.max, pq.reference), (0.0, 10000.0, 203.0));
    let hlg = TransferFunction::Hlg.default_luminances();
    assert_eq!((hlg.min, hlg.max, hlg.reference), (0.005, 1000.0, 203.0));
    // The protocol's bt1886: BT.2035's reference display.
    let bt1886 = TransferFunction::Bt1886.default_luminances();
    assert_eq!(
        (bt1886.min, bt1886.max, bt1886.reference),
        (0.01, 100.0, 100.0)
    );
    for tf in [
        TransferFunction::Gamma22,
        TransferFunction::Gamma24,
        TransferFunction::Linear,
        TransferFunction::ExtendedLinear,
    ] {
        assert_eq!(tf.default_luminances(), Luminances::DEFAULT);
    }
}
