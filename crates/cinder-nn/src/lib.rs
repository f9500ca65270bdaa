//! Neural-network building blocks for Cinder, on burn.
//!
//! - [`device`]: pick a burn [`Device`](burn::tensor::Device) from a string (`flex`, `ndarray`,
//!   `wgpu`); [`device::test_device`] is the one place tests get their device from.
//! - [`mlp`]: a multi-layer perceptron builder (sizes, activation, orthogonal init with gains).
//! - [`distributions`]: [`Categorical`] (with action masks), [`DiagGaussian`] and
//!   [`TanhGaussian`] on batched tensors: sample, log-prob, entropy, mode.
//! - [`ensemble`]: several MLPs as one batched network (twin critics).
//! - [`target`]: soft (`tau`) and hard target-network updates.
//! - [`grad_clip`]: gradient clipping by the global norm over all parameters, and [`descend`]
//!   (one clipped optimiser step; [`step`] when the gradients are already separated).
//! - [`halves`]: the two halves of a minibatch differentiated on two threads, gradients
//!   summed (flex).
//! - [`pair`]: two closures on two threads of a rayon pool whose second thread waits spinning
//!   between pairs ([`side_by_side`]'s fork-join).
//! - [`flat`]: a module's parameters and gradients as one flat vector.
//! - [`optim`]: [`adam`] with PyTorch's ε, one host pass per parameter on flex.
//! - [`schedule`]: learning-rate (and other hyper-parameter) schedules.
//! - [`persist`]: weights, optimiser states, counters and host state as snapshot files.
//! - [`tanh`]: `tanh` in one vectorised pass on flex (burn-flex's is scalar libm).
//! - [`tensors`]: host slices to tensors and back.
//!
//! Library code never names a backend: it takes a `&Device`.
#![warn(missing_docs)]

pub use burn;

pub mod device;
pub mod distributions;
pub mod ensemble;
pub mod error;
pub mod flat;
pub mod grad_clip;
pub mod halves;
#[cfg(feature = "flex")]
mod host;
pub mod mlp;
pub mod optim;
pub mod pair;
pub mod persist;
pub mod schedule;
pub mod tanh;
pub mod target;
pub mod tensors;

pub use device::{DeviceKind, parse_device};
pub use distributions::{Categorical, DiagGaussian, TanhGaussian};
pub use ensemble::{EnsembleMlp, EnsembleMlpConfig};
pub use error::NnError;
pub use flat::{flat_grads, flat_params, set_flat_grads};
pub use grad_clip::{clip_grad_norm, descend, step};
pub use halves::{
    Descent, Half, add_grads, add_up, backward_halves, descend_halves, descend_halves_beside,
    side_by_side,
};
pub use mlp::{Activation, Mlp, MlpConfig, NetConfig};
pub use optim::{adam, rmsprop};
pub use schedule::Schedule;
pub use target::{hard_update, soft_update};
