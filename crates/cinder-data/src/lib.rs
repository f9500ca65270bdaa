//! Data for Cinder's algorithms.
//!
//! - [`advantages`]: GAE / TD(λ) returns with Tianshou's terminated-vs-truncated semantics.
//! - [`rollout`]: on-policy rollout storage (host struct-of-arrays, time-major).
//! - [`replay`]: replay memory (uniform ring, prioritized, n-step targets, [`Memory`]).
//! - [`record`]: datasets recorded from an actor, with optional exploration noise.
//! - [`dataset`]: offline datasets of whole episodes, checked, sampled through the replay
//!   buffer; [`record`] rolls an actor out into one.
//! - [`sampler`]: an [`Actor`](cinder_core::Actor) stepping a `VecEnv` until a [`Budget`] is
//!   met.
#![warn(missing_docs)]

pub mod advantages;
pub mod dataset;
pub mod record;
pub mod replay;
pub mod rollout;
pub mod sampler;

pub use dataset::{Dataset, DatasetError, Episode, Provenance, ReturnStats};
pub use record::{Noise, Noisy, record};
pub use replay::{
    Lookahead, Memory, PrioritizedConfig, PrioritizedReplay, ReplayBatch, ReplayBuffer,
    ReplayError, Transitions, WindowSteps,
};
pub use rollout::Rollout;
pub use sampler::{Budget, SampleError, Sampler};
