//! Primaries, RGB to XYZ matrices and gamut conversions, against the published sRGB
//! matrix and against Little CMS transforms between matrix-shaper profiles built from
//! the same chromaticities.

use crate::reference::*;
use lcms2::{CIExyY, CIExyYTRIPLE, Intent, PixelFormat, Profile, ToneCurve, Transform};
use vkcompose::color::{bradford, conversion, Chromaticity, ColorError, Mat3, Primaries};

fn xy_y(c: Chromaticity) -> CIExyY {
    CIExyY {
        x: c.x,
        y: c.y,
        Y: 1.0,
    }
}

/// A linear-light (gamma 1.0) matrix-shaper RGB profile with `primaries`.
fn linear_profile(primaries: &Primaries) -> Profile {
    let triple = CIExyYTRIPLE {
        Red: xy_y(primaries.red),
        Green: xy_y(primaries.green),
        Blue: xy_y(primaries.blue),
    };
    let linear = ToneCurve::new(1.0);
    Profile::new_rgb(
        &xy_y(primaries.white),
        &triple,
        &[&linear, &linear, &linear],
    )
    .expect("Little CMS builds the profile")
}

/// Little CMS's relative colorimetric transform of `samples` from `from` to `to`.
fn lcms_convert(from: &Primaries, to: &Primaries, samples: &[[f64; 3]]) -> Vec<[f64; 3]> {
    let transform: Transform<[f64; 3], [f64; 3]> = Transform::new(
        &linear_profile(from),
        PixelFormat::RGB_DBL,
        &linear_profile(to),
        PixelFormat::RGB_DBL,
        Intent::RelativeColorimetric,
    )
    .expect("Little CMS builds the transform");
    let mut out = vec![[0.0; 3]; samples.len()];
    transform.transform_pixels(samples, &mut out);
    out
}

fn clip(rgb: [f64; 3]) -> [f64; 3] {
    rgb.map(|c| c.clamp(0.0, 1.0))
}

/// Compares our conversion with Little CMS on every sample within a 10-bit step, as is
/// (Little CMS's floating-point transforms are unbounded, so out-of-gamut results are
/// negative or above 1 on both sides) and clipped to [0, 1] as a target would store it.
/// In practice the two agree to about 1e-7.
fn compare_with_lcms(from: &Primaries, to: &Primaries) {
    let samples = rgb_samples();
    let matrix = conversion(from, to).unwrap();
    let expected = lcms_convert(from, to, &samples);
    for (rgb, lcms) in samples.iter().zip(expected) {
        let ours = matrix.apply(*rgb);
        assert_close3(ours, lcms, TEN_BIT, &format!("{rgb:?}"));
        assert_close3(clip(ours), clip(lcms), TEN_BIT, &format!("{rgb:?} clipped"));
    }
}

const CUSTOM_D50: Primaries = Primaries {
    red: Chromaticity::new(0.70, 0.29),
    green: Chromaticity::new(0.20, 0.72),
    blue: Chromaticity::new(0.14, 0.05),
    white: Chromaticity::D50,
};

#[test]
fn srgb_to_xyz_is_the_published_matrix() {
    // IEC 61966-2-1 section 5.2 prints this matrix to four decimals.
    let published = [
        [0.4124, 0.3576, 0.1805],
        [0.2126, 0.7152, 0.0722],
        [0.0193, 0.1192, 0.9505],
    ];
    let m = Primaries::SRGB.rgb_to_xyz().unwrap();
    for (row, expected) in m.0.iter().zip(published) {
        assert_close3(*row, expected, 1e-4, "sRGB to XYZ");
    }
    let white = m.apply([1.0; 3]);
    assert_close3(white, Chromaticity::D65.to_xyz(), 1e-12, "white");
    assert_close(white[1], 1.0, 1e-12, "white luminance");
}

#[test]
fn bt2020_luminance_weights_match_bt_2100() {
    let w = Primaries::BT2020.luminance_weights().unwrap();
    assert_close3(w, [0.2627, 0.6780, 0.0593], 1e-4, "BT.2020 Y row");
}

#[test]
fn srgb_to_bt2020_matches_lcms() {
    compare_with_lcms(&Primaries::SRGB, &Primaries::BT2020);
}

#[test]
fn display_p3_to_srgb_matches_lcms_after_clipping() {
    compare_with_lcms(&Primaries::DISPLAY_P3, &Primaries::SRGB);
}

#[test]
fn other_white_points_match_lcms() {
    compare_with_lcms(&CUSTOM_D50, &Primaries::SRGB);
    compare_with_lcms(&Primaries::SRGB, &CUSTOM_D50);
    compare_with_lcms(&Primaries::DCI_P3, &Primaries::BT2020);
    for named in [
        Primaries::ADOBE_RGB,
        Primaries::BT601_525,
        Primaries::BT601_625,
    ] {
        compare_with_lcms(&named, &Primaries::BT709);
    }
}

#[test]
fn conversions_keep_white_white() {
    let all = [
        Primaries::BT709,
        Primaries::BT2020,
        Primaries::DISPLAY_P3,
        Primaries::DCI_P3,
        Primaries::ADOBE_RGB,
        Primaries::BT601_525,
        Primaries::BT601_625,
        CUSTOM_D50,
    ];
    for from in &all {
        for to in &all {
            let white = conversion(from, to).unwrap().apply([1.0; 3]);
            assert_close3(white, [1.0; 3], 1e-12, "white");
        }
    }
}

#[test]
fn equal_primaries_convert_by_the_exact_identity() {
    for p in [Primaries::BT709, Primaries::BT2020, CUSTOM_D50] {
        assert_eq!(conversion(&p, &p).unwrap(), Mat3::IDENTITY);
    }
    assert_eq!(
        bradford(Chromaticity::D65, Chromaticity::D65).unwrap(),
        Mat3::IDENTITY
    );
}

#[test]
fn bradford_maps_white_to_white() {
    let adapt = bradford(Chromaticity::D65, Chromaticity::D50).unwrap();
    let d50 = adapt.apply(Chromaticity::D65.to_xyz());
    assert_close3(d50, Chromaticity::D50.to_xyz(), 1e-12, "D65 to D50");
    // The ICC's published D65 to D50 Bradford matrix (ICC.1:2022 Annex E), which uses
    // the XYZ of D65 (0.9504, 1, 1.0889) and D50 (0.9642, 1, 0.8249); the xy whites here
    // differ in the fourth decimal.
    let icc = [
        [1.0479, 0.0229, -0.0502],
        [0.0296, 0.9904, -0.0171],
        [-0.0092, 0.0151, 0.7519],
    ];
    for (row, expected) in adapt.0.iter().zip(icc) {
        assert_close3(*row, expected, 1e-3, "Bradford D65 to D50");
    }
}

fn with(mut p: Primaries, edit: impl FnOnce(&mut Primaries)) -> Primaries {
    edit(&mut p);
    p
}

#[test]
fn invalid_primaries_are_refused_with_the_right_error() {
    let nan = with(Primaries::BT709, |p| p.red.x = f64::NAN);
    assert_eq!(
        nan.validate(),
        Err(ColorError::NotFinite {
            what: "red primary"
        })
    );
    let infinite = with(Primaries::BT709, |p| p.white.y = f64::INFINITY);
    assert!(matches!(
        infinite.rgb_to_xyz(),
        Err(ColorError::NotFinite { .. })
    ));

    let outside = with(Primaries::BT709, |p| p.white = Chromaticity::new(0.6, 0.2));
    assert_eq!(outside.validate(), Err(ColorError::WhiteOutsideGamut));
    let on_edge = with(Primaries::BT709, |p| {
        p.white = Chromaticity::new(0.47, 0.465)
    });
    assert_eq!(on_edge.validate(), Err(ColorError::WhiteOutsideGamut));

    let collinear = with(Primaries::BT709, |p| {
        p.green = Chromaticity::new(0.395, 0.195)
    });
    assert_eq!(collinear.validate(), Err(ColorError::DegenerateGamut));
    let coincident = with(Primaries::BT709, |p| p.blue = p.red);
    assert_eq!(coincident.validate(), Err(ColorError::DegenerateGamut));

    let zero_y = with(Primaries::BT709, |p| p.blue.y = 0.0);
    assert!(matches!(
        zero_y.validate(),
        Err(ColorError::ChromaticityOutOfRange { .. })
    ));
    let x_one = with(Primaries::BT709, |p| p.red.x = 1.0);
    assert!(matches!(
        x_one.validate(),
        Err(ColorError::ChromaticityOutOfRange { .. })
    ));
    assert!(matches!(
        conversion(&Primaries::BT709, &collinear),
        Err(ColorError::DegenerateGamut)
    ));
}

#[test]
fn custom_primaries_validate() {
    let p = Primaries::custom(
        CUSTOM_D50.red,
        CUSTOM_D50.green,
        CUSTOM_D50.blue,
        CUSTOM_D50.white,
    )
    .unwrap();
    assert_eq!(p, CUSTOM_D50);
    // Clockwise corners are a triangle too.
    let clockwise = Primaries::custom(
        Primaries::BT709.blue,
        Primaries::BT709.green,
        Primaries::BT709.red,
        Chromaticity::D65,
    );
    assert!(clockwise.is_ok());
}

#[test]
fn named_primaries_are_valid() {
    for p in [
        Primaries::BT709,
        Primaries::SRGB,
        Primaries::BT2020,
        Primaries::DISPLAY_P3,
        Primaries::DCI_P3,
        Primaries::ADOBE_RGB,
        Primaries::BT601_525,
        Primaries::BT601_625,
    ] {
        p.validate().unwrap();
    }
}

#[test]
#[ignore = "prints how far from Little CMS the conversions are"]
fn report_lcms_differences() {
    let samples = rgb_samples();
    for (name, from, to) in [
        ("sRGB to BT.2020", Primaries::SRGB, Primaries::BT2020),
        ("Display P3 to sRGB", Primaries::DISPLAY_P3, Primaries::SRGB),
        ("custom D50 to sRGB", CUSTOM_D50, Primaries::SRGB),
        ("sRGB to custom D50", Primaries::SRGB, CUSTOM_D50),
    ] {
        let m = conversion(&from, &to).unwrap();
        let lcms = lcms_convert(&from, &to, &samples);
        let mut largest = 0.0f64;
        for (s, l) in samples.iter().zip(&lcms) {
            let o = m.apply(*s);
            for c in 0..3 {
                largest = largest.max((o[c] - l[c]).abs());
            }
        }
        println!("{name}: largest difference from Little CMS {largest:e}");
    }
}
