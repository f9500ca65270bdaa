//! A batch of environments stepped together, with same-step autoreset.
//!
//! [`VecEnv::step`] steps every environment; one whose episode ends (terminated or truncated)
//! is reset at once, so [`VecStep::observations`] always holds observations to act on next,
//! while [`VecStep::final_observations`] keeps the last observation of each finished episode:
//! the state a truncated episode must bootstrap from. This is the "same-step" autoreset of
//! Stable-Baselines3 and Gymnasium's `AutoresetMode.SAME_STEP`. All buffers are flat,
//! struct-of-arrays and reused across steps (no allocation per step).

use crate::env::{Action, Env};
use crate::error::EnvError;
use crate::seeding::sub_seed;
use crate::space::Space;

/// Actions for every environment of a [`VecEnv`], flat.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Actions<'a> {
    /// One index per environment.
    Discrete(&'a [usize]),
    /// `num_envs × action_dim` values, environment-major.
    Continuous(&'a [f32]),
}

/// Return and length of an episode that finished during a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpisodeRecord {
    /// Index of the environment in the [`VecEnv`].
    pub env_index: usize,
    /// Undiscounted sum of rewards.
    pub episode_return: f64,
    /// Number of steps.
    pub length: usize,
    /// Whether it ended by termination (else by truncation).
    pub terminated: bool,
}

/// The result of [`VecEnv::step`], borrowed from the vector environment's buffers.
#[derive(Debug, Clone, Copy)]
pub struct VecStep<'a> {
    /// `num_envs × obs_dim` observations to act on next (reset observations where an episode
    /// ended).
    pub observations: &'a [f32],
    /// One reward per environment.
    pub rewards: &'a [f64],
    /// One `terminated` flag per environment.
    pub terminated: &'a [bool],
    /// One `truncated` flag per environment.
    pub truncated: &'a [bool],
    /// `num_envs × obs_dim`: row `i` is the last observation of the episode environment `i`
    /// just finished, meaningful only where `terminated[i] || truncated[i]`.
    pub final_observations: &'a [f32],
    /// The episodes that finished in this step.
    pub finished_episodes: &'a [EpisodeRecord],
}

/// N environments of one kind, stepped as a batch.
pub struct VecEnv {
    envs: Vec<Box<dyn Env>>,
    observation_dim: usize,
    action_dim: usize,
    observations: Vec<f32>,
    final_observations: Vec<f32>,
    rewards: Vec<f64>,
    terminated: Vec<bool>,
    truncated: Vec<bool>,
    episode_returns: Vec<f64>,
    episode_lengths: Vec<usize>,
    finished: Vec<EpisodeRecord>,
    needs_reset: bool,
}

impl VecEnv {
    /// Batches `envs`, which must be non-empty and share their observation and action spaces.
    pub fn new(envs: Vec<Box<dyn Env>>) -> Result<Self, EnvError> {
        let first = envs.first().ok_or_else(|| EnvError::IncompatibleEnv {
            context: "VecEnv".to_string(),
            reason: "needs at least one environment".to_string(),
        })?;
        if let Some(other) = envs.iter().find(|e| {
            e.observation_space() != first.observation_space()
                || e.action_space() != first.action_space()
        }) {
            return Err(EnvError::IncompatibleEnv {
                context: "VecEnv".to_string(),
                reason: format!(
                    "all environments must share their spaces; {} has {} / {} but {} has {} / {}",
                    first.id(),
                    first.observation_space(),
                    first.action_space(),
                    other.id(),
                    other.observation_space(),
                    other.action_space()
                ),
            });
        }
        let n = envs.len();
        let observation_dim = first.observation_dim();
        let action_dim = first.action_space().flat_dim();
        Ok(Self {
            envs,
            observation_dim,
            action_dim,
            observations: vec![0.0; n * observation_dim],
            final_observations: vec![0.0; n * observation_dim],
            rewards: vec![0.0; n],
            terminated: vec![false; n],
            truncated: vec![false; n],
            episode_returns: vec![0.0; n],
            episode_lengths: vec![0; n],
            finished: Vec::with_capacity(n),
            needs_reset: true,
        })
    }

    /// Builds `num_envs` environments with `make(index)`.
    pub fn from_fn<F>(num_envs: usize, make: F) -> Result<Self, EnvError>
    where
        F: FnMut(usize) -> Result<Box<dyn Env>, EnvError>,
    {
        Self::new((0..num_envs).map(make).collect::<Result<_, _>>()?)
    }

    /// Number of environments.
    pub fn num_envs(&self) -> usize {
        self.envs.len()
    }

    /// Values in one observation.
    pub fn observation_dim(&self) -> usize {
        self.observation_dim
    }

    /// The shared observation space.
    pub fn observation_space(&self) -> &Space {
        self.envs[0].observation_space()
    }

    /// The shared action space.
    pub fn action_space(&self) -> &Space {
        self.envs[0].action_space()
    }

    /// The environments, e.g. to read their states.
    pub fn envs(&self) -> &[Box<dyn Env>] {
        &self.envs
    }

    /// Resets every environment and returns the `num_envs × obs_dim` first observations.
    /// `Some(seed)` seeds environment `i` with `seed + i`.
    pub fn reset(&mut self, seed: Option<u64>) -> &[f32] {
        let dim = self.observation_dim;
        for (i, (env, obs)) in self
            .envs
            .iter_mut()
            .zip(self.observations.chunks_exact_mut(dim))
            .enumerate()
        {
            env.reset_into(seed.map(|s| sub_seed(s, i)), obs);
        }
        self.episode_returns.fill(0.0);
        self.episode_lengths.fill(0);
        self.needs_reset = false;
        &self.observations
    }

    /// Steps every environment with its action and resets those whose episode ended.
    ///
    /// The whole batch of actions is checked (count, discrete indices, NaN) before any
    /// environment moves, so a malformed batch leaves every environment where it was.
    pub fn step(&mut self, actions: Actions<'_>) -> Result<VecStep<'_>, EnvError> {
        if self.needs_reset {
            return Err(EnvError::ResetNeeded {
                env: format!("VecEnv({})", self.envs[0].id()),
            });
        }
        self.check_batch(actions)?;
        let dim = self.observation_dim;
        self.finished.clear();
        for i in 0..self.envs.len() {
            let action = match actions {
                Actions::Discrete(a) => Action::Discrete(a[i]),
                Actions::Continuous(a) => {
                    Action::Continuous(&a[i * self.action_dim..(i + 1) * self.action_dim])
                }
            };
            let obs = &mut self.observations[i * dim..(i + 1) * dim];
            let outcome = self.envs[i].step_into(action, obs)?;
            self.rewards[i] = outcome.reward;
            self.terminated[i] = outcome.terminated;
            self.truncated[i] = outcome.truncated;
            self.episode_returns[i] += outcome.reward;
            self.episode_lengths[i] += 1;
            if outcome.terminated || outcome.truncated {
                self.final_observations[i * dim..(i + 1) * dim].copy_from_slice(obs);
                self.finished.push(EpisodeRecord {
                    env_index: i,
                    episode_return: self.episode_returns[i],
                    length: self.episode_lengths[i],
                    terminated: outcome.terminated,
                });
                self.episode_returns[i] = 0.0;
                self.episode_lengths[i] = 0;
                self.envs[i].reset_into(None, obs);
            }
        }
        Ok(VecStep {
            observations: &self.observations,
            rewards: &self.rewards,
            terminated: &self.terminated,
            truncated: &self.truncated,
            final_observations: &self.final_observations,
            finished_episodes: &self.finished,
        })
    }

    fn check_batch(&self, actions: Actions<'_>) -> Result<(), EnvError> {
        let n = self.envs.len();
        let space = self.action_space();
        let well_formed = match (actions, space) {
            (Actions::Discrete(a), Space::Discrete(d)) => {
                a.len() == n && a.iter().all(|&i| d.contains(i))
            }
            (Actions::Continuous(a), Space::Box(_)) => {
                a.len() == n * self.action_dim && a.iter().all(|x| !x.is_nan())
            }
            _ => false,
        };
        if well_formed {
            return Ok(());
        }
        let shown = match actions {
            Actions::Discrete(a) => format!("{} discrete actions {a:?}", a.len()),
            Actions::Continuous(a) => format!("{} continuous values {a:?}", a.len()),
        };
        Err(EnvError::InvalidAction {
            env: format!("VecEnv({} x {})", n, self.envs[0].id()),
            action: shown,
            space: format!("{n} x {space}"),
        })
    }
}
