//! A 3×3 matrix for linear colour conversions (RGB to XYZ, chromatic adaptation, gamut
//! changes), in `f64` so that chains of them lose nothing before the single `f32`
//! conversion for the GPU.

use std::ops::Mul;

use super::error::ColorError;

/// A 3×3 matrix, row-major: `self.0[row][column]`.
///
/// It acts on column vectors, `out = M · v`, so `a * b` is the conversion that applies
/// `b` first and then `a`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mat3(pub [[f64; 3]; 3]);

impl Mat3 {
    /// The matrix that changes nothing.
    pub const IDENTITY: Mat3 = Mat3([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);

    /// The matrix that changes nothing (the same as [`Mat3::IDENTITY`]).
    pub const fn identity() -> Mat3 {
        Mat3::IDENTITY
    }

    /// The matrix that scales each component by its own factor.
    pub const fn diagonal(d: [f64; 3]) -> Mat3 {
        Mat3([[d[0], 0.0, 0.0], [0.0, d[1], 0.0], [0.0, 0.0, d[2]]])
    }

    /// The matrix whose columns are `c0`, `c1` and `c2`.
    pub const fn from_columns(c0: [f64; 3], c1: [f64; 3], c2: [f64; 3]) -> Mat3 {
        Mat3([
            [c0[0], c1[0], c2[0]],
            [c0[1], c1[1], c2[1]],
            [c0[2], c1[2], c2[2]],
        ])
    }

    /// Row `i` as an array.
    pub const fn row(&self, i: usize) -> [f64; 3] {
        self.0[i]
    }

    /// Column `j` as an array.
    pub const fn column(&self, j: usize) -> [f64; 3] {
        [self.0[0][j], self.0[1][j], self.0[2][j]]
    }

    /// `M · v`.
    pub fn apply(&self, v: [f64; 3]) -> [f64; 3] {
        let m = &self.0;
        [
            m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
            m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
            m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2],
        ]
    }

    /// The transpose (rows become columns).
    pub fn transpose(&self) -> Mat3 {
        Mat3::from_columns(self.0[0], self.0[1], self.0[2])
    }

    /// The determinant.
    pub fn determinant(&self) -> f64 {
        let m = &self.0;
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    }

    /// The inverse, through the adjugate.
    ///
    /// Refused with [`ColorError::SingularMatrix`] when the determinant is zero, not
    /// finite, or so small against the rows' lengths (Hadamard's bound on it) that the
    /// inverse would be mostly rounding error.
    pub fn inverse(&self) -> Result<Mat3, ColorError> {
        let det = self.determinant();
        let bound: f64 = self.0.iter().map(|r| length(*r)).product();
        if !det.is_finite() || !bound.is_finite() || det.abs() <= 1e-12 * bound {
            return Err(ColorError::SingularMatrix);
        }
        let m = &self.0;
        let cofactor = |r0: usize, r1: usize, c0: usize, c1: usize| {
            m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]
        };
        // The adjugate is the transposed cofactor matrix; each entry is divided by det.
        let adjugate = [
            [
                cofactor(1, 2, 1, 2),
                -cofactor(0, 2, 1, 2),
                cofactor(0, 1, 1, 2),
            ],
            [
                -cofactor(1, 2, 0, 2),
                cofactor(0, 2, 0, 2),
                -cofactor(0, 1, 0, 2),
            ],
            [
                cofactor(1, 2, 0, 1),
                -cofactor(0, 2, 0, 1),
                cofactor(0, 1, 0, 1),
            ],
        ];
        Ok(Mat3(adjugate.map(|row| row.map(|v| v / det))))
    }

    /// Whether every entry is finite.
    pub fn is_finite(&self) -> bool {
        self.0.iter().flatten().all(|v| v.is_finite())
    }

    /// The matrix for a shader: three columns of `vec4` (`x, y, z` and a zero pad), the
    /// layout of a GLSL `mat3` in a std140 uniform block or a push-constant block, where
    /// every column is aligned to 16 bytes. Upload it as 48 bytes.
    pub fn to_f32_columns(&self) -> [[f32; 4]; 3] {
        [0, 1, 2].map(|j| {
            let c = self.column(j);
            [c[0] as f32, c[1] as f32, c[2] as f32, 0.0]
        })
    }
}

impl Default for Mat3 {
    fn default() -> Mat3 {
        Mat3::IDENTITY
    }
}

impl Mul for Mat3 {
    type Output = Mat3;

    /// The product `self · rhs`: apply `rhs`, then `self`.
    fn mul(self, rhs: Mat3) -> Mat3 {
        let mut out = [[0.0; 3]; 3];
        for (i, row) in out.iter_mut().enumerate() {
            for (j, entry) in row.iter_mut().enumerate() {
                *entry = (0..3).map(|k| self.0[i][k] * rhs.0[k][j]).sum();
            }
        }
        Mat3(out)
    }
}

impl Mul<[f64; 3]> for Mat3 {
    type Output = [f64; 3];

    /// `self · v`, the same as [`Mat3::apply`].
    fn mul(self, v: [f64; 3]) -> [f64; 3] {
        self.apply(v)
    }
}

fn length(v: [f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}
