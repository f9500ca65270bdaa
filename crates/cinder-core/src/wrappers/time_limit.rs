use crate::env::{Action, Env, StepOutcome};
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

impl<E: Env> Env for TimeLimit<E> {
    forward_env!(observation_space, action_space);

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
