//! The luminance range and reference white of a colour description's primary colour
//! volume, in cd/m², with the defaults `wp_color_management_v1` implies.

use super::error::ColorError;

/// A primary colour volume's luminances in cd/m²: the darkest (`min`) and brightest
/// (`max`) the targeted display reproduces, and the luminance of reference white
/// (`reference`, the level of a sheet of paper or an SDR desktop's white).
///
/// Valid when all are finite, `min >= 0`, `max > min` and `reference > min`, the rules of
/// `wp_image_description_creator_params_v1.set_luminances`. `reference` may exceed `max`:
/// the protocol allows it (reaching reference white then needs the target volume to
/// extend past the primary volume), so it is not refused here.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Luminances {
    pub min: f64,
    pub max: f64,
    pub reference: f64,
}

impl Luminances {
    /// The protocol's default for every transfer function that implies none of its own:
    /// 0.2 to 80 cd/m² with reference white at 80 cd/m² (an sRGB reference display).
    pub const DEFAULT: Luminances = Luminances::unchecked(0.2, 80.0, 80.0);
    /// What `st2084_pq` implies: 0 to 10 000 cd/m² (fixed by ST 2084) with reference white
    /// at 203 cd/m² (the protocol's addition, from Report ITU-R BT.2408).
    pub const PQ: Luminances = Luminances::unchecked(0.0, 10_000.0, 203.0);
    /// What `bt1886` implies: 0.01 to 100 cd/m² with reference white at 100 cd/m² (the
    /// reference display of Rec. ITU-R BT.2035).
    pub const BT1886: Luminances = Luminances::unchecked(0.01, 100.0, 100.0);
    /// What `hlg` implies: 0.005 to 1000 cd/m² with reference white at 203 cd/m²
    /// (BT.2408's level for HLG shown on a 1000 cd/m² display).
    pub const HLG: Luminances = Luminances::unchecked(0.005, 1000.0, 203.0);
    /// scRGB's range as Windows defines it: value 0 is 0 cd/m² and 1.0 is 80 cd/m². The
    /// reference white is taken as 1.0 (80 cd/m²), EGL's scRGB definition, so that SDR
    /// white stays at 1.0; Windows leaves it unknown and the protocol suggests 203 cd/m²
    /// (value 2.5375) where one must be assumed.
    pub const SCRGB: Luminances = Luminances::unchecked(0.0, 80.0, 80.0);

    const fn unchecked(min: f64, max: f64, reference: f64) -> Luminances {
        Luminances {
            min,
            max,
            reference,
        }
    }

    /// Luminances from outside, checked with [`Luminances::validate`].
    pub fn new(min: f64, max: f64, reference: f64) -> Result<Luminances, ColorError> {
        let luminances = Luminances::unchecked(min, max, reference);
        luminances.validate()?;
        Ok(luminances)
    }

    /// Checks that every value is finite, `min >= 0`, `max > min` and `reference > min`.
    pub fn validate(&self) -> Result<(), ColorError> {
        check_finite(self.min, "minimum luminance")?;
        check_finite(self.max, "maximum luminance")?;
        check_finite(self.reference, "reference white luminance")?;
        if self.min < 0.0 {
            return Err(ColorError::NegativeLuminance {
                what: "minimum",
                value: self.min,
            });
        }
        if self.max <= self.min {
            return Err(ColorError::LuminanceOrder {
                min: self.min,
                max: self.max,
            });
        }
        if self.reference <= self.min {
            return Err(ColorError::ReferenceOutOfRange {
                reference: self.reference,
                min: self.min,
            });
        }
        Ok(())
    }
}

impl Default for Luminances {
    fn default() -> Luminances {
        Luminances::DEFAULT
    }
}

/// `NotFinite { what }` unless `value` is finite.
pub(super) fn check_finite(value: f64, what: &'static str) -> Result<(), ColorError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(ColorError::NotFinite { what })
    }
}
