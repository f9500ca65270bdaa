//! Core abstractions of Cinder, a reinforcement-learning library on burn.
//!
//! - [`space`]: action and observation spaces ([`Discrete`], [`BoxSpace`]) with sampling,
//!   membership and clipping, following Gymnasium's semantics.
//! - [`env`]: the Gymnasium-style [`Env`] trait (`reset` / `step` returning `terminated` and
//!   `truncated` separately).
//! - [`vec_env`]: [`VecEnv`], N environments stepped as one batch with same-step autoreset that
//!   keeps each finished episode's final observation.
//! - [`wrappers`]: [`TimeLimit`], [`ClipAction`], [`RescaleAction`], [`NormalizeObservation`].
//! - [`seeding`]: one seed makes every environment and sampler reproducible.
//! - [`running_stats`]: running mean and variance (observation normalisation, standardisers).
//! - [`train`]: the training loop every algorithm shares, its log sinks and snapshots.
//!
//! Library errors are typed: see [`EnvError`].
#![warn(missing_docs)]

pub mod env;
pub mod error;
pub mod running_stats;
pub mod seeding;
pub mod space;
pub mod train;
pub mod vec_env;
pub mod wrappers;

pub use env::{Action, Env, Step, StepOutcome};
pub use error::EnvError;
pub use running_stats::RunningMeanStd;
pub use space::{BoxSpace, Discrete, OwnedAction, Space};
pub use train::{Algorithm, Iteration, Metric, TrainConfig, TrainError, TrainSummary, train};
pub use vec_env::{ActionBatch, Actions, EpisodeRecord, VecEnv, VecStep};
pub use wrappers::{ClipAction, NormalizeObservation, RescaleAction, TimeLimit};
