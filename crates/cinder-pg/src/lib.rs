//! Policy-gradient algorithms for Cinder.
//!
//! - [`policy`]: stochastic policies (categorical / diagonal Gaussian) and [`PolicyActor`],
//!   which acts for the sampler on its own device.
//! - [`gae`]: the [`Gae`] critic (value function, GAE advantages, TD(λ) returns).
//! - [`a2c`], [`ppo`], [`ppo2`]: the learners ([`A2c`], [`Ppo`], [`Ppo2`]).
//! - [`on_policy`]: [`OnPolicy`], the sample-update-sync iteration all three share, which the
//!   training loop of [`cinder_core::train`] drives.
#![warn(missing_docs)]

pub mod a2c;
mod actor_critic;
pub mod error;
pub mod gae;
pub mod on_policy;
mod optimize;
pub mod policy;
pub mod ppo;
pub mod ppo2;

pub use a2c::{A2c, A2cConfig};
pub use cinder_nn::Schedule;
pub use error::PgError;
pub use gae::{Estimates, Gae, GaeConfig};
pub use on_policy::{OnPolicy, OnPolicyLearner};
pub use policy::{ActionDistribution, ActionTensor, Policy, PolicyActor, PolicyConfig};
pub use ppo::{Ppo, PpoConfig};
pub use ppo2::{Ppo2, Ppo2Config};
