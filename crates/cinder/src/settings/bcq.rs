//! `cinder train bcq`: discrete BCQ's settings (Tianshou's `DiscreteBCQPolicy` names).

use cinder_offline::{Bcq, BcqConfig};
use serde::{Deserialize, Serialize};

use super::{
    AlgorithmSettings, AnyAlgorithm, Build, OfflineSettings, SettingsError, replay_trained,
    settings_common,
};
use crate::policy::Trained;
use cinder_agent::Setup;
use cinder_core::Snapshot;

/// Every setting of a discrete BCQ run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BcqSettings {
    /// Dataset, sampling and networks.
    #[serde(flatten)]
    pub offline: OfflineSettings,
    /// Discount factor γ.
    pub gamma: f64,
    /// Transitions in the n-step targets.
    pub estimation_step: usize,
    /// Updates between two target-network copies (0: no target network).
    pub target_update_freq: usize,
    /// Probability of a random action when acting.
    pub eval_eps: f64,
    /// τ: actions less likely than τ times the imitator's most likely one are never chosen.
    pub unlikely_action_threshold: f64,
    /// Weight of the mean squared imitation logits.
    pub imitation_logits_penalty: f64,
    /// Standardise rewards over the dataset.
    pub reward_normalization: bool,
    /// Double-Q targets.
    pub is_double: bool,
    /// Huber TD loss instead of the squared error.
    pub clip_loss_grad: bool,
    /// The last |A| observation values are a mask of allowed actions.
    pub action_mask: bool,
}

impl BcqSettings {
    fn config(&self) -> Result<BcqConfig, SettingsError> {
        let s = &self.offline;
        Ok(BcqConfig {
            net: s.net()?,
            lr: s.lr,
            lr_schedule: s.lr_schedule()?,
            target_update_freq: self.target_update_freq,
            eval_eps: self.eval_eps,
            unlikely_action_threshold: self.unlikely_action_threshold,
            imitation_logits_penalty: self.imitation_logits_penalty,
            is_double: self.is_double,
            clip_loss_grad: self.clip_loss_grad,
            max_grad_norm: s.max_grad_norm()?,
            action_mask: self.action_mask,
        })
    }

    fn build_algorithm(&self, b: Build<'_>) -> Result<AnyAlgorithm, SettingsError> {
        let sampling =
            self.offline
                .sampling(self.gamma, self.estimation_step, self.reward_normalization);
        self.offline.build(b, self.config()?, sampling, Bcq::new)
    }

    /// The trained BCQ, greedy: `eval_eps` is how Tianshou evaluates, not part of the policy.
    fn trained_policy(&self, setup: &Setup, files: &Snapshot) -> Result<Trained, SettingsError> {
        let config = BcqConfig {
            eval_eps: 0.0,
            ..self.config()?
        };
        replay_trained(setup, files, config, Bcq::new)
    }
}

impl AlgorithmSettings for BcqSettings {
    /// Tianshou's `DiscreteBCQPolicy` defaults (see [`BcqConfig::default`]).
    fn defaults() -> Self {
        let bcq = BcqConfig::default();
        Self {
            offline: OfflineSettings {
                lr: bcq.lr,
                hidden: bcq.net.hidden,
                ..OfflineSettings::defaults()
            },
            gamma: 0.99,
            estimation_step: 1,
            target_update_freq: bcq.target_update_freq,
            eval_eps: bcq.eval_eps,
            unlikely_action_threshold: bcq.unlikely_action_threshold,
            imitation_logits_penalty: bcq.imitation_logits_penalty,
            reward_normalization: false,
            is_double: bcq.is_double,
            clip_loss_grad: bcq.clip_loss_grad,
            action_mask: bcq.action_mask,
        }
    }

    fn validate(&self) -> Result<(), SettingsError> {
        self.offline.validate()?;
        self.offline
            .sampling(self.gamma, self.estimation_step, self.reward_normalization)
            .validate()?;
        Ok(self.config()?.validate()?)
    }
}

settings_common!(BcqSettings, offline.run);
