//! The Gymnasium-style environment trait.
//!
//! An [`Env`] is reset (optionally with a seed) to get a first observation, then stepped with
//! actions; each step returns the next observation, the reward and two separate flags:
//! `terminated` (the MDP reached a terminal state: do not bootstrap) and `truncated` (the episode
//! was cut, typically by a time limit: the next state still has a value). Observations are f32;
//! rewards are f64 as Gymnasium returns them.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::EnvError;
use crate::space::Space;

/// An action passed to [`Env::step`], borrowed from its holder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action<'a> {
    /// An index for a discrete action space.
    Discrete(usize),
    /// A vector for a box action space.
    Continuous(&'a [f32]),
}

impl fmt::Display for Action<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Discrete(i) => write!(f, "{i}"),
            Action::Continuous(v) => write!(f, "{v:?}"),
        }
    }
}

/// What a step returns besides the observation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepOutcome {
    /// The reward of the transition.
    pub reward: f64,
    /// The new state is terminal: its value is zero, do not bootstrap from it.
    pub terminated: bool,
    /// The episode was cut short (time limit): the new state is not terminal.
    pub truncated: bool,
}

/// A whole step: the next observation and the [`StepOutcome`].
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Observation of the new state.
    pub observation: Vec<f32>,
    /// The reward of the transition.
    pub reward: f64,
    /// The new state is terminal.
    pub terminated: bool,
    /// The episode was cut short.
    pub truncated: bool,
}

/// A reinforcement-learning environment with Gymnasium's `reset` / `step` contract.
///
/// Implementors write [`Env::reset_into`] and [`Env::step_into`], which fill a caller-owned
/// observation buffer (so that vector environments never allocate per step); users call
/// [`Env::reset`] and [`Env::step`], which allocate the observation.
pub trait Env: Send {
    /// The registered id, e.g. `"CartPole-v1"`; used in every error message.
    fn id(&self) -> &str;

    /// The space observations live in (a [`Space::Box`] for every environment in Cinder).
    fn observation_space(&self) -> &Space;

    /// The space actions are taken from.
    fn action_space(&self) -> &Space;

    /// Starts a new episode and writes its first observation into `observation`
    /// (length [`Env::observation_dim`]). `Some(seed)` reseeds the environment's generator;
    /// `None` continues its stream (seeded from the operating system if it never was seeded).
    fn reset_into(&mut self, seed: Option<u64>, observation: &mut [f32]);

    /// Applies `action`, writes the next observation into `observation` (length
    /// [`Env::observation_dim`]) and returns reward and flags. An action outside the action
    /// space is an [`EnvError::InvalidAction`] that leaves the environment unchanged.
    fn step_into(
        &mut self,
        action: Action<'_>,
        observation: &mut [f32],
    ) -> Result<StepOutcome, EnvError>;

    /// The actions that are valid in the current state, for a discrete action space: sets
    /// `mask[a]` (length `n`) to whether action `a` may be taken now. The default allows every
    /// action. Vector environments read it after every reset and step; learners that take
    /// masks (A2C, PPO, PPO2, SVPG, DQL) never choose an invalid action, and a vector
    /// environment refuses one.
    fn action_mask(&self, mask: &mut [bool]) {
        mask.fill(true);
    }

    /// The internal (physical) state, in full f64 precision, when the environment exposes it.
    fn state(&self) -> Result<Vec<f64>, EnvError> {
        Err(EnvError::StateUnsupported {
            env: self.id().to_string(),
        })
    }

    /// Overwrites the internal state, so that the next step starts from it.
    fn set_state(&mut self, state: &[f64]) -> Result<(), EnvError> {
        let _ = state;
        Err(EnvError::StateUnsupported {
            env: self.id().to_string(),
        })
    }

    /// Everything the environment needs to go on exactly as it would have: internal state,
    /// episode bookkeeping (time-limit counters, normalisation statistics) and the generator
    /// its resets draw from. What a bit-exact resume restores with [`Env::restore`].
    fn snapshot(&self) -> Result<Value, EnvError> {
        Err(EnvError::StateUnsupported {
            env: self.id().to_string(),
        })
    }

    /// Puts back what [`Env::snapshot`] saved; an error leaves the environment unchanged.
    fn restore(&mut self, snapshot: &Value) -> Result<(), EnvError> {
        let _ = snapshot;
        Err(EnvError::StateUnsupported {
            env: self.id().to_string(),
        })
    }

    /// Number of f32 values in an observation.
    fn observation_dim(&self) -> usize {
        self.observation_space().flat_dim()
    }

    /// Starts a new episode and returns its first observation.
    fn reset(&mut self, seed: Option<u64>) -> Vec<f32> {
        let mut observation = vec![0.0; self.observation_dim()];
        self.reset_into(seed, &mut observation);
        observation
    }

    /// Applies `action` and returns the whole [`Step`].
    fn step(&mut self, action: Action<'_>) -> Result<Step, EnvError> {
        let mut observation = vec![0.0; self.observation_dim()];
        let outcome = self.step_into(action, &mut observation)?;
        Ok(Step {
            observation,
            reward: outcome.reward,
            terminated: outcome.terminated,
            truncated: outcome.truncated,
        })
    }
}

impl<E: Env + ?Sized> Env for Box<E> {
    fn id(&self) -> &str {
        (**self).id()
    }
    fn observation_space(&self) -> &Space {
        (**self).observation_space()
    }
    fn action_space(&self) -> &Space {
        (**self).action_space()
    }
    fn reset_into(&mut self, seed: Option<u64>, observation: &mut [f32]) {
        (**self).reset_into(seed, observation)
    }
    fn step_into(
        &mut self,
        action: Action<'_>,
        observation: &mut [f32],
    ) -> Result<StepOutcome, EnvError> {
        (**self).step_into(action, observation)
    }
    fn action_mask(&self, mask: &mut [bool]) {
        (**self).action_mask(mask)
    }
    fn state(&self) -> Result<Vec<f64>, EnvError> {
        (**self).state()
    }
    fn set_state(&mut self, state: &[f64]) -> Result<(), EnvError> {
        (**self).set_state(state)
    }
    fn snapshot(&self) -> Result<Value, EnvError> {
        (**self).snapshot()
    }
    fn restore(&mut self, snapshot: &Value) -> Result<(), EnvError> {
        (**self).restore(snapshot)
    }
}

/// `value` as the [`Env::snapshot`] of environment `env`.
pub fn to_snapshot<T: Serialize>(env: &str, value: &T) -> Result<Value, EnvError> {
    serde_json::to_value(value).map_err(|e| EnvError::BadSnapshot {
        env: env.to_string(),
        reason: e.to_string(),
    })
}

/// An [`Env::snapshot`] of environment `env` read back as `T`; the error names what did not
/// fit.
pub fn from_snapshot<T: DeserializeOwned>(env: &str, snapshot: &Value) -> Result<T, EnvError> {
    T::deserialize(snapshot).map_err(|e| EnvError::BadSnapshot {
        env: env.to_string(),
        reason: e.to_string(),
    })
}
