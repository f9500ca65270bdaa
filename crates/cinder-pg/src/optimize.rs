//! The minibatch loop every learner here shares: shuffled passes over a batch of data, one
//! gradient step per minibatch, statistics summed on the device and read back once.

use burn::tensor::Gradients;
use burn::tensor::{Device, Int, Tensor};
use cinder_core::seeding::EnvRng;
use cinder_nn::tensors::{indices, read_floats};
use rand::seq::SliceRandom;

use crate::error::PgError;

/// How one fit runs: passes over the data and minibatch size.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Passes {
    /// Passes over the data.
    pub num_epoch: usize,
    /// Rows per minibatch (the last one of a pass may be smaller).
    pub batch_size: usize,
}

/// Minimises a loss over `rows` rows of data: for each of `num_epoch` shuffled passes and each
/// minibatch, `loss(module, minibatch_rows, last_epoch)` gives the loss and, in the last pass,
/// a vector of detached statistics; `step(module, gradients)` applies one optimiser step.
/// Returns the updated module and the statistics averaged over the last pass's minibatches.
pub(crate) fn fit<M, L, S>(
    mut module: M,
    rows: usize,
    passes: Passes,
    rng: &mut EnvRng,
    device: &Device,
    mut loss: L,
    mut step: S,
) -> Result<(M, Vec<f32>), PgError>
where
    L: FnMut(&M, Tensor<1, Int>, bool) -> (Tensor<1>, Option<Tensor<1>>),
    S: FnMut(M, Gradients) -> Result<M, PgError>,
{
    let mut last_epoch_sums: Option<Tensor<1>> = None;
    for epoch in 0..passes.num_epoch {
        let last_epoch = epoch + 1 == passes.num_epoch;
        let batches = minibatches(rows, passes.batch_size, rng);
        let count = batches.len() as f32;
        for batch in batches {
            let (loss, stats) = loss(&module, indices(&batch, device), last_epoch);
            if let Some(stats) = stats {
                let stats = stats / count;
                last_epoch_sums = Some(match last_epoch_sums.take() {
                    Some(sum) => sum + stats,
                    None => stats,
                });
            }
            module = step(module, loss.backward())?;
        }
    }
    let stats = match last_epoch_sums {
        Some(sums) => read_floats(sums)?,
        None => Vec::new(),
    };
    Ok((module, stats))
}

/// The indices `0..n` shuffled and cut into minibatches of `batch_size`.
fn minibatches(n: usize, batch_size: usize, rng: &mut EnvRng) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    order
        .chunks(batch_size.max(1))
        .map(<[usize]>::to_vec)
        .collect()
}

/// `[a, b, ...]` of detached scalar statistics as one vector.
pub(crate) fn stats_vector(stats: Vec<Tensor<1>>) -> Tensor<1> {
    Tensor::cat(stats.into_iter().map(|s| s.detach().inner()).collect(), 0)
}

/// The statistics of a fit as a fixed-size array (zeros if no minibatch ran).
pub(crate) fn stats_array<const N: usize>(stats: Vec<f32>) -> Result<[f32; N], PgError> {
    if stats.is_empty() {
        return Ok([0.0; N]);
    }
    <[f32; N]>::try_from(stats)
        .map_err(|v| PgError::ReadBack(format!("expected {N} statistics, got {v:?}")))
}
