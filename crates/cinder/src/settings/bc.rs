//! `cinder train bc`: behaviour cloning's settings (Tianshou's `ImitationPolicy`).

use cinder_offline::{Bc, BcConfig};
use serde::{Deserialize, Serialize};

use super::{
    AlgorithmSettings, AnyAlgorithm, Build, OfflineSettings, SettingsError, replay_trained,
    settings_common,
};
use crate::policy::Trained;
use cinder_agent::Setup;
use cinder_core::Snapshot;

/// Every setting of a BC run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BcSettings {
    /// Dataset, sampling and network.
    #[serde(flatten)]
    pub offline: OfflineSettings,
}

impl BcSettings {
    fn config(&self) -> Result<BcConfig, SettingsError> {
        let s = &self.offline;
        Ok(BcConfig {
            net: s.net()?,
            lr: s.lr,
            lr_schedule: s.lr_schedule()?,
            max_grad_norm: s.max_grad_norm()?,
        })
    }

    fn build_algorithm(&self, b: Build<'_>) -> Result<AnyAlgorithm, SettingsError> {
        let sampling = self.offline.sampling(0.99, 1, false);
        self.offline.build(b, self.config()?, sampling, Bc::new)
    }

    fn trained_policy(&self, setup: &Setup, files: &Snapshot) -> Result<Trained, SettingsError> {
        replay_trained(setup, files, self.config()?, Bc::new)
    }
}

impl AlgorithmSettings for BcSettings {
    /// Tianshou's imitation defaults (see [`OfflineSettings::defaults`]).
    fn defaults() -> Self {
        Self {
            offline: OfflineSettings::defaults(),
        }
    }

    fn validate(&self) -> Result<(), SettingsError> {
        self.offline.validate()?;
        Ok(self.config()?.validate()?)
    }
}

settings_common!(BcSettings, offline.run);
