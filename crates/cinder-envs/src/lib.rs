//! Environments for Cinder and the `make(id)` registry.
//!
//! The classic-control environments reproduce Gymnasium 1.4 step for step: internal state in
//! f64, observations in f32, the same constants, integrators, reward and termination rules,
//! reset distributions (not numpy's random streams) and time limits. The crate's tests check
//! them against transitions recorded from Gymnasium itself.
//!
//! ```
//! use cinder_core::{Action, Env};
//! let mut env = cinder_envs::make("CartPole-v1").unwrap();
//! let obs = env.reset(Some(0));
//! let step = env.step(Action::Discrete(1)).unwrap();
//! assert_eq!(obs.len(), 4);
//! assert_eq!(step.reward, 1.0);
//! ```
#![warn(missing_docs)]

mod acrobot;
mod cartpole;
mod common;
mod mountain_car;
mod pendulum;

pub use acrobot::Acrobot;
pub use cartpole::CartPole;
pub use mountain_car::{MountainCar, MountainCarContinuous};
pub use pendulum::Pendulum;

use cinder_core::{Env, EnvError, TimeLimit};

/// A registered environment: how to build it and the limits Gymnasium registers with it.
#[derive(Debug, Clone, Copy)]
pub struct EnvSpec {
    /// The id `make` takes, e.g. `"CartPole-v1"`.
    pub id: &'static str,
    /// Episodes are truncated after this many steps.
    pub max_episode_steps: usize,
    /// The mean return at which the task counts as solved, if one is registered.
    pub reward_threshold: Option<f64>,
    build: fn() -> Box<dyn Env>,
}

impl EnvSpec {
    /// A fresh environment without its time limit.
    pub fn make_unwrapped(&self) -> Box<dyn Env> {
        (self.build)()
    }
}

/// Every registered environment, with Gymnasium 1.4's registration values.
pub const REGISTRY: &[EnvSpec] = &[
    EnvSpec {
        id: CartPole::ID,
        max_episode_steps: 500,
        reward_threshold: Some(475.0),
        build: || Box::new(CartPole::new()),
    },
    EnvSpec {
        id: Pendulum::ID,
        max_episode_steps: 200,
        reward_threshold: None,
        build: || Box::new(Pendulum::new()),
    },
    EnvSpec {
        id: MountainCar::ID,
        max_episode_steps: 200,
        reward_threshold: Some(-110.0),
        build: || Box::new(MountainCar::new()),
    },
    EnvSpec {
        id: MountainCarContinuous::ID,
        max_episode_steps: 999,
        reward_threshold: Some(90.0),
        build: || Box::new(MountainCarContinuous::new()),
    },
    EnvSpec {
        id: Acrobot::ID,
        max_episode_steps: 500,
        reward_threshold: Some(-100.0),
        build: || Box::new(Acrobot::new()),
    },
];

/// The registered ids.
pub fn ids() -> Vec<&'static str> {
    REGISTRY.iter().map(|s| s.id).collect()
}

/// The registration of `id`, or [`EnvError::UnknownEnv`] listing the known ids.
pub fn spec(id: &str) -> Result<&'static EnvSpec, EnvError> {
    REGISTRY
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| EnvError::UnknownEnv {
            id: id.to_string(),
            known: ids().join(", "),
        })
}

/// The environment `id` wrapped in its registered [`TimeLimit`], as `gymnasium.make(id)`.
pub fn make(id: &str) -> Result<Box<dyn Env>, EnvError> {
    let spec = spec(id)?;
    Ok(Box::new(TimeLimit::new(
        spec.make_unwrapped(),
        spec.max_episode_steps,
    )?))
}
