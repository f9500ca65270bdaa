//! `cinder train ppo2`: PPO's settings plus the value-loss weight (Pyrado's `PPO2`).

use cinder_pg::{Ppo2, Ppo2Config};
use serde::{Deserialize, Serialize};

use super::{PpoSettings, SettingsError, online_settings};

/// Every setting of a PPO2 run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ppo2Settings {
    /// PPO's settings.
    #[serde(flatten)]
    pub ppo: PpoSettings,
    /// Weight of the clipped value-function loss.
    pub vfcn_coeff: f64,
}

impl Ppo2Settings {
    fn config(&self) -> Result<Ppo2Config, SettingsError> {
        Ok(Ppo2Config {
            ppo: self.ppo.config()?,
            vfcn_coeff: self.vfcn_coeff,
        })
    }

    /// The reference library's defaults.
    pub fn reference() -> Self {
        Self {
            ppo: PpoSettings::reference(),
            vfcn_coeff: 0.5,
        }
    }
}

online_settings!(Ppo2Settings, ppo.on_policy, Ppo2::new);
