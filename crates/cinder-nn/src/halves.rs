//! Data parallelism inside one update: the two halves of a minibatch build and differentiate
//! their graphs on two threads, and their gradients are summed.
//!
//! On a two-core CPU this beats letting every matrix product split itself over both threads:
//! two single-threaded products side by side ran at 1.5-1.8x the rate of one product split in
//! two (a gemm probe on an Intel Xeon), and everything between the products (elementwise ops,
//! autodiff bookkeeping, allocation) runs on both cores instead of one. Whole off-policy runs
//! gained 1.1-1.3x on an AMD EPYC and 1.2-1.3x on an Intel Xeon (docs/bench/log.md).
//!
//! Each half differentiates its own [`fork`](Module::fork) of the module: fresh autodiff
//! leaves with the same parameter ids, so the two graphs never merge (burn locks a graph while
//! it is built or differentiated) and the two gradients pair up by id. A half's loss must be
//! its rows' sum divided by the whole minibatch's row count ([`Half::total`]), so that the two
//! gradients add up to the whole minibatch's. The sum is taken in a fixed order, so results
//! do not depend on which thread ran which half; they differ from a one-piece backward pass
//! only by floating-point summation order.
//!
//! The split is made on flex only: on a GPU one launch per op already fills the device.

use std::ops::Range;

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};

use crate::device::is_flex;
use crate::error::NnError;
use crate::grad_clip::step;
use crate::pair;

/// The rows of the minibatch one piece works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Half {
    /// This piece's rows.
    pub rows: Range<usize>,
    /// Rows of the whole minibatch: the divisor of a mean over it.
    pub total: usize,
}

impl Half {
    /// Rows in this piece.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether this piece has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// This piece's rows of a `[total, …]` tensor.
    pub fn of<const D: usize>(&self, tensor: &Tensor<D>) -> Tensor<D> {
        if self.rows.len() == self.total {
            return tensor.clone();
        }
        tensor.clone().slice([self.rows.clone()])
    }
}

/// The pieces `total` rows are split into on `device`: two halves on flex, else one.
pub fn pieces(device: &Device, total: usize) -> Vec<Half> {
    if is_flex(device) && total >= 2 {
        let mid = total / 2;
        vec![
            Half {
                rows: 0..mid,
                total,
            },
            Half {
                rows: mid..total,
                total,
            },
        ]
    } else {
        vec![Half {
            rows: 0..total,
            total,
        }]
    }
}

/// Differentiates `loss` of each piece of a `total`-row minibatch (two halves on flex, on two
/// threads) with respect to `module`'s parameters and sums the gradients.
///
/// `loss(module, half)` builds the half's loss (a one-element tensor: the sum over its rows
/// divided by `half.total`) from its own fork of the module, and returns whatever else the
/// caller wants back from that half (detached statistics); those come back in row order.
pub fn backward_halves<M, S, F>(
    module: &M,
    device: &Device,
    total: usize,
    loss: F,
) -> (GradientsParams, Vec<S>)
where
    M: Module,
    S: Send,
    F: Fn(M, &Half) -> (Tensor<1>, S) + Sync,
{
    let run = |forked: M, half: Half| {
        let (value, extra) = loss(forked.clone(), &half);
        let mut grads = value.backward();
        (GradientsParams::from_module(&mut grads, &forked), extra)
    };
    let mut halves = pieces(device, total).into_iter();
    let first = halves.next().expect("pieces returns at least one piece");
    match halves.next() {
        None => {
            let (grads, extra) = run(module.clone(), first);
            (grads, vec![extra])
        }
        Some(second) => {
            let (a, b) = (module.clone().fork(device), module.clone().fork(device));
            let ((mut grads, extra_a), (mut other, extra_b)) =
                rayon::join(|| run(a, first), || run(b, second));
            add_grads(module, &mut grads, &mut other);
            (grads, vec![extra_a, extra_b])
        }
    }
}

/// One optimiser step: the optimiser, the step size and the global-norm clip.
pub struct Descent<'a> {
    /// The module's optimiser.
    pub optim: &'a mut ModuleOptimizer,
    /// The step size.
    pub lr: f64,
    /// Global gradient-norm clip, or none.
    pub max_grad_norm: Option<f64>,
}

/// One clipped optimiser step of `module` on the summed gradient of its minibatch pieces
/// ([`backward_halves`]); returns the stepped module and the pieces' extras in row order.
pub fn descend_halves<M, S, F>(
    module: M,
    device: &Device,
    total: usize,
    descent: Descent<'_>,
    loss: F,
) -> Result<(M, Vec<S>), NnError>
where
    M: Module,
    S: Send,
    F: Fn(M, &Half) -> (Tensor<1>, S) + Sync,
{
    let (grads, extras) = backward_halves(&module, device, total, loss);
    let module = step(
        module,
        grads,
        descent.optim,
        descent.lr,
        descent.max_grad_norm,
    )?;
    Ok((module, extras))
}

/// [`descend_halves`], with `beside` run on another thread while the optimiser steps (work
/// that reads nothing the step writes, such as another network's target update); returns
/// what `beside` returned too.
pub fn descend_halves_beside<M, S, F, R>(
    module: M,
    device: &Device,
    total: usize,
    descent: Descent<'_>,
    loss: F,
    beside: impl FnOnce() -> R + Send,
) -> Result<(M, Vec<S>, R), NnError>
where
    M: Module,
    S: Send,
    F: Fn(M, &Half) -> (Tensor<1>, S) + Sync,
    R: Send,
{
    let (grads, extras) = backward_halves(&module, device, total, loss);
    let Descent {
        optim,
        lr,
        max_grad_norm,
    } = descent;
    let (module, other) = rayon::join(|| step(module, grads, optim, lr, max_grad_norm), beside);
    Ok((module?, extras, other))
}

/// The element-wise sum of the pieces' statistics, in row order (each piece's statistic a sum
/// over its rows divided by [`Half::total`], so that they add up to the whole minibatch's).
pub fn add_up(parts: Vec<Tensor<1>>) -> Tensor<1> {
    parts
        .into_iter()
        .reduce(|sum, part| sum + part)
        .expect("backward_halves returns at least one piece")
}

/// Minibatch rows from which [`side_by_side`] uses two threads: below it handing one pass to
/// the other thread costs more than it saves. 64-64 networks on the 2-core AMD EPYC, whole
/// runs: PPO's 64-row minibatches 0.86x the time of one thread, 256 rows 0.74x (with
/// `rayon::join`); A2C's 40 rows 1.03x with `rayon::join`, 0.89x with [`pair::join`].
pub const MIN_ROWS_APART: usize = 40;

/// Runs `a` and `b` side by side, on two threads on flex for minibatches of at least
/// [`MIN_ROWS_APART`] `rows` (one after the other otherwise): the backward passes of two
/// losses that share no parameter, such as a policy's and its critic's, whose graphs never
/// meet. Each pass computes what one backward pass through the losses' sum would give its
/// parameters, bit for bit.
pub fn side_by_side<RA: Send, RB: Send>(
    device: &Device,
    rows: usize,
    a: impl FnOnce() -> RA + Send,
    b: impl FnOnce() -> RB + Send,
) -> (RA, RB) {
    if is_flex(device) && rows >= MIN_ROWS_APART {
        pair::join(a, b)
    } else {
        (a(), b())
    }
}

/// Moves `other`'s gradients of `module`'s parameters into `sum`, adding (`sum + other`) where
/// `sum` holds one already.
pub fn add_grads<M: Module>(module: &M, sum: &mut GradientsParams, other: &mut GradientsParams) {
    module.visit(&mut AddInto { sum, other });
}

/// Adds `other`'s gradient of each parameter into `sum`, as `sum + other`.
struct AddInto<'a> {
    sum: &'a mut GradientsParams,
    other: &'a mut GradientsParams,
}

impl ModuleVisitor for AddInto<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let Some(other) = self.other.remove::<D>(param.id) else {
            return;
        };
        let sum = match self.sum.remove::<D>(param.id) {
            Some(sum) => sum + other,
            None => other,
        };
        self.sum.register(param.id, sum);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{device_stream_turn, test_device};
    use crate::mlp::MlpConfig;
    use crate::tensors::matrix;

    fn grads_of(module: &crate::Mlp, grads: &GradientsParams) -> Vec<f32> {
        crate::flat::flat_grads(module, grads).expect("every parameter has a gradient")
    }

    /// The summed halves' gradient is the whole minibatch's (up to summation order), and the
    /// per-half extras come back in row order.
    #[test]
    fn halves_sum_to_the_whole_minibatch() {
        // The network's initialisation draws from the device's stream.
        let _turn = device_stream_turn();
        let device = test_device().autodiff();
        let net = MlpConfig::new(3, vec![16, 8], 2)
            .init(&device)
            .expect("valid config");
        let rows = 7;
        let inputs: Vec<f32> = (0..rows * 3)
            .map(|i| ((i * 37 % 11) as f32) / 5.0 - 1.0)
            .collect();
        let x = matrix(&inputs, rows, &device);
        let loss_of = |net: crate::Mlp, half: &Half| {
            let out = net.forward(half.of(&x));
            let loss = out.powi_scalar(2).sum().div_scalar(half.total as f64);
            (loss, half.rows.clone())
        };

        let whole_half = Half {
            rows: 0..rows,
            total: rows,
        };
        let mut whole = loss_of(net.clone(), &whole_half).0.backward();
        let whole = GradientsParams::from_module(&mut whole, &net);
        let (split, ranges) = backward_halves(&net, &device, rows, loss_of);

        let expected_ranges = pieces(&device, rows)
            .into_iter()
            .map(|h| h.rows)
            .collect::<Vec<_>>();
        assert_eq!(ranges, expected_ranges);
        let (whole, split) = (grads_of(&net, &whole), grads_of(&net, &split));
        assert_eq!(whole.len(), split.len());
        let scale = whole.iter().fold(0f32, |m, g| m.max(g.abs()));
        assert!(scale > 0.0);
        for (w, s) in whole.iter().zip(&split) {
            assert!((w - s).abs() <= 1e-5 * scale, "whole {w} vs halves {s}");
        }
    }

    #[test]
    fn pieces_cover_every_row_once() {
        let device = test_device();
        for total in 0..9 {
            let halves = pieces(&device, total);
            let mut next = 0;
            for half in &halves {
                assert_eq!(half.rows.start, next);
                assert_eq!(half.total, total);
                next = half.rows.end;
            }
            assert_eq!(next, total);
        }
    }
}
