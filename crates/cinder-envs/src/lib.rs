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
mod registry;

pub use acrobot::Acrobot;
pub use cartpole::CartPole;
pub use mountain_car::{MountainCar, MountainCarContinuous};
pub use pendulum::Pendulum;
pub use registry::{EnvSpec, ids, make, register, registry, spec};

common::default_is_new!(
    CartPole,
    Pendulum,
    MountainCar,
    MountainCarContinuous,
    Acrobot
);

/// Gymnasium 1.4's registrations of the environments this crate ships.
fn builtin() -> Vec<EnvSpec> {
    vec![
        EnvSpec::new(CartPole::ID, 500, CartPole::new).with_reward_threshold(475.0),
        EnvSpec::new(Pendulum::ID, 200, Pendulum::new),
        EnvSpec::new(MountainCar::ID, 200, MountainCar::new).with_reward_threshold(-110.0),
        EnvSpec::new(MountainCarContinuous::ID, 999, MountainCarContinuous::new)
            .with_reward_threshold(90.0),
        EnvSpec::new(Acrobot::ID, 500, Acrobot::new).with_reward_threshold(-100.0),
    ]
}
