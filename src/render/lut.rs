//! 3D LUTs for the linear path's encode pass, as textures: a [`Lut3d`] of size N becomes
//! an N^2 x N half-float texture, its blue slices side by side (red fastest within each),
//! from which the encode pass fetches the four entries of tetrahedral interpolation.

use crate::color::Lut3d;
use crate::error::{Error, Result};
use crate::gpu::shm_layout::ShmLayout;
use crate::render::renderer::Renderer;
use crate::resources::format::{f16_bits, DrmFourcc};
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
