//! A module's parameters and their gradients as one flat vector (in the order burn visits
//! the parameters): what SVPG's kernel and Stein direction work on.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Tensor, TensorData};

use crate::error::NnError;
use crate::tensors::read_floats;

/// Collects each float parameter (or its gradient) flattened.
struct Collect<'a> {
    grads: Option<&'a GradientsParams>,
    parts: Vec<Tensor<1>>,
}

impl ModuleVisitor for Collect<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val().inner();
        let size = value.shape().num_elements();
        let part = match self.grads {
            None => Some(value.clone()),
            Some(grads) => grads.get::<D>(param.id),
        };
        self.parts
            .push(part.unwrap_or_else(|| value.zeros_like()).reshape([size]));
    }
}

fn flatten(parts: Vec<Tensor<1>>) -> Result<Vec<f32>, NnError> {
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    read_floats(Tensor::cat(parts, 0))
}

/// The parameters of `module` as one vector.
pub fn flat_params<M: Module>(module: &M) -> Result<Vec<f32>, NnError> {
    let mut collect = Collect {
        grads: None,
        parts: Vec::new(),
    };
    module.visit(&mut collect);
    flatten(collect.parts)
}

/// The gradients of `module`'s parameters in `grads` as one vector (zeros where a parameter
/// has none).
pub fn flat_grads<M: Module>(module: &M, grads: &GradientsParams) -> Result<Vec<f32>, NnError> {
    let mut collect = Collect {
        grads: Some(grads),
        parts: Vec::new(),
    };
    module.visit(&mut collect);
    flatten(collect.parts)
}

/// Writes `flat` (laid out as [`flat_grads`] reads) into `grads` as the gradients of
/// `module`'s parameters.
struct Write<'a> {
    grads: &'a mut GradientsParams,
    flat: &'a [f32],
    offset: usize,
}

impl ModuleVisitor for Write<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val().inner();
        let shape = value.shape();
        let size = shape.num_elements();
        let end = (self.offset + size).min(self.flat.len());
        let values = self.flat[self.offset.min(end)..end].to_vec();
        self.offset += size;
        if values.len() == size {
            let data = TensorData::new(values, shape);
            self.grads
                .register(param.id, Tensor::<D>::from_data(data, &value.device()));
        }
    }
}

/// Replaces the gradients of `module`'s parameters in `grads` with `flat`; errors if its
/// length is not the number of parameters.
pub fn set_flat_grads<M: Module>(
    module: &M,
    grads: &mut GradientsParams,
    flat: &[f32],
) -> Result<(), NnError> {
    let expected = module.num_params();
    if flat.len() != expected {
        return Err(NnError::InvalidConfig(format!(
            "a flat gradient of {} values for a module of {expected} parameters",
            flat.len()
        )));
    }
    module.visit(&mut Write {
        grads,
        flat,
        offset: 0,
    });
    Ok(())
}
