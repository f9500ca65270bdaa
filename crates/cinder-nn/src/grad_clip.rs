//! Gradient clipping by the global norm.
//!
//! `max_grad_norm` in PPO, A2C, SAC (SB3, Tianshou, Pyrado, PyTorch's `clip_grad_norm_`)
//! means: if the L2 norm of *all* gradients taken together exceeds `max_norm`, scale every
//! gradient by `max_norm / (norm + 1e-6)`. burn's `GradientClipping::Norm` clips each
//! parameter tensor on its own, which is a different operation.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::Gradients;
use burn::tensor::Tensor;

use crate::error::NnError;

/// Visits the gradient of each float parameter of the module.
struct SquaredNorm<'a> {
    grads: &'a GradientsParams,
    total: Option<Tensor<1>>,
}

impl ModuleVisitor for SquaredNorm<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(grad) = self.grads.get::<D>(param.id) {
            let squares = grad.powi_scalar(2).sum();
            self.total = Some(match self.total.take() {
                Some(total) => total + squares,
                None => squares,
            });
        }
    }
}

/// Scales each gradient by the clip coefficient.
struct Scale<'a> {
    grads: &'a mut GradientsParams,
    coefficient: Tensor<1>,
}

impl ModuleVisitor for Scale<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(grad) = self.grads.remove::<D>(param.id) {
            let coefficient = self
                .coefficient
                .clone()
                .to_device(&grad.device())
                .unsqueeze::<D>();
            self.grads.register(param.id, grad * coefficient);
        }
    }
}

/// Clips `grads` of `module` to a global L2 norm of at most `max_norm`.
///
/// Returns the clipped gradients and the norm *before* clipping as a one-element tensor (kept
/// on the device: read it only when logging, a read-back costs a device sync).
pub fn clip_grad_norm<M: Module>(
    module: &M,
    mut grads: GradientsParams,
    max_norm: f64,
) -> Result<(GradientsParams, Tensor<1>), NnError> {
    if !(max_norm.is_finite() && max_norm > 0.0) {
        return Err(NnError::InvalidMaxNorm(max_norm));
    }
    let mut squared = SquaredNorm {
        grads: &grads,
        total: None,
    };
    module.visit(&mut squared);
    let total = squared.total.ok_or(NnError::NoGradients)?;
    let norm = total.sqrt();
    let coefficient = norm
        .clone()
        .add_scalar(1e-6)
        .recip()
        .mul_scalar(max_norm)
        .clamp_max(1.0);
    module.visit(&mut Scale {
        grads: &mut grads,
        coefficient,
    });
    Ok((grads, norm))
}

/// One optimiser step of size `lr` on `module` with its gradients taken out of `grads`,
/// clipped to a global norm of `max_grad_norm` when given.
pub fn descend<M: Module>(
    module: M,
    grads: &mut Gradients,
    optim: &mut ModuleOptimizer,
    lr: f64,
    max_grad_norm: Option<f64>,
) -> Result<M, NnError> {
    let grads = GradientsParams::from_module(grads, &module);
    step(module, grads, optim, lr, max_grad_norm)
}

/// One optimiser step of size `lr` on `module` with `grads` (already taken out of the
/// backward pass), clipped to a global norm of `max_grad_norm` when given.
pub fn step<M: Module>(
    module: M,
    grads: GradientsParams,
    optim: &mut ModuleOptimizer,
    lr: f64,
    max_grad_norm: Option<f64>,
) -> Result<M, NnError> {
    let grads = match max_grad_norm {
        Some(max_norm) => clip_grad_norm(&module, grads, max_norm)?.0,
        None => grads,
    };
    Ok(optim.step(lr, module, grads))
}
