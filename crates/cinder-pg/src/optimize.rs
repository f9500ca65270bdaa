//! One gradient step, and minibatch shuffling: written once for every algorithm here.

use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::Tensor;
use cinder_core::seeding::EnvRng;
use cinder_nn::clip_grad_norm;
use rand::seq::SliceRandom;

use crate::error::PgError;

/// Back-propagates `loss`, clips the gradients to a global norm of `max_grad_norm` when given,
/// and takes one optimiser step of size `lr` on `module`.
pub(crate) fn descend<M: Module>(
    module: M,
    optim: &mut ModuleOptimizer,
    loss: Tensor<1>,
    lr: f64,
    max_grad_norm: Option<f64>,
) -> Result<M, PgError> {
    let grads = GradientsParams::from_grads(loss.backward(), &module);
    let grads = match max_grad_norm {
        Some(max_norm) => clip_grad_norm(&module, grads, max_norm)?.0,
        None => grads,
    };
    Ok(optim.step(lr, module, grads))
}

/// The indices `0..n` shuffled and cut into minibatches of `batch_size` (the last may be
/// smaller).
pub(crate) fn minibatches(n: usize, batch_size: usize, rng: &mut EnvRng) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    order
        .chunks(batch_size.max(1))
        .map(<[usize]>::to_vec)
        .collect()
}

/// Adds `x` to the running sum `total` (kept on the device, so statistics of many minibatches
/// cost one read-back at the end).
pub(crate) fn accumulate(total: &mut Option<Tensor<1>>, x: Tensor<1>) {
    *total = Some(match total.take() {
        Some(sum) => sum + x,
        None => x,
    });
}
