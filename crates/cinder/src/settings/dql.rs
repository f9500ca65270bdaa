//! `cinder train dql`: DQL's settings (Pyrado's `DQL` names, Tianshou's `is_double`).

use cinder_offpolicy::{Dql, DqlConfig, QOptimizer};
use serde::{Deserialize, Serialize};

use super::{OffPolicySettings, RunSettings, SettingsError, grad_clip, one_of, online_settings};

/// Every setting of a DQL run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DqlSettings {
    /// Replay loop and networks.
    #[serde(flatten)]
    pub off_policy: OffPolicySettings,
    /// Initial ε of ε-greedy exploration.
    pub eps_init: f64,
    /// Per-iteration decay of ε.
    pub eps_schedule_gamma: f64,
    /// Floor of ε.
    pub eps_final: f64,
    /// Double-DQN targets.
    pub is_double: bool,
    /// The last |A| observation values are a mask of allowed actions.
    pub action_mask: bool,
    /// `adam` (SB3's DQN) or `rmsprop` (Pyrado's `DQL`).
    pub optimizer: String,
}

impl DqlSettings {
    fn config(&self) -> Result<DqlConfig, SettingsError> {
        let s = &self.off_policy;
        Ok(DqlConfig {
            net: s.net()?,
            eps_init: self.eps_init,
            eps_schedule_gamma: self.eps_schedule_gamma,
            eps_final: self.eps_final,
            target_update_intvl: s.target_update_intvl,
            max_grad_norm: grad_clip(s.max_grad_norm)?,
            lr: s.lr,
            lr_schedule: s.lr_schedule()?,
            is_double: self.is_double,
            action_mask: self.action_mask,
            optimizer: one_of(
                "optimizer",
                &self.optimizer,
                &[("adam", QOptimizer::Adam), ("rmsprop", QOptimizer::RmsProp)],
            )?,
        })
    }

    /// Pyrado's `DQL` defaults (64-64 Q-network, lr 5e-4, target copy every 5 updates,
    /// gradient clip 0.5), evaluated every 100 iterations.
    pub fn reference() -> Self {
        let dql = DqlConfig::default();
        let base = OffPolicySettings::defaults();
        Self {
            off_policy: OffPolicySettings {
                run: RunSettings {
                    eval_every: 100,
                    ..base.run
                },
                lr: dql.lr,
                max_grad_norm: dql.max_grad_norm.unwrap_or(0.0),
                hidden: dql.net.hidden,
                target_update_intvl: dql.target_update_intvl,
                ..base
            },
            eps_init: dql.eps_init,
            eps_schedule_gamma: dql.eps_schedule_gamma,
            eps_final: dql.eps_final,
            is_double: dql.is_double,
            action_mask: dql.action_mask,
            optimizer: "adam".into(),
        }
    }
}

online_settings!(DqlSettings, off_policy, Dql::new);
