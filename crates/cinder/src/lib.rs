//! # Cinder
//!
//! Reinforcement learning in Rust on the burn deep-learning framework. This facade re-exports
//! the workspace's crates:
//!
//! - [`core`] (`cinder-core`): spaces, the [`Env`](core::Env) trait, [`VecEnv`](core::VecEnv),
//!   wrappers, seeding, [`Snapshot`](core::Snapshot) files.
//! - [`envs`] (`cinder-envs`): Gymnasium-exact classic control and [`envs::make`].
//! - [`data`] (`cinder-data`): GAE, on-policy rollouts, the sampler, replay buffers.
//! - [`nn`] (`cinder-nn`): MLPs, action distributions, target networks, global-norm gradient
//!   clipping, device selection.
//! - [`agent`] (`cinder-agent`): policies and their acting copies, the learner traits, Q-network
//!   targets, batch tensors, the learners' error type.
//! - [`pg`] (`cinder-pg`): the GAE critic, A2C, PPO, PPO2.
//! - [`offpolicy`] (`cinder-offpolicy`): the replay loop, DQL, DDPG, SAC.
//! - [`offline`] (`cinder-offline`): Minari datasets, the offline iteration, BC, discrete BCQ.
//! - [`explore`] (`cinder-explore`): the Intrinsic Curiosity Module around any online learner,
//!   SVGD and SVPG.
//! - [`train`] (`cinder-train`): the training loop, evaluation, log sinks and snapshots.
//!
//! and holds what the `cinder` binary is made of: [`registry`] (one row per algorithm),
//! [`settings`] (presets and overrides resolved into an algorithm), [`resources`] (a run's
//! memory estimated before anything is allocated) and [`run`] (run directories, training,
//! resuming, evaluation of a saved run).
//!
//! ```
//! use cinder::core::{Action, Env};
//! let mut env = cinder::envs::make("Pendulum-v1")?;
//! env.reset(Some(0));
//! let step = env.step(Action::Continuous(&[1.0]))?;
//! assert!(!step.terminated);
//! # Ok::<(), cinder::core::EnvError>(())
//! ```
#![warn(missing_docs)]

pub use cinder_agent as agent;
pub use cinder_core as core;
pub use cinder_data as data;
pub use cinder_envs as envs;
pub use cinder_explore as explore;
pub use cinder_nn as nn;
pub use cinder_nn::burn;
pub use cinder_offline as offline;
pub use cinder_offpolicy as offpolicy;
pub use cinder_pg as pg;
pub use cinder_train as train;

pub mod registry;
pub mod resources;
pub mod run;
pub mod settings;
