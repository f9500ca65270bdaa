//! `cinder train ppo`: PPO's settings (Pyrado's `PPO` names; SB3's defaults).

use cinder_pg::{Ppo, PpoConfig};
use serde::{Deserialize, Serialize};

use super::{OnPolicySettings, SettingsError, online_settings, schedule};

/// Every setting of a PPO run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PpoSettings {
    /// Rollouts, critic, policy network.
    #[serde(flatten)]
    pub on_policy: OnPolicySettings,
    /// Passes over each rollout.
    pub num_epoch: usize,
    /// Clip range ε of the probability ratio.
    pub eps_clip: f64,
    /// Schedule of ε: `constant`, `linear` or `exponential:<gamma>`.
    pub clip_schedule: String,
}

impl PpoSettings {
    /// The learner's config.
    pub fn config(&self) -> Result<PpoConfig, SettingsError> {
        let s = &self.on_policy;
        Ok(PpoConfig {
            num_epoch: self.num_epoch,
            eps_clip: self.eps_clip,
            clip_schedule: schedule("clip_schedule", &self.clip_schedule)?,
            batch_size: s.batch_size,
            lr: s.lr,
            lr_schedule: schedule("lr_schedule", &s.lr_schedule)?,
            max_grad_norm: s.grad_clip(),
            entropy_coeff: s.entropy_coeff,
            policy: s.policy()?,
            critic: s.critic()?,
        })
    }

    /// The reference library's defaults.
    pub fn reference() -> Self {
        Self {
            on_policy: OnPolicySettings::defaults(),
            num_epoch: 10,
            eps_clip: 0.2,
            clip_schedule: "constant".into(),
        }
    }
}

online_settings!(PpoSettings, on_policy, Ppo::new);
