//! `--icm`: the Intrinsic Curiosity Module around any online algorithm (Tianshou's
//! `ICMPolicy` names). Its settings are the `icm` table of a run (`--set icm.reward_scale=…`,
//! or an `icm` table in a preset, used when ICM is on).

use cinder_explore::IcmConfig;
use serde::{Deserialize, Serialize};

use super::{SettingsError, schedule};

/// ICM's settings; every key may be left out (its default then applies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IcmSettings {
    /// Scale of the ICM loss.
    pub lr_scale: f64,
    /// Scale of the curiosity reward.
    pub reward_scale: f64,
    /// Weight of the forward loss against the inverse loss, in [0, 1].
    pub forward_loss_weight: f64,
    /// Adam learning rate of ICM's optimiser.
    pub lr: f64,
    /// `constant`, `linear` or `exponential:<gamma>`.
    pub lr_schedule: String,
    /// Hidden layers of the feature network.
    pub hidden: Vec<usize>,
    /// Size of the features.
    pub feature_dim: usize,
    /// Hidden layers of the forward and inverse models.
    pub model_hidden: Vec<usize>,
}

impl Default for IcmSettings {
    fn default() -> Self {
        let c = IcmConfig::default();
        Self {
            lr_scale: c.lr_scale,
            reward_scale: c.reward_scale,
            forward_loss_weight: c.forward_loss_weight,
            lr: c.lr,
            lr_schedule: "constant".into(),
            hidden: c.hidden,
            feature_dim: c.feature_dim,
            model_hidden: c.model_hidden,
        }
    }
}

impl IcmSettings {
    /// The module's config, checked.
    pub fn config(&self) -> Result<IcmConfig, SettingsError> {
        let config = IcmConfig {
            lr_scale: self.lr_scale,
            reward_scale: self.reward_scale,
            forward_loss_weight: self.forward_loss_weight,
            lr: self.lr,
            lr_schedule: schedule("icm.lr_schedule", &self.lr_schedule)?,
            hidden: self.hidden.clone(),
            feature_dim: self.feature_dim,
            model_hidden: self.model_hidden.clone(),
        };
        config.validate()?;
        Ok(config)
    }
}
