//! The 3×3 matrix: products, inverses, and the shader layout.

use crate::reference::*;
use vkcompose::color::{ColorError, Mat3, Primaries};

const A: Mat3 = Mat3([[2.0, 1.0, 0.0], [0.5, 3.0, -1.0], [0.0, 0.25, 4.0]]);

#[test]
fn product_applies_the_right_factor_first() {
    let b = Mat3([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);
    let v = [1.0, 2.0, 3.0];
    assert_eq!((A * b).apply(v), A.apply(b.apply(v)));
    assert_eq!(A * v, A.apply(v));
    assert_eq!(A * Mat3::IDENTITY, A);
    assert_eq!(Mat3::identity() * A, A);
    assert_eq!(A.transpose().transpose(), A);
}

#[test]
fn inverse_undoes_the_matrix() {
    let inverse = A.inverse().unwrap();
    let product = A * inverse;
    for i in 0..3 {
        let expected = [0, 1, 2].map(|j| if i == j { 1.0 } else { 0.0 });
        assert_close3(product.0[i], expected, 1e-12, "A · A⁻¹");
    }
    let m = Primaries::BT2020.rgb_to_xyz().unwrap();
    let round = m.inverse().unwrap().apply(m.apply([0.2, 0.4, 0.6]));
    assert_close3(round, [0.2, 0.4, 0.6], 1e-12, "round trip");
    assert_close(
        A.determinant(),
        2.0 * 12.25 - 1.0 * 2.0,
        1e-12,
        "determinant",
    );
}

#[test]
fn singular_matrices_have_no_inverse() {
    let rank_two = Mat3([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]]);
    assert_eq!(rank_two.inverse(), Err(ColorError::SingularMatrix));
    assert_eq!(
        Mat3([[0.0; 3]; 3]).inverse(),
        Err(ColorError::SingularMatrix)
    );
    let nan = Mat3([[f64::NAN, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);
    assert_eq!(nan.inverse(), Err(ColorError::SingularMatrix));
    assert!(!nan.is_finite());
}

#[test]
fn shader_columns_are_padded_column_major() {
    let columns = A.to_f32_columns();
    assert_eq!(columns[0], [2.0, 0.5, 0.0, 0.0]);
    assert_eq!(columns[1], [1.0, 3.0, 0.25, 0.0]);
    assert_eq!(columns[2], [0.0, -1.0, 4.0, 0.0]);
    assert_eq!(std::mem::size_of_val(&columns), 48);
}
