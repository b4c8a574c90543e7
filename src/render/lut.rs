//! 3D LUTs for the linear path's encode pass, as textures: a [`Lut3d`] of size N becomes
//! an N^2 x N half-float texture, its blue slices side by side (red fastest within each),
//! from which the encode pass fetches the four entries of tetrahedral interpolation.

use crate::color::Lut3d;
use crate::error::{Error, Result};
use crate::gpu::upload::ShmLayout;
use crate::render::renderer::Renderer;
use crate::resources::format::DrmFourcc;
use crate::resources::texture::Texture;

impl Renderer {
    /// Uploads `lut` for [`crate::Frame::set_output_lut`]. Its entries are linear light in
    /// the output's primaries, indexed by the same (red fastest); values are stored as
    /// 16-bit floats.
    pub fn create_lut(&mut self, lut: &Lut3d) -> Result<Texture> {
        let n = lut.size();
        let mut bytes = Vec::with_capacity(n * n * n * 8);
        for g in 0..n {
            for b in 0..n {
                for r in 0..n {
                    let [x, y, z] = lut.data()[r + g * n + b * n * n];
                    for v in [x, y, z, 1.0] {
                        bytes.extend_from_slice(&f16_bits(v).to_le_bytes());
                    }
                }
            }
        }
        let layout = ShmLayout {
            fourcc: DrmFourcc::Abgr16161616f,
            width: (n * n) as u32,
            height: n as u32,
            stride: (n * n * 8) as u32,
        };
        self.import_memory(&bytes, layout)
    }
}

/// Checks that `texture` is a LUT [`Renderer::create_lut`] made: half floats, N^2 x N.
pub(crate) fn check_lut(texture: &Texture) -> Result<u32> {
    let n = texture.height();
    let shaped = texture.fourcc() == Some(DrmFourcc::Abgr16161616f)
        && crate::color::LUT_SIZES.contains(&(n as usize))
        && texture.width() == n * n;
    if !shaped {
        return Err(Error::InvalidArgument(format!(
            "a {}x{} {:?} texture is no 3D LUT (Renderer::create_lut makes them)",
            texture.width(),
            texture.height(),
            texture.fourcc()
        )));
    }
    Ok(n)
}

/// `value` as IEEE half-precision bits, rounded to nearest (even on ties); beyond the
/// half range it saturates to infinity, as the conversion in hardware does.
fn f16_bits(value: f32) -> u16 {
    let bits = value.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exponent = ((bits >> 23) & 0xff) as i32;
    let mantissa = bits & 0x7f_ffff;
    if exponent == 0xff {
        let nan = if mantissa != 0 { 0x200 } else { 0 };
        return sign | 0x7c00 | nan;
    }
    let half_exponent = exponent - 127 + 15;
    if half_exponent >= 0x1f {
        return sign | 0x7c00;
    }
    if half_exponent <= 0 {
        // Subnormal (or zero): shift the mantissa, with its implicit bit, into place.
        if half_exponent < -10 {
            return sign;
        }
        let full = mantissa | 0x80_0000;
        let shift = (14 - half_exponent) as u32;
        return sign | round_shift(full, shift) as u16;
    }
    let rounded = round_shift(((half_exponent as u32) << 23) | mantissa, 13);
    sign | rounded as u16
}

/// `value >> shift`, rounded to nearest with ties to even.
fn round_shift(value: u32, shift: u32) -> u32 {
    let kept = value >> shift;
    let rest = value & ((1 << shift) - 1);
    let half = 1 << (shift - 1);
    if rest > half || (rest == half && kept & 1 == 1) {
        kept + 1
    } else {
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::f16_bits;

    #[test]
    fn halves_of_known_values() {
        assert_eq!(f16_bits(0.0), 0x0000);
        assert_eq!(f16_bits(1.0), 0x3c00);
        assert_eq!(f16_bits(-2.0), 0xc000);
        assert_eq!(f16_bits(0.5), 0x3800);
        assert_eq!(f16_bits(65504.0), 0x7bff);
        assert_eq!(f16_bits(1e6), 0x7c00);
        assert_eq!(f16_bits(1.0 / 3.0), 0x3555);
        // The smallest subnormal half, 2^-24.
        assert_eq!(f16_bits(5.960_464_5e-8), 0x0001);
    }
}
