//! Data for Cinder's algorithms.
//!
//! - [`advantages`]: GAE / TD(λ) returns with Tianshou's terminated-vs-truncated semantics.
//! - [`rollout`]: on-policy rollout storage (host struct-of-arrays, time-major).
//! - [`sampler`]: an [`Actor`] stepping a `VecEnv` until a [`Budget`] is met.
#![warn(missing_docs)]

pub mod advantages;
pub mod rollout;
pub mod sampler;

pub use rollout::Rollout;
pub use sampler::{Acted, Actor, Budget, SampleError, Sampler};
