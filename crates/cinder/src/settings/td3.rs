//! `cinder train td3`: TD3's settings (Tianshou's `TD3Policy` names): DDPG's and three more.

use cinder_offpolicy::{Td3, Td3Config};
use serde::{Deserialize, Serialize};

use super::{DdpgSettings, SettingsError, online_settings};

/// Every setting of a TD3 run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Td3Settings {
    /// DDPG's settings (replay loop, networks, τ, exploration, action mapping);
    /// `target_update_intvl` must stay 1.
    #[serde(flatten)]
    pub ddpg: DdpgSettings,
    /// σ̃ of the target policy smoothing noise (SB3's `target_policy_noise`).
    pub policy_noise: f64,
    /// Bound of the smoothing noise, 0 for none (SB3's `target_noise_clip`).
    pub noise_clip: f64,
    /// Critic updates per policy and target update (SB3's `policy_delay`).
    pub update_actor_freq: usize,
}

impl Td3Settings {
    fn config(&self) -> Result<Td3Config, SettingsError> {
        Ok(Td3Config {
            ddpg: self.ddpg.config()?,
            policy_noise: self.policy_noise,
            noise_clip: self.noise_clip,
            update_actor_freq: self.update_actor_freq,
        })
    }

    /// Tianshou's (and SB3's) defaults: DDPG's, σ̃ = 0.2 clipped at 0.5, a policy update every
    /// second critic update.
    pub fn reference() -> Self {
        let td3 = Td3Config::default();
        Self {
            ddpg: DdpgSettings::reference(),
            policy_noise: td3.policy_noise,
            noise_clip: td3.noise_clip,
            update_actor_freq: td3.update_actor_freq,
        }
    }
}

online_settings!(Td3Settings, ddpg.off_policy, Td3::new);
