//! Chromatic adaptation: moving colours from one white point to another the way the eye
//! adapts, so that the source's white becomes the destination's white.

use super::error::ColorError;
use super::matrix::Mat3;
use super::primaries::Chromaticity;

/// The Bradford cone response matrix (Lam 1985, as used by ICC.1 Annex E): XYZ to a
/// sharpened LMS space in which adaptation is a per-channel gain (von Kries).
pub const BRADFORD_CONE_RESPONSE: Mat3 = Mat3([
    [0.8951, 0.2664, -0.1614],
    [-0.7502, 1.7135, 0.0367],
    [0.0389, -0.0685, 1.0296],
]);

/// The XYZ to XYZ matrix that adapts colours seen under `from_white` to how they appear
/// under `to_white`, with the Bradford transform: into cone space, scale each cone by
/// the ratio of the two whites' responses, back to XYZ.
///
/// Exactly [`Mat3::IDENTITY`] when the whites are equal, so that conversions between
/// colour spaces sharing a white add no rounding. Both whites are validated as
/// chromaticities first.
pub fn bradford(from_white: Chromaticity, to_white: Chromaticity) -> Result<Mat3, ColorError> {
    from_white.validate("source white point")?;
    to_white.validate("destination white point")?;
    if from_white == to_white {
        return Ok(Mat3::IDENTITY);
    }
    let cone = BRADFORD_CONE_RESPONSE;
    let from = cone.apply(from_white.to_xyz());
    let to = cone.apply(to_white.to_xyz());
    let gains = Mat3::diagonal([to[0] / from[0], to[1] / from[1], to[2] / from[2]]);
    Ok(cone.inverse()? * gains * cone)
}
