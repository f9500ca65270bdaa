//! Proximal Policy Optimization with the clipped surrogate objective (Schulman et al. 2017,
//! "Proximal Policy Optimization Algorithms", eq. 7), the policy and its critic updated
//! separately as in Pyrado's `PPO`.
//!
//! Per update, for `num_epoch` passes over shuffled minibatches of the rollout:
//!
//! ```text
//! r_t(θ)   = exp(log π_θ(a_t|s_t) − log π_old(a_t|s_t))
//! L_clip   = −mean( min(r_t A_t, clip(r_t, 1 − ε, 1 + ε) A_t) )
//! L        = L_clip − entropy_coeff · mean(H[π_θ(·|s_t)])
//! ```
//!
//! with `A_t` from the [`Gae`] critic, which is then fitted to the TD(λ) returns.

use burn::optim::{AdamConfig, ModuleOptimizer};
use burn::tensor::{Device, Tensor};
use cinder_core::Space;
use cinder_core::seeding::{EnvRng, rng_from_seed};
use cinder_data::Rollout;

use crate::error::{PgError, check_optimisation, check_range};
use crate::gae::Gae;
use crate::optimize::{accumulate, descend, minibatches};
use crate::policy::{ActionTensor, Policy, PolicyConfig};
use crate::tensors::{indices, matrix, read_floats, vector};

/// PPO's hyper-parameters (Pyrado's names; SB3's defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct PpoConfig {
    /// Passes over each rollout.
    pub num_epoch: usize,
    /// Clip range ε of the probability ratio, > 0.
    pub eps_clip: f64,
    /// Transitions per minibatch.
    pub batch_size: usize,
    /// Adam learning rate of the policy.
    pub lr: f64,
    /// Global gradient-norm clip of the policy, if any.
    pub max_grad_norm: Option<f64>,
    /// Weight of the entropy bonus.
    pub entropy_coeff: f64,
    /// Shape of the policy network and initial exploration noise.
    pub policy: PolicyConfig,
}

impl Default for PpoConfig {
    fn default() -> Self {
        Self {
            num_epoch: 10,
            eps_clip: 0.2,
            batch_size: 64,
            lr: 3e-4,
            max_grad_norm: Some(0.5),
            entropy_coeff: 0.0,
            policy: PolicyConfig::default(),
        }
    }
}

impl PpoConfig {
    /// Checks every hyper-parameter's range.
    pub fn validate(&self) -> Result<(), PgError> {
        check_range("eps_clip", self.eps_clip, self.eps_clip > 0.0, "positive")?;
        check_range("entropy_coeff", self.entropy_coeff, true, "finite")?;
        check_optimisation(self.lr, self.num_epoch, self.batch_size, self.max_grad_norm)
    }
}

/// What one PPO update did, averaged over its last epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PpoStats {
    /// Clipped surrogate loss.
    pub policy_loss: f32,
    /// Mean policy entropy.
    pub entropy: f32,
    /// Fraction of transitions whose ratio was clipped.
    pub clip_fraction: f32,
    /// Value-function loss of the critic's last epoch.
    pub value_loss: f32,
}

/// The PPO learner: policy, its optimiser and the critic.
pub struct Ppo {
    policy: Policy,
    optim: ModuleOptimizer,
    critic: Gae,
    config: PpoConfig,
    device: Device,
    rng: EnvRng,
}

impl Ppo {
    /// A fresh policy for the given spaces, learning on `device`; `seed` fixes the minibatch
    /// order.
    pub fn new(
        config: PpoConfig,
        critic: Gae,
        observation_space: &Space,
        action_space: &Space,
        device: &Device,
        seed: u64,
    ) -> Result<Self, PgError> {
        config.validate()?;
        let device = device.clone().autodiff();
        let policy = Policy::new(&config.policy, observation_space, action_space, &device)?;
        Ok(Self {
            policy,
            optim: AdamConfig::new().with_epsilon(1e-8).init(),
            critic,
            config,
            device,
            rng: rng_from_seed(seed),
        })
    }

    /// The current policy (on the learning device).
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The critic.
    pub fn critic(&self) -> &Gae {
        &self.critic
    }

    /// One PPO update from `rollout`, sampled by the current policy.
    pub fn update(&mut self, rollout: &Rollout) -> Result<PpoStats, PgError> {
        let estimates = self.critic.gae(rollout)?;
        let n = rollout.len();
        let dev = &self.device;
        let obs = matrix(&rollout.observations, n, dev);
        let actions = ActionTensor::from_batch(&rollout.actions, n, dev);
        let old_log_probs = vector(&rollout.log_probs, dev);
        let advantages = vector(&estimates.advantages, dev);
        let eps = self.config.eps_clip;

        // Statistics of the last pass only: earlier passes add no statistics ops.
        let mut last_epoch_sums: Option<Tensor<1>> = None;
        for epoch in 0..self.config.num_epoch {
            let last_epoch = epoch + 1 == self.config.num_epoch;
            let batches = minibatches(n, self.config.batch_size, &mut self.rng);
            let count = batches.len() as f32;
            for batch in batches {
                let rows = indices(&batch, dev);
                let dist = self
                    .policy
                    .distribution(obs.clone().select(0, rows.clone()));
                let log_probs = dist.log_prob(&actions.select(rows.clone()));
                let ratio = (log_probs - old_log_probs.clone().select(0, rows.clone())).exp();
                let adv = advantages.clone().select(0, rows);
                let unclipped = ratio.clone() * adv.clone();
                let clipped = ratio.clone().clamp(1.0 - eps, 1.0 + eps) * adv;
                let policy_loss = unclipped.min_pair(clipped).mean().neg();
                let entropy = dist.entropy().mean();
                let loss =
                    policy_loss.clone() - entropy.clone().mul_scalar(self.config.entropy_coeff);
                if last_epoch {
                    let clip_fraction = (ratio.detach().sub_scalar(1.0).abs())
                        .greater_elem(eps)
                        .float()
                        .mean();
                    let stats = Tensor::cat(
                        vec![
                            policy_loss.detach().inner(),
                            entropy.detach().inner(),
                            clip_fraction.inner(),
                        ],
                        0,
                    ) / count;
                    accumulate(&mut last_epoch_sums, stats);
                }
                self.policy = descend(
                    self.policy.clone(),
                    &mut self.optim,
                    loss,
                    self.config.lr,
                    self.config.max_grad_norm,
                )?;
            }
        }
        let [policy_loss, entropy, clip_fraction] = match last_epoch_sums {
            Some(s) => <[f32; 3]>::try_from(read_floats(s)?)
                .map_err(|v| PgError::ReadBack(format!("expected 3 statistics, got {v:?}")))?,
            None => [0.0; 3],
        };
        if !policy_loss.is_finite() {
            return Err(PgError::NonFinite {
                what: "policy loss",
                value: policy_loss,
            });
        }
        let value_loss = self
            .critic
            .update(rollout, &estimates.returns, &mut self.rng)?;
        Ok(PpoStats {
            policy_loss,
            entropy,
            clip_fraction,
            value_loss,
        })
    }
}
