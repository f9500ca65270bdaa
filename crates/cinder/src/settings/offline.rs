//! The settings BC and BCQ share: the dataset, how it is sampled, and the networks' shape and
//! optimisation. Offline runs budget in gradient updates (`max_updates`) and draw their
//! curves over updates.

use std::path::Path;

use cinder_agent::AgentError;
use cinder_offline::{Offline, OfflineConfig, ReplayLearner, minari};
use serde::{Deserialize, Serialize};

use super::{Build, BuildResult, NewLearner, RunSettings, SettingsError, grad_clip, net, schedule};
use cinder_nn::{NetConfig, Schedule};
use cinder_train::XAxis;

/// Settings of every offline run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfflineSettings {
    /// Budget (`max_updates`), evaluation, environments (for evaluation only).
    #[serde(flatten)]
    pub run: RunSettings,
    /// The Minari dataset directory (`cinder train --dataset PATH` stores it absolute).
    pub dataset: String,
    /// Transitions per minibatch.
    pub batch_size: usize,
    /// Gradient updates per iteration (one iteration between two evaluations when
    /// `eval_every = 1`).
    pub num_updates_per_iter: usize,
    /// Learning rate.
    pub lr: f64,
    /// `constant`, `linear` or `exponential:<gamma>`, stepped per update (Tianshou's
    /// `lr_scheduler`).
    pub lr_schedule: String,
    /// Global gradient-norm clip; 0 disables it.
    pub max_grad_norm: f64,
    /// Hidden layer sizes.
    pub hidden: Vec<usize>,
    /// `relu` or `tanh`.
    pub activation: String,
}

impl OfflineSettings {
    /// Tianshou's offline defaults: 10,000 updates in minibatches of 64, an evaluation every
    /// 1000 updates, 64-64 ReLU networks, Adam at 1e-3; curves over updates.
    pub fn defaults() -> Self {
        Self {
            run: RunSettings {
                total_steps: None,
                max_updates: Some(10_000),
                eval_every: 1,
                x_axis: XAxis::Updates,
                ..RunSettings::steps(0, 1, 1)
            },
            dataset: String::new(),
            batch_size: 64,
            num_updates_per_iter: 1000,
            lr: 1e-3,
            lr_schedule: "constant".into(),
            max_grad_norm: 0.0,
            hidden: vec![64, 64],
            activation: "relu".into(),
        }
    }

    /// The networks' shape.
    pub fn net(&self) -> Result<NetConfig, SettingsError> {
        net(&self.hidden, &self.activation)
    }

    /// The learning-rate schedule.
    pub fn lr_schedule(&self) -> Result<Schedule, SettingsError> {
        schedule("lr_schedule", &self.lr_schedule)
    }

    /// The optional gradient clip.
    pub fn max_grad_norm(&self) -> Result<Option<f64>, SettingsError> {
        grad_clip(self.max_grad_norm)
    }

    /// Checks what can be checked without reading the dataset.
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.net()?;
        self.max_grad_norm()?;
        self.lr_schedule()?;
        if self.dataset.is_empty() {
            return Err(SettingsError::Invalid(
                "offline algorithms learn from a dataset: pass --dataset PATH (a Minari dataset \
                 directory, e.g. one written by `cinder collect`)"
                    .into(),
            ));
        }
        Ok(self.sampling(0.99, 1, false).validate()?)
    }

    /// How minibatches are drawn, with the learner's target parameters.
    pub fn sampling(
        &self,
        gamma: f64,
        estimation_step: usize,
        reward_normalization: bool,
    ) -> OfflineConfig {
        OfflineConfig {
            batch_size: self.batch_size,
            num_updates_per_iter: self.num_updates_per_iter,
            gamma,
            estimation_step,
            reward_normalization,
        }
    }

    /// Reads the dataset, checks it against the environments' spaces and builds the learner
    /// `new(config, …)` (`Bc::new`, `Bcq::new`) in the offline iteration.
    pub fn build<C, L>(
        &self,
        b: Build<'_>,
        config: C,
        sampling: OfflineConfig,
        new: NewLearner<C, L>,
    ) -> BuildResult
    where
        L: ReplayLearner + 'static,
    {
        let dataset = minari::load(Path::new(&self.dataset)).map_err(AgentError::from)?;
        dataset
            .check_spaces(b.envs.observation_space(), b.envs.action_space())
            .map_err(|e| AgentError::from(e.in_file(&self.dataset)))?;
        let setup = b.setup();
        let learner = new(config, &setup)?;
        Ok(Box::new(Offline::new(learner, &dataset, sampling, &setup)?))
    }
}
