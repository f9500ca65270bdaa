//! Advantage Actor-Critic (Mnih et al. 2016, "Asynchronous Methods for Deep Reinforcement
//! Learning", synchronous variant as in SB3 and Pyrado's `A2C`).
//!
//! One pass over each rollout in minibatches; per minibatch, policy and value network take one
//! RMSprop step on the combined loss
//!
//! ```text
//! L = −mean(log π_θ(a_t|s_t) · A_t) + vfcn_coeff · mean((V(s_t) − G_t)²) − entropy_coeff · mean(H[π_θ(·|s_t)])
//! ```
//!
//! with advantages `A_t` and TD(λ) returns `G_t` from the [`Gae`] critic.

use burn::optim::{ModuleOptimizer, RmsPropConfig};
use burn::tensor::Device;
use cinder_core::Space;
use cinder_core::train::{Metric, Snapshot};
use cinder_data::Rollout;

use crate::actor_critic::ActorCritic;
use crate::error::{PgError, check_optimisation, check_range};
use crate::gae::{Gae, finite};
use crate::on_policy::{OnPolicyLearner, RolloutTensors};
use crate::optimize::{Passes, stats_array, stats_vector};
use crate::policy::{Policy, PolicyConfig};
use cinder_nn::Schedule;

/// A2C's hyper-parameters (Pyrado's names; SB3's defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct A2cConfig {
    /// Weight of the value-function loss in the combined loss.
    pub vfcn_coeff: f64,
    /// Weight of the entropy bonus.
    pub entropy_coeff: f64,
    /// Transitions per minibatch (a rollout smaller than this is one minibatch, as in SB3).
    pub batch_size: usize,
    /// RMSprop learning rate.
    pub lr: f64,
    /// How the learning rate changes over training.
    pub lr_schedule: Schedule,
    /// Global gradient-norm clip over policy and value network, if any.
    pub max_grad_norm: Option<f64>,
    /// Shape of the policy network and initial exploration noise.
    pub policy: PolicyConfig,
}

impl Default for A2cConfig {
    fn default() -> Self {
        Self {
            vfcn_coeff: 0.5,
            entropy_coeff: 0.0,
            batch_size: 64,
            lr: 7e-4,
            lr_schedule: Schedule::Constant,
            max_grad_norm: Some(0.5),
            policy: PolicyConfig::default(),
        }
    }
}

impl A2cConfig {
    /// Checks every hyper-parameter's range.
    pub fn validate(&self) -> Result<(), PgError> {
        check_range(
            "vfcn_coeff",
            self.vfcn_coeff,
            self.vfcn_coeff >= 0.0,
            "non-negative",
        )?;
        check_range("entropy_coeff", self.entropy_coeff, true, "finite")?;
        self.lr_schedule.validate("lr_schedule")?;
        check_optimisation(self.lr, 1, self.batch_size, self.max_grad_norm)
    }
}

/// RMSprop as SB3's A2C uses it (PyTorch's defaults but ε = 1e-5, no momentum).
fn rmsprop() -> ModuleOptimizer {
    RmsPropConfig::new()
        .with_alpha(0.99)
        .with_epsilon(1e-5)
        .with_momentum(0.0)
        .init()
}

/// The A2C learner.
pub struct A2c {
    model: ActorCritic,
    config: A2cConfig,
}

impl A2c {
    /// A fresh policy for the spaces, trained with `critic` on `device`; `seed` fixes the
    /// minibatch order.
    pub fn new(
        config: A2cConfig,
        critic: Gae,
        observation_space: &Space,
        action_space: &Space,
        device: &Device,
        seed: u64,
    ) -> Result<Self, PgError> {
        config.validate()?;
        let model = ActorCritic::new(
            &config.policy,
            critic,
            observation_space,
            action_space,
            device,
            seed,
            rmsprop,
        )?;
        Ok(Self { model, config })
    }

    /// The critic.
    pub fn critic(&self) -> &Gae {
        &self.model.critic
    }
}

impl OnPolicyLearner for A2c {
    fn policy(&self) -> &Policy {
        &self.model.policy
    }

    fn update(&mut self, rollout: &Rollout, progress: f64) -> Result<Vec<Metric>, PgError> {
        let estimates = self.model.critic.gae(rollout)?;
        let n = rollout.len();
        let RolloutTensors {
            observations: obs,
            actions,
            advantages,
            returns,
            ..
        } = RolloutTensors::new(rollout, &estimates, &self.model.device);
        let lr = self
            .config
            .lr_schedule
            .value(self.config.lr, progress, self.model.updates);
        let passes = Passes {
            num_epoch: 1,
            batch_size: self.config.batch_size,
        };
        let max_grad_norm = self.config.max_grad_norm;
        let (vfcn_coeff, entropy_coeff) = (self.config.vfcn_coeff, self.config.entropy_coeff);
        let stats = self
            .model
            .fit(n, passes, lr, max_grad_norm, |joint, rows, last_epoch| {
                let s = obs.clone().select(0, rows.clone());
                let dist = joint.policy.distribution(s.clone());
                let log_probs = dist.log_prob(&actions.select(rows.clone()));
                let policy_loss = (log_probs * advantages.clone().select(0, rows.clone()))
                    .mean()
                    .neg();
                let values = joint.vfcn.forward(s).flatten(0, 1);
                let value_loss = (values - returns.clone().select(0, rows))
                    .powi_scalar(2)
                    .mean();
                let entropy = dist.entropy().mean();
                let loss = policy_loss.clone() + value_loss.clone().mul_scalar(vfcn_coeff)
                    - entropy.clone().mul_scalar(entropy_coeff);
                let stats =
                    last_epoch.then(|| stats_vector(vec![policy_loss, value_loss, entropy]));
                (loss, stats)
            })?;
        let [policy_loss, value_loss, entropy] = stats_array(stats)?;
        finite("policy loss", policy_loss)?;
        finite("value-function loss", value_loss)?;
        Ok(vec![
            Metric::new("policy_loss", policy_loss.into()),
            Metric::new("value_loss", value_loss.into()),
            Metric::new("entropy", entropy.into()),
            Metric::new("lr", lr),
        ])
    }

    fn save(&self, snapshot: &mut Snapshot) -> Result<(), PgError> {
        self.model.save(snapshot)
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), PgError> {
        self.model.load(snapshot)
    }
}
