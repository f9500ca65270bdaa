//! The critic's own learning rate, layers and gradient clip (Tianshou's separate `critic` and
//! `critic_optim`, Pyrado's `GAE` / `qfcn` modules), shared by the on-policy learners and the
//! actor-critics. Each follows the policy's setting unless it is set.

use cinder_nn::NetConfig;
use serde::{Deserialize, Serialize};

use super::{SettingsError, grad_clip};

/// The critic's settings; their defaults mean "as the policy's".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriticSettings {
    /// Learning rate of the critic's optimiser; 0: the policy's `lr`.
    pub critic_lr: f64,
    /// Hidden layers of the critic (of each critic of a pair); empty: the policy's `hidden`.
    /// The activation is the policy's.
    pub critic_hidden: Vec<usize>,
    /// Global gradient-norm clip of the critic's optimiser step; negative: the policy's
    /// `max_grad_norm`; 0: no clip.
    pub critic_max_grad_norm: f64,
}

impl CriticSettings {
    /// Every value as the policy's.
    pub fn as_policy() -> Self {
        Self {
            critic_lr: 0.0,
            critic_hidden: Vec::new(),
            critic_max_grad_norm: -1.0,
        }
    }

    /// The critic's learning rate, given the policy's `lr`.
    pub fn lr(&self, lr: f64) -> Result<f64, SettingsError> {
        if !(self.critic_lr.is_finite() && self.critic_lr >= 0.0) {
            return Err(SettingsError::Invalid(format!(
                "invalid setting `critic_lr` = {}: must be > 0, or 0 for the policy's lr",
                self.critic_lr
            )));
        }
        Ok(if self.critic_lr > 0.0 {
            self.critic_lr
        } else {
            lr
        })
    }

    /// The critic's layers, given the policy's.
    pub fn net(&self, policy: &NetConfig) -> Result<NetConfig, SettingsError> {
        if self.critic_hidden.contains(&0) {
            return Err(SettingsError::Invalid(format!(
                "invalid setting `critic_hidden` = {:?}: every layer needs at least 1 unit",
                self.critic_hidden
            )));
        }
        Ok(match self.critic_hidden.is_empty() {
            true => policy.clone(),
            false => NetConfig::new(&self.critic_hidden, policy.activation),
        })
    }

    /// The critic's gradient clip, given the policy's.
    pub fn max_grad_norm(&self, policy: Option<f64>) -> Result<Option<f64>, SettingsError> {
        let clip = self.critic_max_grad_norm;
        if clip.is_nan() || clip == f64::INFINITY {
            return Err(SettingsError::Invalid(format!(
                "invalid setting `critic_max_grad_norm` = {clip}: must be a finite number \
                 (negative: the policy's max_grad_norm; 0: no clip)"
            )));
        }
        if clip < 0.0 {
            return Ok(policy);
        }
        grad_clip(clip)
    }
}
