//! `cinder train ppo2`: PPO's settings plus the value-loss weight (Pyrado's `PPO2`).

use cinder_pg::{Ppo2, Ppo2Config};
use serde::{Deserialize, Serialize};

use super::{AlgorithmSettings, AnyAlgorithm, Build, PpoSettings, SettingsError, settings_common};

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
            ppo: self.ppo.ppo()?,
            vfcn_coeff: self.vfcn_coeff,
        })
    }

    fn build_algorithm(&self, b: Build<'_>) -> Result<AnyAlgorithm, SettingsError> {
        self.ppo.on_policy.build(b, self.config()?, Ppo2::new)
    }
}

impl AlgorithmSettings for Ppo2Settings {
    fn defaults() -> Self {
        Self {
            ppo: PpoSettings::defaults(),
            vfcn_coeff: 0.5,
        }
    }

    fn optional_tables() -> &'static [&'static str] {
        &["icm"]
    }

    fn validate(&self) -> Result<(), SettingsError> {
        self.ppo.on_policy.validate()?;
        Ok(self.config()?.validate()?)
    }
}

settings_common!(Ppo2Settings, ppo.on_policy.run);
