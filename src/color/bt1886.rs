//! The reference EOTF of ITU-R BT.1886 for flat-panel SDR video displays: a 2.4 power
//! whose zero is lifted so that signal 0 shows the display's own black level.

use super::error::ColorError;
use super::luminance::Luminances;

const GAMMA: f64 = 2.4;

/// BT.1886's EOTF for a display of white luminance `white` and black luminance `black`
/// (cd/m²): `L = a·max(V + b, 0)^2.4` with
/// `a = (Lw^(1/2.4) − Lb^(1/2.4))^2.4` and `b = Lb^(1/2.4) / (Lw^(1/2.4) − Lb^(1/2.4))`.
///
/// Linear light is relative to the white: 1.0 = `white` cd/m², and signal 0 gives
/// `black / white`. With a zero black level it is a pure 2.4 power.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bt1886 {
    white: f64,
    black: f64,
}

impl Bt1886 {
    /// The EOTF for a display from `black` to `white` cd/m² (finite, `0 <= black <
    /// white`).
    pub fn new(white: f64, black: f64) -> Result<Bt1886, ColorError> {
        Luminances::new(black, white, white)?;
        Ok(Bt1886 { white, black })
    }

    /// The EOTF for the range a description's luminances give: `min` is the black,
    /// `max` the white.
    pub fn from_luminances(luminances: &Luminances) -> Bt1886 {
        Bt1886 {
            white: luminances.max,
            black: luminances.min,
        }
    }

    /// `(a, b)` of the formula, with `a` divided by the white so that light is relative
    /// (what the shaders take).
    pub fn coefficients(&self) -> (f64, f64) {
        let white_root = self.white.powf(1.0 / GAMMA);
        let black_root = self.black.powf(1.0 / GAMMA);
        let span = white_root - black_root;
        (span.powf(GAMMA) / self.white, black_root / span)
    }

    /// Signal `V` (clamped to `[0, 1]`) to linear light relative to the white.
    pub fn to_linear(&self, encoded: f64) -> f64 {
        let (a, b) = self.coefficients();
        a * (encoded.clamp(0.0, 1.0) + b).max(0.0).powf(GAMMA)
    }

    /// Linear light relative to the white to signal `V`, clamped to `[0, 1]`: light
    /// below the display's black has no signal and gives 0.
    pub fn from_linear(&self, linear: f64) -> f64 {
        let (a, b) = self.coefficients();
        ((linear.max(0.0) / a).powf(1.0 / GAMMA) - b).clamp(0.0, 1.0)
    }
}
