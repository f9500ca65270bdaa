//! Observation and reward normalisation with one set of statistics per run, as Stable-Baselines3's
//! `VecNormalize`:
//!
//! - observations: a running mean and variance of every observation the training environments
//!   return (after `reset`, and after each step, the reset observation where an episode ended),
//!   shared by all of them; each observation becomes
//!   `clip((obs − mean) / √(var + ε), ±clip_obs)`. Final observations are normalised with the
//!   same step's statistics and never enter them.
//! - rewards: `r / √(var_R + ε)` clipped to `±clip_reward`, `var_R` the running variance of each
//!   environment's discounted return `R ← γ·R + r` (set to 0 where an episode ended).
//!
//! The training environments update the statistics; evaluation environments share them frozen
//! ([`Normalization::frozen`]) and normalise observations only, so a policy is evaluated on
//! what it was trained on and scored in the environment's own rewards.

use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use crate::error::EnvError;
use crate::running_stats::RunningMeanStd;

/// What to normalise and how (SB3's `VecNormalize` arguments and defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormalizeConfig {
    /// Normalise observations.
    pub observations: bool,
    /// Scale rewards by the running standard deviation of the discounted return.
    pub rewards: bool,
    /// Bound of normalised observations (10).
    pub clip_obs: f64,
    /// Bound of scaled rewards (10).
    pub clip_reward: f64,
    /// Discount of the return whose variance scales rewards (0.99).
    pub gamma: f64,
    /// Added to variances before the square root (1e-8).
    pub epsilon: f64,
}

impl Default for NormalizeConfig {
    fn default() -> Self {
        Self {
            observations: true,
            rewards: true,
            clip_obs: 10.0,
            clip_reward: 10.0,
            gamma: 0.99,
            epsilon: 1e-8,
        }
    }
}

impl NormalizeConfig {
    /// Whether anything is normalised.
    pub fn is_on(&self) -> bool {
        self.observations || self.rewards
    }

    /// Checks the bounds, the discount and ε; an error's reason names the value by its run
    /// setting: "`norm_gamma` = 1.5: expected in [0, 1]".
    pub fn validate(&self) -> Result<(), EnvError> {
        let positive = |value: f64| value.is_finite() && value > 0.0;
        let checks = [
            (
                "clip_obs",
                self.clip_obs,
                positive(self.clip_obs),
                "positive",
            ),
            (
                "clip_reward",
                self.clip_reward,
                positive(self.clip_reward),
                "positive",
            ),
            (
                "norm_epsilon",
                self.epsilon,
                positive(self.epsilon),
                "positive",
            ),
            (
                "norm_gamma",
                self.gamma,
                (0.0..=1.0).contains(&self.gamma),
                "in [0, 1]",
            ),
        ];
        match checks.into_iter().find(|&(_, _, ok, _)| !ok) {
            None => Ok(()),
            Some((key, value, _, expected)) => Err(EnvError::IncompatibleEnv {
                context: "normalisation".into(),
                reason: format!("`{key}` = {value}: expected {expected}"),
            }),
        }
    }
}

/// The running statistics of a run: observations, and the discounted return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalizeStats {
    /// Of the observations, per component.
    pub observations: RunningMeanStd,
    /// Of the discounted return.
    pub returns: RunningMeanStd,
}

/// Statistics shared by a run's training and evaluation environments.
pub type SharedStats = Arc<Mutex<NormalizeStats>>;

/// The normalisation of one vector of environments.
#[derive(Debug, Clone)]
pub struct Normalization {
    config: NormalizeConfig,
    stats: SharedStats,
    training: bool,
    /// Each environment's discounted return.
    returns: Vec<f64>,
}

/// The statistics, whichever thread panicked while holding them (they are plain numbers).
fn lock(stats: &SharedStats) -> std::sync::MutexGuard<'_, NormalizeStats> {
    stats.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a snapshot keeps of a training normalisation.
#[derive(Serialize, Deserialize)]
struct Saved {
    stats: NormalizeStats,
    returns: Vec<f64>,
}

impl Normalization {
    /// The normalisation of training environments with observations of `observation_dim`
    /// values, with fresh statistics that it updates.
    pub fn training(config: NormalizeConfig, observation_dim: usize) -> Result<Self, EnvError> {
        config.validate()?;
        let stats = NormalizeStats {
            observations: RunningMeanStd::new(observation_dim),
            returns: RunningMeanStd::new(1),
        };
        Ok(Self {
            config,
            stats: Arc::new(Mutex::new(stats)),
            training: true,
            returns: Vec::new(),
        })
    }

    /// The same statistics, frozen, for evaluation environments: observations only.
    pub fn frozen(&self) -> Self {
        Self {
            config: NormalizeConfig {
                rewards: false,
                ..self.config
            },
            stats: Arc::clone(&self.stats),
            training: false,
            returns: Vec::new(),
        }
    }

    /// Whether the statistics are updated (SB3's `training`): frozen, observations are still
    /// normalised and rewards still scaled, with the statistics as they are.
    pub fn set_training(&mut self, training: bool) {
        self.training = training;
    }

    /// A copy of the current statistics.
    pub fn stats(&self) -> NormalizeStats {
        lock(&self.stats).clone()
    }

    /// What is normalised and how.
    pub fn config(&self) -> NormalizeConfig {
        self.config
    }

    /// Observations laid end to end, normalised in place with the statistics as they are
    /// (never updated): what a reloaded policy does to the raw observations it is given.
    pub fn observations(&self, values: &mut [f32]) {
        if self.config.observations {
            self.normalize(&lock(&self.stats), values);
        }
    }

    /// Observations of `num_envs` environments after a reset: statistics updated (training),
    /// then normalised in place; the discounted returns start at 0.
    pub fn reset(&mut self, observations: &mut [f32], num_envs: usize) {
        self.returns = vec![0.0; num_envs];
        if self.config.observations {
            let shared = Arc::clone(&self.stats);
            let mut stats = lock(&shared);
            if self.training {
                stats.observations.update(observations);
            }
            self.normalize(&stats, observations);
        }
    }

    /// One step: the observations (statistics updated first when training) and the final
    /// observations of the environments whose episode `ended` normalised in place, and the
    /// rewards scaled.
    pub fn step(
        &mut self,
        observations: &mut [f32],
        final_observations: &mut [f32],
        rewards: &mut [f64],
        ended: impl Fn(usize) -> bool,
    ) {
        let shared = Arc::clone(&self.stats);
        let mut stats = lock(&shared);
        if self.config.observations {
            if self.training {
                stats.observations.update(observations);
            }
            self.normalize(&stats, observations);
            let dim = stats.observations.dim().max(1);
            for (i, row) in final_observations.chunks_exact_mut(dim).enumerate() {
                if ended(i) {
                    self.normalize(&stats, row);
                }
            }
        }
        if self.config.rewards {
            if self.training {
                let gamma = self.config.gamma;
                for (g, &r) in self.returns.iter_mut().zip(rewards.iter()) {
                    *g = *g * gamma + r;
                }
                stats.returns.update(&self.returns);
            }
            let scale = (stats.returns.var[0] + self.config.epsilon).sqrt();
            let clip = self.config.clip_reward;
            for (i, r) in rewards.iter_mut().enumerate() {
                *r = (*r / scale).clamp(-clip, clip);
                if ended(i) {
                    self.returns[i] = 0.0;
                }
            }
        }
    }

    /// Normalises every observation of `values` (rows of the statistics' size) in place.
    fn normalize(&self, stats: &NormalizeStats, values: &mut [f32]) {
        let clip = self.config.clip_obs as f32;
        for row in values.chunks_exact_mut(stats.observations.dim().max(1)) {
            stats.observations.normalize(row, self.config.epsilon);
            for v in row {
                *v = v.clamp(-clip, clip);
            }
        }
    }

    /// The statistics and discounted returns, for a snapshot.
    pub fn snapshot(&self) -> Result<serde_json::Value, EnvError> {
        let saved = Saved {
            stats: self.stats(),
            returns: self.returns.clone(),
        };
        crate::env::to_snapshot("normalisation", &saved)
    }

    /// Puts back what [`Normalization::snapshot`] saved (the shared statistics too); an error
    /// changes nothing.
    pub fn restore(&mut self, snapshot: &serde_json::Value) -> Result<(), EnvError> {
        let saved: Saved = crate::env::from_snapshot("normalisation", snapshot)?;
        let shared = Arc::clone(&self.stats);
        let mut stats = lock(&shared);
        let fits = saved.stats.observations.dim() == stats.observations.dim()
            && saved.stats.returns.dim() == 1
            && (saved.returns.len() == self.returns.len() || self.returns.is_empty());
        if !fits {
            return Err(EnvError::BadSnapshot {
                env: "normalisation".into(),
                reason: format!(
                    "statistics of {} observation values and {} returns do not fit {} values \
                     and {} environments",
                    saved.stats.observations.dim(),
                    saved.returns.len(),
                    stats.observations.dim(),
                    self.returns.len()
                ),
            });
        }
        *stats = saved.stats;
        drop(stats);
        self.returns = saved.returns;
        Ok(())
    }
}
