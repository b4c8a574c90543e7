//! A 3D lookup table: an arbitrary RGB to RGB mapping sampled on a cube, as display
//! calibration and ICC-derived transforms ship it, with CPU reference interpolation that
//! the shaders' sampling is tested against.

use super::error::ColorError;

/// The smallest and largest edge lengths accepted: 2 is the least that interpolates, 65
/// the largest in common use (65³ entries of `vec3` fit easily in a 3D texture).
pub const LUT_SIZES: std::ops::RangeInclusive<usize> = 2..=65;

/// A cube of `size³` RGB entries over the input range `[0, 1]³`. Entry `(r, g, b)` (each
/// in `0..size`) is at index `r + g·size + b·size²`: red varies fastest, as in a 3D
/// texture whose x axis is red.
#[derive(Clone, Debug, PartialEq)]
pub struct Lut3d {
    size: usize,
    data: Vec<[f32; 3]>,
}

impl Lut3d {
    /// A LUT from `data`, checked: `size` in [`LUT_SIZES`], `size³` entries, all finite.
    pub fn new(size: usize, data: Vec<[f32; 3]>) -> Result<Lut3d, ColorError> {
        if !LUT_SIZES.contains(&size) {
            return Err(ColorError::LutSize { size });
        }
        let expected = size * size * size;
        if data.len() != expected {
            return Err(ColorError::LutLength {
                expected,
                actual: data.len(),
            });
        }
        if data.iter().flatten().any(|v| !v.is_finite()) {
            return Err(ColorError::NotFinite {
                what: "3D LUT entry",
            });
        }
        Ok(Lut3d { size, data })
    }

    /// The LUT that maps every colour to itself, with `size` entries along each edge.
    pub fn identity(size: usize) -> Result<Lut3d, ColorError> {
        if !LUT_SIZES.contains(&size) {
            return Err(ColorError::LutSize { size });
        }
        let step = 1.0 / (size - 1) as f64;
        let level = |i: usize| (i as f64 * step) as f32;
        let mut data = Vec::with_capacity(size * size * size);
        for b in 0..size {
            for g in 0..size {
                for r in 0..size {
                    data.push([level(r), level(g), level(b)]);
                }
            }
        }
        Lut3d::new(size, data)
    }

    /// Entries along each edge.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The entries, red fastest (see [`Lut3d`]), ready to upload as a 3D texture.
    pub fn data(&self) -> &[[f32; 3]] {
        &self.data
    }

    /// The entry at lattice point `(r, g, b)`.
    pub fn entry(&self, r: usize, g: usize, b: usize) -> [f64; 3] {
        self.data[r + self.size * (g + self.size * b)].map(f64::from)
    }

    /// Splits each input component (clamped to `[0, 1]`) into its lattice cell's lower
    /// corner and the fraction across that cell.
    fn cell(&self, rgb: [f64; 3]) -> ([usize; 3], [f64; 3]) {
        let last = self.size - 1;
        let mut base = [0; 3];
        let mut fraction = [0.0; 3];
        for c in 0..3 {
            let position = rgb[c].clamp(0.0, 1.0) * last as f64;
            // The top edge belongs to the last cell, so that base + 1 stays in the cube.
            let lower = (position.floor() as usize).min(last - 1);
            base[c] = lower;
            fraction[c] = position - lower as f64;
        }
        (base, fraction)
    }

    /// The corner of the cell at `base` offset by `(dr, dg, db)`, each 0 or 1.
    fn corner(&self, base: [usize; 3], offset: [usize; 3]) -> [f64; 3] {
        self.entry(
            base[0] + offset[0],
            base[1] + offset[1],
            base[2] + offset[2],
        )
    }

    /// Trilinear interpolation between the eight corners of the cell `rgb` falls in;
    /// what a GPU's linear filtering of a 3D texture computes.
    pub fn sample_trilinear(&self, rgb: [f64; 3]) -> [f64; 3] {
        let (base, f) = self.cell(rgb);
        let mut out = [0.0; 3];
        for corner in 0..8 {
            let offset = [corner & 1, (corner >> 1) & 1, (corner >> 2) & 1];
            let weight: f64 = (0..3)
                .map(|c| if offset[c] == 1 { f[c] } else { 1.0 - f[c] })
                .product();
            let value = self.corner(base, offset);
            for c in 0..3 {
                out[c] += weight * value[c];
            }
        }
        out
    }

    /// Tetrahedral interpolation: the cell is cut along its black-to-white diagonal into
    /// six tetrahedra, and `rgb` is interpolated between the four corners of the one it
    /// falls in. Four lookups instead of eight, and greys (on the diagonal) are
    /// interpolated from the diagonal's entries alone.
    pub fn sample_tetrahedral(&self, rgb: [f64; 3]) -> [f64; 3] {
        let (base, f) = self.cell(rgb);
        // Walk from the cell's black corner to its white corner one axis at a time, the
        // axis with the largest fraction first; the corners passed span the tetrahedron.
        let mut axes = [0, 1, 2];
        axes.sort_by(|&a, &b| f[b].total_cmp(&f[a]));
        let mut offset = [0; 3];
        let mut previous = self.corner(base, offset);
        let mut out = previous;
        for &axis in &axes {
            offset[axis] = 1;
            let next = self.corner(base, offset);
            let weight = f[axis];
            for c in 0..3 {
                out[c] += weight * (next[c] - previous[c]);
            }
            previous = next;
        }
        out
    }
}
