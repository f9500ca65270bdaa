//! Policy-gradient algorithms for Cinder.
//!
//! - [`policy`]: stochastic policies (categorical / diagonal Gaussian) and [`PolicyActor`],
//!   which acts for the sampler on its own device.
//! - [`gae`]: the [`Gae`] critic (value function, GAE advantages, TD(λ) returns).
//! - [`ppo`]: [`Ppo`], the clipped-surrogate policy update.
#![warn(missing_docs)]

pub mod error;
pub mod gae;
mod optimize;
pub mod policy;
pub mod ppo;
mod tensors;

pub use error::PgError;
pub use gae::{Estimates, Gae, GaeConfig};
pub use policy::{ActionDistribution, ActionTensor, Policy, PolicyActor, PolicyConfig};
pub use ppo::{Ppo, PpoConfig, PpoStats};
