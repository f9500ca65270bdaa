//! `cinder train a2c`: A2C's settings (Pyrado's `A2C` names; SB3's defaults).

use cinder_pg::{A2c, A2cConfig};
use serde::{Deserialize, Serialize};

use super::{OnPolicySettings, RunSettings, SettingsError, online_settings, schedule};

/// Every setting of an A2C run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct A2cSettings {
    /// Rollouts, critic, policy network.
    #[serde(flatten)]
    pub on_policy: OnPolicySettings,
    /// Weight of the value-function loss.
    pub vfcn_coeff: f64,
}

impl A2cSettings {
    pub(crate) fn config(&self) -> Result<A2cConfig, SettingsError> {
        let s = &self.on_policy;
        Ok(A2cConfig {
            vfcn_coeff: self.vfcn_coeff,
            entropy_coeff: s.entropy_coeff,
            batch_size: s.batch_size,
            lr: s.lr,
            lr_schedule: schedule("lr_schedule", &s.lr_schedule)?,
            max_grad_norm: s.grad_clip(),
            policy: s.policy()?,
            critic: s.critic()?,
        })
    }

    /// SB3's A2C: 5-step rollouts, no GAE (λ = 1), raw advantages, RMSprop at 7e-4.
    pub fn reference() -> Self {
        let ppo = OnPolicySettings::defaults();
        Self {
            on_policy: OnPolicySettings {
                run: RunSettings {
                    eval_every: 100,
                    ..ppo.run
                },
                n_steps: 5,
                lambda: 1.0,
                standardize_adv: false,
                lr: 7e-4,
                ..ppo
            },
            vfcn_coeff: 0.5,
        }
    }
}

online_settings!(A2cSettings, on_policy, A2c::new);
