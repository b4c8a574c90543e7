//! HDR static metadata a client can attach to its content: the mastering display's colour
//! volume (SMPTE ST 2086) and the content light levels (CTA-861.3 MaxCLL and MaxFALL).

use super::error::ColorError;
use super::luminance::check_finite;
use super::primaries::Primaries;

/// The display the content was graded on (SMPTE ST 2086): its primaries and luminance
/// range in cd/m². Together they are the description's target colour volume, what tone
/// and gamut mapping should aim to preserve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MasteringDisplay {
    pub primaries: Primaries,
    pub min_luminance: f64,
    pub max_luminance: f64,
}

impl MasteringDisplay {
    /// Checks the primaries as [`Primaries::validate`] does and that the luminances are
    /// finite with `0 <= min_luminance < max_luminance`.
    pub fn validate(&self) -> Result<(), ColorError> {
        self.primaries.validate()?;
        check_finite(self.min_luminance, "mastering minimum luminance")?;
        check_finite(self.max_luminance, "mastering maximum luminance")?;
        if self.min_luminance < 0.0 {
            return Err(ColorError::NegativeLuminance {
                what: "mastering minimum",
                value: self.min_luminance,
            });
        }
        if self.max_luminance <= self.min_luminance {
            return Err(ColorError::LuminanceOrder {
                min: self.min_luminance,
                max: self.max_luminance,
            });
        }
        Ok(())
    }
}

/// The content's light levels in cd/m² (CTA-861.3): the brightest pixel (`max_cll`) and
/// the brightest frame average (`max_fall`). As in CTA-861.3, 0 means unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ContentLightLevels {
    pub max_cll: f64,
    pub max_fall: f64,
}

impl ContentLightLevels {
    /// Checks the protocol's rules against the target volume's luminance range
    /// `(min, max)`: each known level is finite, above `min` and at most `max`, and
    /// MaxFALL does not exceed MaxCLL when both are known.
    pub fn validate(&self, min: f64, max: f64) -> Result<(), ColorError> {
        check_level(self.max_cll, "MaxCLL", min, max)?;
        check_level(self.max_fall, "MaxFALL", min, max)?;
        if self.max_cll > 0.0 && self.max_fall > self.max_cll {
            return Err(ColorError::FallAboveCll {
                max_cll: self.max_cll,
                max_fall: self.max_fall,
            });
        }
        Ok(())
    }
}

fn check_level(value: f64, what: &'static str, min: f64, max: f64) -> Result<(), ColorError> {
    check_finite(value, what)?;
    if value == 0.0 || (value > min && value <= max) {
        return Ok(());
    }
    Err(ColorError::ContentLightOutOfRange {
        what,
        value,
        min,
        max,
    })
}
