//! `cinder train ddpg`: DDPG's settings (Tianshou's `DDPGPolicy` names).

use cinder_offpolicy::{Ddpg, DdpgConfig, ExplorationNoise};
use serde::{Deserialize, Serialize};

use super::{CriticSettings, OffPolicySettings, SettingsError, one_of, online_settings};

/// Every setting of a DDPG run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DdpgSettings {
    /// Replay loop and networks.
    #[serde(flatten)]
    pub off_policy: OffPolicySettings,
    /// Weight of the trained networks in target updates.
    pub tau: f64,
    /// `gaussian:<sigma>` or `ou:<theta>,<sigma>,<dt>`.
    pub exploration_noise: String,
    /// Map `[-1, 1]` onto the action box.
    pub action_scaling: bool,
    /// `clip` or `none`.
    pub action_bound_method: String,
    /// The critic's layers, learning rate (Tianshou's `critic_optim`) and gradient clip
    /// (each the policy's unless set).
    #[serde(flatten)]
    pub critic: CriticSettings,
}

impl DdpgSettings {
    /// The learner's parameters.
    pub(super) fn config(&self) -> Result<DdpgConfig, SettingsError> {
        let s = &self.off_policy;
        let exploration_noise =
            ExplorationNoise::parse(&self.exploration_noise).ok_or_else(|| {
                SettingsError::Invalid(format!(
                    "invalid setting `exploration_noise` = \"{}\": expected gaussian:<sigma> or \
                     ou:<theta>,<sigma>,<dt> with non-negative numbers",
                    self.exploration_noise
                ))
            })?;
        let action_bound_clip = one_of(
            "action_bound_method",
            &self.action_bound_method,
            &[("clip", true), ("none", false)],
        )?;
        Ok(DdpgConfig {
            sides: s.sides(&self.critic)?,
            tau: self.tau,
            exploration_noise,
            action_scaling: self.action_scaling,
            action_bound_clip,
            target_update_intvl: s.target_update_intvl,
        })
    }

    /// Tianshou's defaults: lr 1e-3, τ = 0.005, Gaussian noise σ = 0.1, scaled and clipped
    /// actions.
    pub fn reference() -> Self {
        let ddpg = DdpgConfig::default();
        Self {
            off_policy: OffPolicySettings {
                lr: ddpg.sides.policy.lr,
                ..OffPolicySettings::defaults()
            },
            tau: ddpg.tau,
            exploration_noise: ddpg.exploration_noise.to_string(),
            action_scaling: ddpg.action_scaling,
            action_bound_method: "clip".into(),
            critic: CriticSettings::as_policy(),
        }
    }
}

online_settings!(DdpgSettings, off_policy, Ddpg::new);
