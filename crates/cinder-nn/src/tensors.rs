//! Moving host data to tensors and back.

use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

use crate::error::NnError;

/// `rows × (data.len() / rows)` floats as a tensor on `device`.
pub fn matrix(data: &[f32], rows: usize, device: &Device) -> Tensor<2> {
    let cols = data.len() / rows.max(1);
    Tensor::from_data(TensorData::new(data.to_vec(), [rows, cols]), device)
}

/// `[rows, flags.len() / rows]` of `flags` (row-major) as a boolean tensor on `device`.
pub fn flags(flags: &[bool], rows: usize, device: &Device) -> Tensor<2, Bool> {
    let values: Vec<f32> = flags.iter().map(|&f| if f { 1.0 } else { 0.0 }).collect();
    matrix(&values, rows, device).greater_elem(0.5)
}

/// A vector of floats on `device`.
pub fn vector(data: &[f32], device: &Device) -> Tensor<1> {
    Tensor::from_data(TensorData::new(data.to_vec(), [data.len()]), device)
}

/// A vector of indices on `device`.
pub fn indices(data: &[usize], device: &Device) -> Tensor<1, Int> {
    let n = data.len();
    let data: Vec<i64> = data.iter().map(|&i| i as i64).collect();
    Tensor::from_data(TensorData::new(data, [n]), device)
}

/// The values of a float tensor, on the host.
pub fn read_floats<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, NnError> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| NnError::ReadBack(format!("{e:?}")))
}

/// The values of an integer tensor, on the host.
pub fn read_indices(t: Tensor<1, Int>) -> Result<Vec<usize>, NnError> {
    let values = t
        .into_data()
        .convert::<i64>()
        .try_to_vec::<i64>()
        .map_err(|e| NnError::ReadBack(format!("{e:?}")))?;
    Ok(values.into_iter().map(|i| i.max(0) as usize).collect())
}
