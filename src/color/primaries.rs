//! Colour primaries and white points as CIE 1931 xy chromaticities, the named sets the
//! compositor meets, and the RGB to XYZ matrix each set defines.

use super::error::ColorError;
use super::matrix::Mat3;

/// A CIE 1931 chromaticity: the colour of a light apart from its luminance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Chromaticity {
    pub x: f64,
    pub y: f64,
}

impl Chromaticity {
    /// CIE standard illuminant D65, as the ITU and IEC standards round it.
    pub const D65: Chromaticity = Chromaticity::new(0.3127, 0.3290);
    /// CIE standard illuminant D50 (the ICC profile connection space's white).
    pub const D50: Chromaticity = Chromaticity::new(0.3457, 0.3585);
    /// The white of the DCI digital cinema projector (SMPTE RP 431-2).
    pub const DCI: Chromaticity = Chromaticity::new(0.314, 0.351);

    pub const fn new(x: f64, y: f64) -> Chromaticity {
        Chromaticity { x, y }
    }

    /// Checks that the coordinate is finite and in `0 < x < 1`, `0 < y <= 1`; `what`
    /// names it in the error. `y` must be positive because XYZ is found by dividing by it.
    pub fn validate(&self, what: &'static str) -> Result<(), ColorError> {
        if !self.x.is_finite() || !self.y.is_finite() {
            return Err(ColorError::NotFinite { what });
        }
        let x_ok = self.x > 0.0 && self.x < 1.0;
        let y_ok = self.y > 0.0 && self.y <= 1.0;
        if !x_ok || !y_ok {
            return Err(ColorError::ChromaticityOutOfRange {
                what,
                x: self.x,
                y: self.y,
            });
        }
        Ok(())
    }

    /// The XYZ tristimulus values of this colour at luminance `Y = 1`.
    ///
    /// Only meaningful for a validated chromaticity (`y > 0`).
    pub fn to_xyz(&self) -> [f64; 3] {
        [self.x / self.y, 1.0, (1.0 - self.x - self.y) / self.y]
    }
}

/// An RGB colour space's three primaries and its white point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Primaries {
    pub red: Chromaticity,
    pub green: Chromaticity,
    pub blue: Chromaticity,
    pub white: Chromaticity,
}

/// Below this (twice the triangle's area in the xy plane) the primaries count as
/// collinear: the RGB to XYZ matrix would be singular or nearly so.
const MIN_DOUBLE_AREA: f64 = 1e-9;

/// How far (as twice a triangle's area) the white point must be from every edge to
/// count as strictly inside: far above rounding error, far below any real gamut.
const WHITE_EDGE_MARGIN: f64 = 1e-12;

impl Primaries {
    /// ITU-R BT.709-6 and IEC 61966-2-1 (sRGB): the SDR desktop's primaries, D65 white.
    pub const BT709: Primaries = Primaries::from_xy(
        [0.640, 0.330],
        [0.300, 0.600],
        [0.150, 0.060],
        Chromaticity::D65,
    );
    /// sRGB's primaries are BT.709's.
    pub const SRGB: Primaries = Primaries::BT709;
    /// ITU-R BT.2020-2 and BT.2100: the wide gamut of UHD and HDR video, D65 white.
    pub const BT2020: Primaries = Primaries::from_xy(
        [0.708, 0.292],
        [0.170, 0.797],
        [0.131, 0.046],
        Chromaticity::D65,
    );
    /// SMPTE EG 432-1 Display P3: DCI-P3's primaries with a D65 white.
    pub const DISPLAY_P3: Primaries = Primaries::from_xy(
        [0.680, 0.320],
        [0.265, 0.690],
        [0.150, 0.060],
        Chromaticity::D65,
    );
    /// SMPTE RP 431-2 DCI-P3: the cinema projector's primaries and its greenish white.
    pub const DCI_P3: Primaries = Primaries::from_xy(
        [0.680, 0.320],
        [0.265, 0.690],
        [0.150, 0.060],
        Chromaticity::DCI,
    );
    /// Adobe RGB (1998), ISO 12640-4: a wider green than sRGB, D65 white.
    pub const ADOBE_RGB: Primaries = Primaries::from_xy(
        [0.640, 0.330],
        [0.210, 0.710],
        [0.150, 0.060],
        Chromaticity::D65,
    );
    /// ITU-R BT.601-7 525 lines (SMPTE 170M): NTSC-era standard definition, D65 white.
    pub const BT601_525: Primaries = Primaries::from_xy(
        [0.630, 0.340],
        [0.310, 0.595],
        [0.155, 0.070],
        Chromaticity::D65,
    );
    /// ITU-R BT.601-7 625 lines (BT.470 System B, G): PAL and SECAM, D65 white.
    pub const BT601_625: Primaries = Primaries::from_xy(
        [0.640, 0.330],
        [0.290, 0.600],
        [0.150, 0.060],
        Chromaticity::D65,
    );

    const fn from_xy(r: [f64; 2], g: [f64; 2], b: [f64; 2], white: Chromaticity) -> Primaries {
        Primaries {
            red: Chromaticity::new(r[0], r[1]),
            green: Chromaticity::new(g[0], g[1]),
            blue: Chromaticity::new(b[0], b[1]),
            white,
        }
    }

    /// Primaries from outside (a client's `set_primaries`, a display's EDID), checked
    /// with [`Primaries::validate`].
    pub fn custom(
        red: Chromaticity,
        green: Chromaticity,
        blue: Chromaticity,
        white: Chromaticity,
    ) -> Result<Primaries, ColorError> {
        let primaries = Primaries {
            red,
            green,
            blue,
            white,
        };
        primaries.validate()?;
        Ok(primaries)
    }

    /// Checks every coordinate (finite, `0 < x < 1`, `0 < y <= 1`), that the primaries
    /// span a triangle, and that the white point lies strictly inside it: only then does
    /// white have a positive amount of each primary, so that [`Primaries::rgb_to_xyz`]
    /// exists and RGB (1, 1, 1) is the white point.
    pub fn validate(&self) -> Result<(), ColorError> {
        self.red.validate("red primary")?;
        self.green.validate("green primary")?;
        self.blue.validate("blue primary")?;
        self.white.validate("white point")?;
        let area = double_signed_area(self.red, self.green, self.blue);
        if area.abs() < MIN_DOUBLE_AREA {
            return Err(ColorError::DegenerateGamut);
        }
        // The white point is inside when it sees every edge turning the same way as the
        // triangle itself; on an edge one of these areas is zero, give or take rounding,
        // hence the margin.
        let edges = [
            double_signed_area(self.red, self.green, self.white),
            double_signed_area(self.green, self.blue, self.white),
            double_signed_area(self.blue, self.red, self.white),
        ];
        if edges.iter().any(|e| e * area.signum() <= WHITE_EDGE_MARGIN) {
            return Err(ColorError::WhiteOutsideGamut);
        }
        Ok(())
    }

    /// The matrix from linear RGB in these primaries to CIE XYZ, normalised so that RGB
    /// (1, 1, 1) lands on the white point with luminance `Y = 1`.
    ///
    /// Each primary's XYZ at `Y = 1` is a column; each column is then scaled by the amount
    /// of that primary that white needs, found by solving for the white point's XYZ.
    pub fn rgb_to_xyz(&self) -> Result<Mat3, ColorError> {
        self.validate()?;
        let unscaled =
            Mat3::from_columns(self.red.to_xyz(), self.green.to_xyz(), self.blue.to_xyz());
        let amounts = unscaled.inverse()?.apply(self.white.to_xyz());
        Ok(unscaled * Mat3::diagonal(amounts))
    }

    /// The matrix from CIE XYZ to linear RGB in these primaries (the inverse of
    /// [`Primaries::rgb_to_xyz`]).
    pub fn xyz_to_rgb(&self) -> Result<Mat3, ColorError> {
        self.rgb_to_xyz()?.inverse()
    }

    /// How much each linear channel adds to luminance: the `Y` row of
    /// [`Primaries::rgb_to_xyz`]. The weights add up to 1 (white has `Y = 1`).
    pub fn luminance_weights(&self) -> Result<[f64; 3], ColorError> {
        Ok(self.rgb_to_xyz()?.row(1))
    }
}

/// Twice the signed area of the triangle `a, b, c` in the xy plane: positive when the
/// corners run anticlockwise, zero when they are collinear.
fn double_signed_area(a: Chromaticity, b: Chromaticity, c: Chromaticity) -> f64 {
    (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
}
