//! PPO2: [`Ppo`](crate::Ppo) plus a clipped value-function loss and standardised advantages,
//! policy and value network trained together on one loss (OpenAI Baselines' `ppo2`, Pyrado's
//! `PPO2`). The delta on PPO, per minibatch:
//!
//! ```text
//! A_t      standardised over the rollout
//! V_clip   = V_old(s_t) + clip(V_θ(s_t) − V_old(s_t), −ε, ε)
//! L_V      = mean( max((V_θ(s_t) − G_t)², (V_clip − G_t)²) )
//! L        = L_clip − entropy_coeff · mean(H) + vfcn_coeff · L_V
//! ```
//!
//! where `L_clip` is PPO's clipped surrogate and `V_old` the values before the update.

use burn::tensor::Device;
use cinder_core::Space;
use cinder_core::train::{Metric, Snapshot};
use cinder_data::Rollout;

use crate::actor_critic::ActorCritic;
use crate::error::{PgError, check_range};
use crate::gae::{Gae, adam, standardize};
use crate::on_policy::{OnPolicyLearner, RolloutTensors};
use crate::policy::Policy;
use crate::ppo::{PpoConfig, clipped_surrogate, ppo_metrics, ppo_statistics};

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
    pub fn validate(&self) -> Result<(), PgError> {
        check_range(
            "vfcn_coeff",
            self.vfcn_coeff,
            self.vfcn_coeff >= 0.0,
            "non-negative",
        )?;
        self.ppo.validate()
    }
}

/// The PPO2 learner.
pub struct Ppo2 {
    model: ActorCritic,
    config: Ppo2Config,
}

impl Ppo2 {
    /// A fresh policy for the spaces, trained with `critic` on `device`; `seed` fixes the
    /// minibatch order.
    pub fn new(
        config: Ppo2Config,
        critic: Gae,
        observation_space: &Space,
        action_space: &Space,
        device: &Device,
        seed: u64,
    ) -> Result<Self, PgError> {
        config.validate()?;
        let model = ActorCritic::new(
            &config.ppo.policy,
            critic,
            observation_space,
            action_space,
            device,
            seed,
            adam,
        )?;
        Ok(Self { model, config })
    }

    /// The critic.
    pub fn critic(&self) -> &Gae {
        &self.model.critic
    }
}

impl OnPolicyLearner for Ppo2 {
    fn policy(&self) -> &Policy {
        &self.model.policy
    }

    fn update(&mut self, rollout: &Rollout, progress: f64) -> Result<Vec<Metric>, PgError> {
        let mut estimates = self.model.critic.gae(rollout)?;
        if !self.model.critic.config().standardize_adv {
            standardize(&mut estimates.advantages);
        }
        let n = rollout.len();
        let RolloutTensors {
            observations: obs,
            actions,
            old_log_probs,
            advantages,
            returns,
            old_values,
        } = RolloutTensors::new(rollout, &estimates, &self.model.device);
        let (lr, eps) = self.config.ppo.scheduled(progress, self.model.updates);
        let (vfcn_coeff, entropy_coeff) = (self.config.vfcn_coeff, self.config.ppo.entropy_coeff);
        let (passes, max_grad_norm) = (self.config.ppo.passes(), self.config.ppo.max_grad_norm);
        let stats = self
            .model
            .fit(n, passes, lr, max_grad_norm, |joint, rows, last_epoch| {
                let s = obs.clone().select(0, rows.clone());
                let dist = joint.policy.distribution(s.clone());
                let (policy_loss, ratio) = clipped_surrogate(
                    dist.log_prob(&actions.select(rows.clone())),
                    old_log_probs.clone().select(0, rows.clone()),
                    advantages.clone().select(0, rows.clone()),
                    eps,
                );
                let values = joint.vfcn.forward(s).flatten(0, 1);
                let old = old_values.clone().select(0, rows.clone());
                let target = returns.clone().select(0, rows);
                let clipped = old.clone() + (values.clone() - old).clamp(-eps, eps);
                let value_loss = (values - target.clone())
                    .powi_scalar(2)
                    .max_pair((clipped - target).powi_scalar(2))
                    .mean();
                let entropy = dist.entropy().mean();
                let loss = policy_loss.clone() - entropy.clone().mul_scalar(entropy_coeff)
                    + value_loss.clone().mul_scalar(vfcn_coeff);
                let stats = last_epoch
                    .then(|| ppo_statistics(policy_loss, value_loss, entropy, ratio, eps));
                (loss, stats)
            })?;
        ppo_metrics(stats, lr, eps)
    }

    fn save(&self, snapshot: &mut Snapshot) -> Result<(), PgError> {
        self.model.save(snapshot)
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), PgError> {
        self.model.load(snapshot)
    }
}
