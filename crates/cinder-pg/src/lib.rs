//! Policy-gradient algorithms for Cinder.
//!
//! - [`gae`]: the [`Gae`] critic (value function, GAE advantages, value targets, and its fit:
//!   in the learner's minibatch loop or separately first, as Pyrado's `GAE.update`).
//! - [`a2c`], [`ppo`], [`ppo2`]: the learners ([`A2c`], [`Ppo`], [`Ppo2`]); PPO's whole update
//!   reads in `ppo.rs`, PPO2 is a variant of it.
//! - [`on_policy`]: [`OnPolicy`], the sample-update-sync iteration all three share, which the
//!   training loop of [`cinder_train`] drives.
//!
//! The policies and their acting copies come from the agent layer ([`cinder_agent`]).
#![warn(missing_docs)]

pub mod a2c;
pub mod gae;
pub mod on_policy;
pub mod ppo;
pub mod ppo2;

pub use a2c::{A2c, A2cConfig};
pub use cinder_agent::{OnPolicyLearner, Update};
pub use gae::{
    CriticFit, Estimated, Estimates, Gae, GaeConfig, Standardizer, ValueLoss, ValueTarget,
};
pub use on_policy::OnPolicy;
pub use ppo::{Ppo, PpoConfig};
pub use ppo2::{Ppo2, Ppo2Config};
