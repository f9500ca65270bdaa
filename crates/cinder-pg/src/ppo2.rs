//! PPO2 (OpenAI Baselines' `ppo2`, Pyrado's `PPO2`): [`Ppo`] with three changes, all in
//! PPO's update ([`crate::ppo`]):
//!
//! ```text
//! A_t      standardised over the rollout
//! L_V      = mean( max((V_θ(s_t) − G_t)², (V_clip − G_t)²) ),  V_clip = V_old + clip(V_θ − V_old, −ε, ε)
//! L        = L_clip − entropy_coeff · mean(H) + vfcn_coeff · L_V,  one optimiser for policy and V
//! ```

use cinder_agent::error::check_non_negative;
use cinder_agent::{AgentError, OnPolicyLearner, Policy, PolicyGradient, Setup, Update};
use cinder_core::Snapshot;
use cinder_data::Rollout;

use crate::gae::Gae;
use crate::ppo::{Ppo, PpoConfig, ValueStep};

/// PPO2's hyper-parameters: PPO's plus the value-loss weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Ppo2Config {
    /// Everything PPO has (its `lr` and `max_grad_norm` apply to the joint update).
    pub ppo: PpoConfig,
    /// Weight of the clipped value-function loss.
    pub vfcn_coeff: f64,
}

impl Default for Ppo2Config {
    fn default() -> Self {
        Self {
            ppo: PpoConfig::default(),
            vfcn_coeff: 0.5,
        }
    }
}

impl Ppo2Config {
    /// Checks every hyper-parameter's range.
    pub fn validate(&self) -> Result<(), AgentError> {
        check_non_negative("vfcn_coeff", self.vfcn_coeff)?;
        self.ppo.validate()
    }
}

/// The PPO2 learner: PPO with the joint, clipped value fit.
pub struct Ppo2(Ppo);

impl Ppo2 {
    /// A fresh policy and critic for `setup`'s spaces; the setup's seed fixes the minibatch
    /// order.
    pub fn new(config: Ppo2Config, setup: &Setup) -> Result<Self, AgentError> {
        config.validate()?;
        let fit = ValueStep::Joint {
            vfcn_coeff: config.vfcn_coeff,
        };
        let ppo = Ppo::with_value_step(config.ppo, fit, setup)?;
        Ok(Self(ppo))
    }

    /// The critic.
    pub fn critic(&self) -> &Gae {
        self.0.critic()
    }
}

impl OnPolicyLearner for Ppo2 {
    fn policy(&self) -> &Policy {
        self.0.policy()
    }

    fn update_with(
        &mut self,
        rollout: &Rollout,
        progress: f64,
        gradient: &mut dyn PolicyGradient,
    ) -> Result<Update, AgentError> {
        self.0.update_with(rollout, progress, gradient)
    }

    fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        self.0.save(snapshot)
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        self.0.load(snapshot)
    }
}
