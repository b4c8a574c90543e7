//! Why a colour description, a conversion or a lookup table was refused.

use std::fmt;

/// A value that the colour layer cannot work with, found while validating it.
///
/// Every constructor that takes numbers from outside (a client's image description, a
/// display's EDID, a LUT file) checks them and answers one of these instead of producing
/// matrices or curves full of NaN.
#[derive(Clone, Debug, PartialEq)]
pub enum ColorError {
    /// A number that should be finite is NaN or infinite; `what` names it.
    NotFinite { what: &'static str },
    /// A chromaticity coordinate lies outside `0 < x < 1`, `0 < y <= 1`.
    ChromaticityOutOfRange { what: &'static str, x: f64, y: f64 },
    /// The three primaries do not span a triangle (two coincide, or all are collinear),
    /// so no RGB to XYZ matrix exists.
    DegenerateGamut,
    /// The white point is on or outside the triangle of the primaries, so white would
    /// need a zero or negative amount of some primary.
    WhiteOutsideGamut,
    /// A luminance that must not be negative is; `what` names it.
    NegativeLuminance { what: &'static str, value: f64 },
    /// A maximum luminance is not above its minimum.
    LuminanceOrder { min: f64, max: f64 },
    /// The reference white is not above the minimum luminance.
    ReferenceOutOfRange { reference: f64, min: f64 },
    /// A content light level (`what`: MaxCLL or MaxFALL) lies outside the target colour
    /// volume's range `(min, max]`.
    ContentLightOutOfRange {
        what: &'static str,
        value: f64,
        min: f64,
        max: f64,
    },
    /// MaxFALL is above MaxCLL: the frame average cannot exceed the brightest pixel.
    FallAboveCll { max_cll: f64, max_fall: f64 },
    /// A matrix that must be inverted has no inverse (or one too ill-conditioned to use).
    SingularMatrix,
    /// A 3D LUT's edge length is outside `2..=65`.
    LutSize { size: usize },
    /// A 3D LUT holds a number of entries other than its edge length cubed.
    LutLength { expected: usize, actual: usize },
}

impl fmt::Display for ColorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColorError::NotFinite { what } => write!(f, "{what} is not a finite number"),
            ColorError::ChromaticityOutOfRange { what, x, y } => write!(
                f,
                "{what} chromaticity ({x}, {y}) is outside 0 < x < 1, 0 < y <= 1"
            ),
            ColorError::DegenerateGamut => {
                write!(
                    f,
                    "the primaries do not form a triangle (they are collinear)"
                )
            }
            ColorError::WhiteOutsideGamut => {
                write!(f, "the white point is not inside the primaries' triangle")
            }
            ColorError::NegativeLuminance { what, value } => {
                write!(f, "{what} luminance {value} cd/m² is negative")
            }
            ColorError::LuminanceOrder { min, max } => write!(
                f,
                "maximum luminance {max} cd/m² is not above minimum luminance {min} cd/m²"
            ),
            ColorError::ReferenceOutOfRange { reference, min } => write!(
                f,
                "reference white {reference} cd/m² is not above minimum luminance {min} cd/m²"
            ),
            ColorError::ContentLightOutOfRange {
                what,
                value,
                min,
                max,
            } => write!(
                f,
                "{what} {value} cd/m² is outside the target volume's range ({min}, {max}] cd/m²"
            ),
            ColorError::FallAboveCll { max_cll, max_fall } => write!(
                f,
                "MaxFALL {max_fall} cd/m² is above MaxCLL {max_cll} cd/m²"
            ),
            ColorError::SingularMatrix => write!(f, "the matrix has no inverse"),
            ColorError::LutSize { size } => {
                write!(f, "3D LUT edge length {size} is outside 2..=65")
            }
            ColorError::LutLength { expected, actual } => write!(
                f,
                "3D LUT holds {actual} entries where its edge length needs {expected}"
            ),
        }
    }
}

impl std::error::Error for ColorError {}
