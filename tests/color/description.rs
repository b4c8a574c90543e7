//! Colour descriptions: validation, the named constructors, decoding, and the
//! reference-white anchoring between descriptions.

use crate::reference::*;
use vkcompose::color::{
    linear_scale, ColorDescription, ColorError, ContentLightLevels, Luminances, MasteringDisplay,
    Primaries, TransferFunction,
};

#[test]
fn luminance_validation_gives_the_right_errors() {
    assert_eq!(
        Luminances::new(1.0, 1.0, 1.0),
        Err(ColorError::LuminanceOrder { min: 1.0, max: 1.0 })
    );
    assert_eq!(
        Luminances::new(5.0, 2.0, 3.0),
        Err(ColorError::LuminanceOrder { min: 5.0, max: 2.0 })
    );
    assert!(matches!(
        Luminances::new(f64::NAN, 80.0, 80.0),
        Err(ColorError::NotFinite { .. })
    ));
    assert!(matches!(
        Luminances::new(0.2, f64::INFINITY, 80.0),
        Err(ColorError::NotFinite { .. })
    ));
    assert!(matches!(
        Luminances::new(-0.1, 80.0, 80.0),
        Err(ColorError::NegativeLuminance { .. })
    ));
    assert_eq!(
        Luminances::new(0.2, 80.0, 0.2),
        Err(ColorError::ReferenceOutOfRange {
            reference: 0.2,
            min: 0.2
        })
    );
    // The protocol allows reference white above the maximum.
    assert!(Luminances::new(0.2, 80.0, 203.0).is_ok());
}

#[test]
fn named_descriptions_are_valid_and_as_documented() {
    let srgb = ColorDescription::srgb();
    assert_eq!(ColorDescription::default(), srgb);
    assert_eq!(srgb.transfer, TransferFunction::Srgb);
    assert_eq!(srgb.primaries, Primaries::BT709);
    let pq = ColorDescription::bt2020_pq();
    assert_eq!(
        (pq.transfer, pq.primaries),
        (TransferFunction::Pq, Primaries::BT2020)
    );
    let hlg = ColorDescription::bt2020_hlg();
    assert_eq!(hlg.luminances.max, 1000.0);
    let scrgb = ColorDescription::scrgb();
    assert_eq!(scrgb.transfer, TransferFunction::ExtendedLinear);
    assert_eq!((scrgb.luminances.min, scrgb.luminances.max), (0.0, 80.0));
    assert_eq!(
        ColorDescription::display_p3().primaries,
        Primaries::DISPLAY_P3
    );
    assert_eq!(
        ColorDescription::bt709_bt1886().transfer,
        TransferFunction::Bt1886
    );
    for d in [
        srgb,
        pq,
        hlg,
        scrgb,
        ColorDescription::display_p3(),
        ColorDescription::bt709_bt1886(),
    ] {
        d.validate().unwrap();
    }
}

#[test]
fn new_validates_everything() {
    let bad_primaries = Primaries {
        white: vkcompose::color::Chromaticity::new(0.7, 0.25),
        ..Primaries::BT709
    };
    let d = ColorDescription::new(
        TransferFunction::Srgb,
        bad_primaries,
        Luminances::DEFAULT,
        None,
        None,
    );
    assert_eq!(d, Err(ColorError::WhiteOutsideGamut));

    let bad_luminances = Luminances {
        min: 10.0,
        max: 5.0,
        reference: 8.0,
    };
    let d = ColorDescription::new(
        TransferFunction::Srgb,
        Primaries::BT709,
        bad_luminances,
        None,
        None,
    );
    assert!(matches!(d, Err(ColorError::LuminanceOrder { .. })));

    let mastering = MasteringDisplay {
        primaries: Primaries::DISPLAY_P3,
        min_luminance: 0.0001,
        max_luminance: 1000.0,
    };
    let over_peak = ContentLightLevels {
        max_cll: 4000.0,
        max_fall: 400.0,
    };
    let d = ColorDescription::new(
        TransferFunction::Pq,
        Primaries::BT2020,
        Luminances::PQ,
        Some(mastering),
        Some(over_peak),
    );
    assert!(matches!(d, Err(ColorError::ContentLightOutOfRange { .. })));
    let fall_above = ContentLightLevels {
        max_cll: 400.0,
        max_fall: 800.0,
    };
    let d = ColorDescription::new(
        TransferFunction::Pq,
        Primaries::BT2020,
        Luminances::PQ,
        Some(mastering),
        Some(fall_above),
    );
    assert!(matches!(d, Err(ColorError::FallAboveCll { .. })));
    let good = ColorDescription::new(
        TransferFunction::Pq,
        Primaries::BT2020,
        Luminances::PQ,
        Some(mastering),
        Some(ContentLightLevels {
            max_cll: 900.0,
            max_fall: 0.0,
        }),
    )
    .unwrap();
    assert_eq!(good.content_peak_nits(), 900.0);
    assert_eq!(good.target_luminance_range(), (0.0001, 1000.0));
    assert_eq!(good.target_primaries(), Primaries::DISPLAY_P3);
}

#[test]
fn pq_keeps_st_2084_range_whatever_it_is_given() {
    let given = Luminances::new(1.0, 600.0, 300.0).unwrap();
    let d =
        ColorDescription::new(TransferFunction::Pq, Primaries::BT2020, given, None, None).unwrap();
    assert_eq!((d.luminances.min, d.luminances.max), (0.0, 10000.0));
    assert_eq!(d.luminances.reference, 300.0);
}

#[test]
fn bt1886_decodes_with_the_descriptions_luminances() {
    let lums = Luminances::new(0.5, 300.0, 200.0).unwrap();
    let d = ColorDescription::new(TransferFunction::Bt1886, Primaries::BT709, lums, None, None)
        .unwrap();
    for v in ten_bit_levels() {
        let expected = bt1886_eotf_nits(v, 300.0, 0.5) / 300.0;
        assert_close(d.to_linear(v), expected, 1e-12, "BT.1886 EOTF");
        assert_close(d.from_linear(expected), v, TEN_BIT, "BT.1886 inverse");
        let nits = d.decode([v; 3])[0] * d.to_nits_scale();
        assert_close(nits, bt1886_eotf_nits(v, 300.0, 0.5), 1e-9, "cd/m²");
    }
}

#[test]
fn nits_scales_follow_the_conventions() {
    assert_eq!(ColorDescription::srgb().to_nits_scale(), 80.0);
    assert_eq!(ColorDescription::bt2020_pq().to_nits_scale(), 10000.0);
    assert_eq!(ColorDescription::bt2020_hlg().to_nits_scale(), 1000.0);
    assert_eq!(ColorDescription::scrgb().to_nits_scale(), 80.0);
    let pq = ColorDescription::bt2020_pq();
    assert_close(
        pq.from_nits_scale() * pq.to_nits_scale(),
        1.0,
        1e-15,
        "reciprocal",
    );
    // PQ's 203 cd/m² decodes to 0.0203 on the absolute scale.
    let signal = st2084_inverse_eotf_nits(203.0);
    assert_close(
        pq.decode([signal; 3])[1] * 10000.0,
        203.0,
        1e-6,
        "PQ decode",
    );
}

#[test]
fn reference_white_lands_on_reference_white() {
    let descriptions = [
        ColorDescription::srgb(),
        ColorDescription::bt2020_pq(),
        ColorDescription::bt2020_hlg(),
        ColorDescription::scrgb(),
        ColorDescription::display_p3(),
        ColorDescription {
            luminances: Luminances::new(0.2, 400.0, 200.0).unwrap(),
            ..ColorDescription::srgb()
        },
    ];
    for from in &descriptions {
        for to in &descriptions {
            let from_white = from.luminances.reference / from.to_nits_scale();
            let landed = from_white * linear_scale(from, to) * to.to_nits_scale();
            assert_close(landed, to.luminances.reference, 1e-9, "reference white");
        }
        assert_eq!(linear_scale(from, from), 1.0);
    }
    // sRGB white (1.0) into PQ is 203 cd/m², and back.
    let (srgb, pq) = (ColorDescription::srgb(), ColorDescription::bt2020_pq());
    assert_close(
        linear_scale(&srgb, &pq) * 10000.0,
        203.0,
        1e-9,
        "sRGB in PQ",
    );
    assert_close(linear_scale(&pq, &srgb) * 0.0203, 1.0, 1e-12, "PQ in sRGB");
}

#[test]
fn hlg_reference_white_decodes_to_its_reference_luminance() {
    let hlg = ColorDescription::bt2020_hlg();
    let nits = hlg.decode([0.75; 3])[0] * hlg.to_nits_scale();
    assert_close(nits, hlg.luminances.reference, 0.5, "HLG 75 % is 203 cd/m²");
    let back = hlg.encode(hlg.decode([0.75, 0.5, 0.25]));
    assert_close3(back, [0.75, 0.5, 0.25], 1e-9, "HLG round trip");
}

#[test]
fn same_encoding_compares_what_matters() {
    let srgb = ColorDescription::srgb();
    assert!(srgb.same_encoding(&ColorDescription::srgb()));
    assert!(!srgb.same_encoding(&ColorDescription::display_p3()));
    assert!(!srgb.same_encoding(&ColorDescription::bt709_bt1886()));
    let brighter = ColorDescription {
        luminances: Luminances::new(0.2, 80.0, 40.0).unwrap(),
        ..srgb
    };
    assert!(!srgb.same_encoding(&brighter));
    // sRGB's black level is not used by its decoding or the anchoring.
    let darker_black = ColorDescription {
        luminances: Luminances::new(0.05, 80.0, 80.0).unwrap(),
        ..srgb
    };
    assert!(srgb.same_encoding(&darker_black));
    // BT.1886's black level lifts its curve.
    let bt1886 = ColorDescription::bt709_bt1886();
    let bt1886_black = ColorDescription {
        luminances: darker_black.luminances,
        ..bt1886
    };
    assert!(!bt1886.same_encoding(&bt1886_black));
    // Mastering metadata does not change the encoding.
    let pq = ColorDescription::bt2020_pq();
    let mastered = ColorDescription {
        mastering: Some(MasteringDisplay {
            primaries: Primaries::DISPLAY_P3,
            min_luminance: 0.005,
            max_luminance: 1000.0,
        }),
        ..pq
    };
    assert!(pq.same_encoding(&mastered));
    let pq_300 = ColorDescription {
        luminances: Luminances {
            reference: 300.0,
            ..pq.luminances
        },
        ..pq
    };
    assert!(!pq.same_encoding(&pq_300));
}

#[test]
fn errors_display_clearly() {
    let message = ColorError::LuminanceOrder { min: 5.0, max: 2.0 }.to_string();
    assert!(message.contains('5') && message.contains('2'), "{message}");
    let error: Box<dyn std::error::Error> = Box::new(ColorError::WhiteOutsideGamut);
    assert!(error.to_string().contains("white point"));
}
