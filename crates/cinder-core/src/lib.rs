//! Core abstractions of Cinder, a reinforcement-learning library on burn (this crate itself
//! uses neither burn nor any logging: it is what environments and data structures need).
//!
//! - [`space`]: action and observation spaces ([`Discrete`], [`BoxSpace`]) with sampling,
//!   membership and clipping, following Gymnasium's semantics.
//! - [`env`]: the Gymnasium-style [`Env`] trait (`reset` / `step` returning `terminated` and
//!   `truncated` separately).
//! - [`act`]: [`Actor`], the one acting trait every family implements ([`ActMode`]: random,
//!   exploring or greedy).
//! - [`actions`]: a batch's actions, borrowed ([`Actions`]) and owned ([`ActionBatch`]).
//! - [`vec_env`]: [`VecEnv`], N environments stepped as one batch with same-step autoreset that
//!   keeps each finished episode's final observation.
//! - [`wrappers`]: [`TimeLimit`], [`ClipAction`], [`RescaleAction`], [`NormalizeObservation`].
//! - [`seeding`]: one seed makes every environment and sampler reproducible.
//! - [`running_stats`]: running mean and variance (observation normalisation, standardisers).
//! - [`snapshot`]: [`Snapshot`], the named byte files that restore a learner (namespaced
//!   names let a wrapper algorithm store its inner learner's files beside its own).
//! - [`metric`]: [`Metric`], a named scalar a learner reports per iteration.
//!
//! Library errors are typed: see [`EnvError`].
#![warn(missing_docs)]

pub mod act;
pub mod actions;
pub mod env;
pub mod error;
pub mod metric;
pub mod normalize;
pub mod running_stats;
pub mod seeding;
pub mod snapshot;
pub mod space;
pub mod vec_env;
pub mod wrappers;

pub use act::{ActMode, Acted, Actor, Observed};
pub use env::{Action, Env, Step, StepOutcome};
pub use error::EnvError;
pub use metric::Metric;
pub use normalize::{Normalization, NormalizeConfig, NormalizeStats};
pub use running_stats::RunningMeanStd;
pub use snapshot::Snapshot;
pub use space::{BoxSpace, Discrete, OwnedAction, Space};
pub use vec_env::{ActionBatch, Actions, EpisodeRecord, VecEnv, VecStep, join_all};
pub use wrappers::{ClipAction, NormalizeObservation, RescaleAction, TimeLimit};
