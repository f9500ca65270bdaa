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

common::default_is_new!(
    CartPole,
    Pendulum,
    MountainCar,
    MountainCarContinuous,
    Acrobot
);

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
    build_limited: fn(usize) -> Result<Box<dyn Env>, EnvError>,
}

impl EnvSpec {
    const fn of<E: Env + Default + 'static>(
        id: &'static str,
        max_episode_steps: usize,
        reward_threshold: Option<f64>,
    ) -> Self {
        Self {
            id,
            max_episode_steps,
            reward_threshold,
            build: || Box::new(E::default()),
            // TimeLimit over the concrete type: one dynamic call per step, not two.
            build_limited: |limit| Ok(Box::new(TimeLimit::new(E::default(), limit)?)),
        }
    }

    /// A fresh environment without its time limit.
    pub fn make_unwrapped(&self) -> Box<dyn Env> {
        (self.build)()
    }

    /// A fresh environment in its registered [`TimeLimit`].
    pub fn make(&self) -> Result<Box<dyn Env>, EnvError> {
        (self.build_limited)(self.max_episode_steps)
    }
}

/// Every registered environment, with Gymnasium 1.4's registration values.
pub const REGISTRY: &[EnvSpec] = &[
    EnvSpec::of::<CartPole>(CartPole::ID, 500, Some(475.0)),
    EnvSpec::of::<Pendulum>(Pendulum::ID, 200, None),
    EnvSpec::of::<MountainCar>(MountainCar::ID, 200, Some(-110.0)),
    EnvSpec::of::<MountainCarContinuous>(MountainCarContinuous::ID, 999, Some(90.0)),
    EnvSpec::of::<Acrobot>(Acrobot::ID, 500, Some(-100.0)),
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
    spec(id)?.make()
}
