//! 3D LUTs: validation, the identity table, and both interpolations against directly
//! computed expectations.

use crate::reference::*;
use vkcompose::color::{ColorError, Lut3d};

#[test]
fn identity_samples_return_their_input() {
    for size in [2, 3, 17, 33, 65] {
        let lut = Lut3d::identity(size).unwrap();
        assert_eq!(lut.size(), size);
        assert_eq!(lut.data().len(), size * size * size);
        for rgb in rgb_samples() {
            assert_close3(lut.sample_trilinear(rgb), rgb, 1e-6, "trilinear");
            assert_close3(lut.sample_tetrahedral(rgb), rgb, 1e-6, "tetrahedral");
        }
    }
}

#[test]
fn red_varies_fastest() {
    let lut = Lut3d::identity(4).unwrap();
    assert_eq!(lut.data()[1], [1.0 / 3.0, 0.0, 0.0]);
    assert_eq!(lut.data()[4], [0.0, 1.0 / 3.0, 0.0]);
    assert_eq!(lut.data()[16], [0.0, 0.0, 1.0 / 3.0]);
    assert_eq!(
        lut.entry(1, 2, 3),
        [1.0 / 3.0, 2.0 / 3.0, 1.0].map(|v: f32| v as f64)
    );
}

#[test]
fn inputs_outside_the_cube_are_clamped() {
    let lut = Lut3d::identity(9).unwrap();
    assert_close3(
        lut.sample_trilinear([-1.0, 0.5, 2.0]),
        [0.0, 0.5, 1.0],
        1e-6,
        "tri",
    );
    assert_close3(
        lut.sample_tetrahedral([-1.0, 0.5, 2.0]),
        [0.0, 0.5, 1.0],
        1e-6,
        "tet",
    );
}

/// A LUT of a nonlinear mapping, to check the interpolation weights themselves.
fn squared_lut(size: usize) -> Lut3d {
    let mut data = Vec::new();
    let level = |i: usize| i as f64 / (size - 1) as f64;
    for b in 0..size {
        for g in 0..size {
            for r in 0..size {
                let (r, g, b) = (level(r), level(g), level(b));
                data.push([(r * g) as f32, (g * g) as f32, (r * b + g) as f32 * 0.5]);
            }
        }
    }
    Lut3d::new(size, data).unwrap()
}

#[test]
fn a_two_point_cube_interpolates_as_the_formulas_say() {
    // With size 2 the whole cube is one cell, so both interpolations can be written out.
    let lut = squared_lut(2);
    let corner = |r: usize, g: usize, b: usize| lut.entry(r, g, b);
    for [x, y, z] in rgb_samples() {
        let mut tri = [0.0; 3];
        for (r, g, b) in (0..8).map(|i| (i & 1, (i >> 1) & 1, (i >> 2) & 1)) {
            let w = [x, y, z]
                .iter()
                .zip([r, g, b])
                .map(|(&f, bit)| if bit == 1 { f } else { 1.0 - f })
                .product::<f64>();
            for (sum, value) in tri.iter_mut().zip(corner(r, g, b)) {
                *sum += w * value;
            }
        }
        assert_close3(lut.sample_trilinear([x, y, z]), tri, 1e-12, "trilinear");

        // Tetrahedral: the tetrahedron for x >= y >= z is (000, 100, 110, 111), and so on
        // for each ordering; the weights are the differences of the sorted fractions.
        let mut order = [(x, 0), (y, 1), (z, 2)];
        order.sort_by(|a, b| b.0.total_cmp(&a.0));
        let (f0, f1, f2) = (order[0].0, order[1].0, order[2].0);
        let mut step = [0; 3];
        let v0 = corner(0, 0, 0);
        step[order[0].1] = 1;
        let v1 = corner(step[0], step[1], step[2]);
        step[order[1].1] = 1;
        let v2 = corner(step[0], step[1], step[2]);
        let v3 = corner(1, 1, 1);
        let tet = [0, 1, 2]
            .map(|c| (1.0 - f0) * v0[c] + (f0 - f1) * v1[c] + (f1 - f2) * v2[c] + f2 * v3[c]);
        assert_close3(lut.sample_tetrahedral([x, y, z]), tet, 1e-12, "tetrahedral");
    }
}

#[test]
fn both_interpolations_hit_lattice_points_exactly() {
    let lut = squared_lut(5);
    for (r, g, b) in [(0, 0, 0), (1, 2, 3), (4, 4, 4), (4, 0, 2)] {
        let rgb = [r, g, b].map(|i| i as f64 / 4.0);
        let expected = lut.entry(r, g, b);
        assert_close3(lut.sample_trilinear(rgb), expected, 1e-12, "trilinear");
        assert_close3(lut.sample_tetrahedral(rgb), expected, 1e-12, "tetrahedral");
    }
}

#[test]
fn malformed_luts_are_refused() {
    assert_eq!(
        Lut3d::new(3, vec![[0.0; 3]; 26]),
        Err(ColorError::LutLength {
            expected: 27,
            actual: 26
        })
    );
    assert_eq!(
        Lut3d::new(2, vec![[0.0; 3]; 9]),
        Err(ColorError::LutLength {
            expected: 8,
            actual: 9
        })
    );
    assert_eq!(
        Lut3d::new(1, vec![[0.0; 3]]),
        Err(ColorError::LutSize { size: 1 })
    );
    assert_eq!(
        Lut3d::new(66, Vec::new()),
        Err(ColorError::LutSize { size: 66 })
    );
    assert_eq!(Lut3d::identity(0), Err(ColorError::LutSize { size: 0 }));
    let mut data = vec![[0.5; 3]; 8];
    data[5][1] = f32::NAN;
    assert!(matches!(
        Lut3d::new(2, data),
        Err(ColorError::NotFinite { .. })
    ));
}
