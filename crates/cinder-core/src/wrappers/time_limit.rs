use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::env::{Action, Env, StepOutcome, from_snapshot, to_snapshot};
use crate::error::EnvError;

use super::forward_env;

/// Truncates episodes after `max_episode_steps` steps (Gymnasium's `TimeLimit`).
///
/// After the wrapped step, `elapsed += 1` and `truncated |= elapsed >= max_episode_steps`; a
/// step may be both terminated and truncated. `reset` sets `elapsed` back to 0.
#[derive(Debug, Clone)]
pub struct TimeLimit<E> {
    env: E,
    max_episode_steps: usize,
    elapsed_steps: usize,
}

impl<E: Env> TimeLimit<E> {
    /// Wraps `env`; `max_episode_steps` must be at least 1.
    pub fn new(env: E, max_episode_steps: usize) -> Result<Self, EnvError> {
        if max_episode_steps == 0 {
            return Err(EnvError::IncompatibleEnv {
                context: format!("TimeLimit({})", env.id()),
                reason: "max_episode_steps must be at least 1".to_string(),
            });
        }
        Ok(Self {
            env,
            max_episode_steps,
            elapsed_steps: 0,
        })
    }

    /// The limit.
    pub fn max_episode_steps(&self) -> usize {
        self.max_episode_steps
    }

    /// Steps taken since the last reset.
    pub fn elapsed_steps(&self) -> usize {
        self.elapsed_steps
    }

    /// The wrapped environment.
    pub fn inner(&self) -> &E {
        &self.env
    }
}

/// What [`TimeLimit`] adds to its environment's snapshot.
#[derive(Serialize, Deserialize)]
struct Saved {
    elapsed_steps: usize,
    env: Value,
}

impl<E: Env> Env for TimeLimit<E> {
    forward_env!(observation_space, action_space);

    fn snapshot(&self) -> Result<Value, EnvError> {
        let saved = Saved {
            elapsed_steps: self.elapsed_steps,
            env: self.env.snapshot()?,
        };
        to_snapshot(self.id(), &saved)
    }

    fn restore(&mut self, snapshot: &Value) -> Result<(), EnvError> {
        let saved: Saved = from_snapshot(self.id(), snapshot)?;
        if saved.elapsed_steps >= self.max_episode_steps {
            return Err(EnvError::BadSnapshot {
                env: self.id().to_string(),
                reason: format!(
                    "{} steps into an episode, at or beyond the time limit of {}",
                    saved.elapsed_steps, self.max_episode_steps
                ),
            });
        }
        self.env.restore(&saved.env)?;
        self.elapsed_steps = saved.elapsed_steps;
        Ok(())
    }

    fn reset_into(&mut self, seed: Option<u64>, observation: &mut [f32]) {
        self.elapsed_steps = 0;
        self.env.reset_into(seed, observation);
    }

    fn step_into(
        &mut self,
        action: Action<'_>,
        observation: &mut [f32],
    ) -> Result<StepOutcome, EnvError> {
        let mut outcome = self.env.step_into(action, observation)?;
        self.elapsed_steps += 1;
        outcome.truncated |= self.elapsed_steps >= self.max_episode_steps;
        Ok(outcome)
    }
}
