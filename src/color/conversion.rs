//! The matrix between two RGB colour spaces' linear light: the gamut change that every
//! colour-managed draw applies between decoding and encoding.

use super::adaptation::bradford;
use super::error::ColorError;
use super::matrix::Mat3;
use super::primaries::Primaries;

/// The matrix from linear RGB in `from`'s primaries to linear RGB in `to`'s, adapting
/// `from`'s white to `to`'s with Bradford when they differ, so white stays white (the
/// media-relative colorimetric intent).
///
/// Exactly [`Mat3::IDENTITY`] when the primaries are equal, so that a surface already in
/// the output's colour space passes through untouched.
pub fn conversion(from: &Primaries, to: &Primaries) -> Result<Mat3, ColorError> {
    from.validate()?;
    to.validate()?;
    if from == to {
        return Ok(Mat3::IDENTITY);
    }
    let adapt = bradford(from.white, to.white)?;
    Ok(to.xyz_to_rgb()? * adapt * from.rgb_to_xyz()?)
}
