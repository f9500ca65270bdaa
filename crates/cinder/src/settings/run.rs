//! The settings every run has: its budget, its evaluations, its environments.

use cinder_core::{EnvError, NormalizeConfig};
use cinder_train::{Every, SnapshotMode, TrainConfig, XAxis};
use serde::{Deserialize, Serialize};

use super::{SettingsError, at_least_one};

/// The most threads that may step environments (each is an OS thread).
const MAX_WORKERS: usize = 256;

/// What a run's `eval_every` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvalUnit {
    /// Iterations of the algorithm.
    Iterations,
    /// Environment steps.
    Steps,
    /// Gradient updates.
    Updates,
}

impl EvalUnit {
    /// Every `n` of this unit.
    pub fn every(self, n: usize) -> Every {
        match self {
            EvalUnit::Iterations => Every::Iterations(n),
            EvalUnit::Steps => Every::Steps(n),
            EvalUnit::Updates => Every::Updates(n),
        }
    }
}

/// Budget, evaluation and environment settings of every run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    /// Stop after this many environment steps.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub total_steps: Option<usize>,
    /// Stop after this many iterations.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max_iter: Option<usize>,
    /// Stop after this many gradient updates.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max_updates: Option<usize>,
    /// Parallel training environments.
    pub n_envs: usize,
    /// Threads stepping them.
    pub num_workers: usize,
    /// Evaluate (and snapshot) every this many `eval_unit`s (0: only at the end).
    pub eval_every: usize,
    /// What `eval_every` counts: `iterations` (the default; one step of an off-policy run, a
    /// rollout of an on-policy one), `steps` or `updates`.
    pub eval_unit: EvalUnit,
    /// Episodes per evaluation.
    pub eval_episodes: usize,
    /// Stop when the evaluation mean reaches this (absent: never).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub return_threshold: Option<f64>,
    /// `latest`, `best` or `none`.
    pub snapshot_mode: SnapshotMode,
    /// What TensorBoard's step and the learning curve's x axis count: `steps` or `updates`
    /// (`progress.csv` has both).
    pub x_axis: XAxis,
    /// Normalise observations by running statistics that all the run's environments share,
    /// frozen for evaluation and kept in every snapshot (SB3's `VecNormalize`; see
    /// `cinder_core::normalize`).
    pub normalize_obs: bool,
    /// Scale training rewards by the running standard deviation of the discounted return.
    pub normalize_reward: bool,
    /// Bound of normalised observations.
    pub clip_obs: f64,
    /// Bound of scaled rewards.
    pub clip_reward: f64,
    /// Discount of the return that scales rewards (SB3's `VecNormalize(gamma)`).
    pub norm_gamma: f64,
    /// Added to variances before the square root.
    pub norm_epsilon: f64,
}

impl RunSettings {
    /// Keys that may be absent (no such budget or threshold), so are not in a serialised
    /// default table.
    pub(super) const OPTIONAL: &[&str] =
        &["total_steps", "max_iter", "max_updates", "return_threshold"];

    /// A run of `total_steps` steps on one environment, evaluated every `eval_every`
    /// iterations over 10 episodes into `snapshots/latest`.
    pub fn steps(total_steps: usize, n_envs: usize, eval_every: usize) -> Self {
        Self {
            total_steps: Some(total_steps),
            max_iter: None,
            max_updates: None,
            n_envs,
            num_workers: 1,
            eval_every,
            eval_unit: EvalUnit::Iterations,
            eval_episodes: 10,
            return_threshold: None,
            snapshot_mode: SnapshotMode::Latest,
            x_axis: XAxis::Steps,
            normalize_obs: false,
            normalize_reward: false,
            clip_obs: NormalizeConfig::default().clip_obs,
            clip_reward: NormalizeConfig::default().clip_reward,
            norm_gamma: NormalizeConfig::default().gamma,
            norm_epsilon: NormalizeConfig::default().epsilon,
        }
    }

    /// The normalisation of the run's environments.
    pub fn normalization(&self) -> NormalizeConfig {
        NormalizeConfig {
            observations: self.normalize_obs,
            rewards: self.normalize_reward,
            clip_obs: self.clip_obs,
            clip_reward: self.clip_reward,
            gamma: self.norm_gamma,
            epsilon: self.norm_epsilon,
        }
    }

    /// The training loop's settings.
    pub fn train_config(&self) -> TrainConfig {
        TrainConfig {
            max_iter: self.max_iter,
            total_steps: self.total_steps,
            max_updates: self.max_updates,
            return_threshold: self.return_threshold,
            eval_every: self.eval_unit.every(self.eval_every),
            eval_episodes: self.eval_episodes,
            snapshot_mode: self.snapshot_mode,
            x_axis: self.x_axis,
            ..TrainConfig::default()
        }
    }

    pub(super) fn validate(&self) -> Result<(), SettingsError> {
        at_least_one(&[("n_envs", self.n_envs), ("num_workers", self.num_workers)])?;
        if self.num_workers > MAX_WORKERS {
            return Err(SettingsError::Invalid(format!(
                "invalid setting `num_workers` = {}: at most {MAX_WORKERS} threads",
                self.num_workers
            )));
        }
        self.normalization().validate().map_err(|e| match e {
            EnvError::IncompatibleEnv { reason, .. } => {
                SettingsError::Invalid(format!("invalid setting {reason}"))
            }
            other => SettingsError::Invalid(other.to_string()),
        })?;
        self.train_config()
            .validate()
            .map_err(|e| SettingsError::Invalid(e.to_string()))
    }
}
