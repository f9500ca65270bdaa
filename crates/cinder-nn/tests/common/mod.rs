//! Helpers shared by the cinder-nn tests.
#![allow(dead_code)] // each test file uses a subset

use burn::tensor::{Int, Tensor};

pub fn to_f32<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
}

pub fn to_i64<const D: usize>(t: Tensor<D, Int>) -> Vec<i64> {
    t.into_data().convert::<i64>().try_to_vec::<i64>().unwrap()
}

pub fn assert_close(what: &str, got: &[f32], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let diff = (f64::from(*g) - w).abs();
        assert!(
            diff <= tol,
            "{what}[{i}]: got {g}, want {w}, diff {diff:e} > {tol:e}"
        );
    }
}
