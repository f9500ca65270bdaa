//! `cinder train sac`: SAC's settings (Pyrado's `SAC` names, but `entropy_coeff` spelled as
//! everywhere else in Cinder: Pyrado's `ent_coeff_init` / `learn_ent_coeff` are
//! `entropy_coeff_init` / `learn_entropy_coeff`).

use cinder_offpolicy::{Sac, SacConfig};
use serde::{Deserialize, Serialize};

use super::{CriticSettings, OffPolicySettings, SettingsError, online_settings};

/// Every setting of a SAC run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SacSettings {
    /// Replay loop and networks.
    #[serde(flatten)]
    pub off_policy: OffPolicySettings,
    /// The critics' layers, learning rate and gradient clip (each the policy's unless set).
    #[serde(flatten)]
    pub critic: CriticSettings,
    /// Weight of the trained critics in target updates (Pyrado's 0.995 is 1 − tau).
    pub tau: f64,
    /// Initial entropy coefficient α.
    pub entropy_coeff_init: f64,
    /// Learn α towards the target entropy −|A|.
    pub learn_entropy_coeff: bool,
    /// Standardise minibatch rewards.
    pub standardize_rew: bool,
    /// Reward factor.
    pub rew_scale: f64,
}

impl SacSettings {
    fn config(&self) -> Result<SacConfig, SettingsError> {
        let s = &self.off_policy;
        Ok(SacConfig {
            sides: s.sides(&self.critic)?,
            tau: self.tau,
            entropy_coeff_init: self.entropy_coeff_init,
            learn_entropy_coeff: self.learn_entropy_coeff,
            target_update_intvl: s.target_update_intvl,
            standardize_rew: self.standardize_rew,
            rew_scale: self.rew_scale,
        })
    }

    /// Pyrado's `SAC` defaults (τ = 0.005 in Cinder's convention, α₀ = 0.2 learned,
    /// standardised rewards, gradient clip 5).
    pub fn reference() -> Self {
        let sac = SacConfig::default();
        Self {
            off_policy: OffPolicySettings {
                lr: sac.sides.policy.lr,
                max_grad_norm: sac.sides.policy.max_grad_norm.unwrap_or(0.0),
                ..OffPolicySettings::defaults()
            },
            critic: CriticSettings::as_policy(),
            tau: sac.tau,
            entropy_coeff_init: sac.entropy_coeff_init,
            learn_entropy_coeff: sac.learn_entropy_coeff,
            standardize_rew: sac.standardize_rew,
            rew_scale: sac.rew_scale,
        }
    }
}

online_settings!(SacSettings, off_policy, Sac::new);
