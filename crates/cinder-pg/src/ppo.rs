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
//! with `A_t` from the [`Gae`] critic, whose value network is fitted to the TD(λ) returns on
//! the same minibatches (its own optimiser, learning rate and clip).

use burn::optim::ModuleOptimizer;
use burn::tensor::{Device, Tensor};
use cinder_core::Space;
use cinder_core::seeding::{EnvRng, rng_from_seed};
use cinder_core::train::{Metric, Snapshot};
use cinder_data::Rollout;

use crate::actor_critic::Joint;
use crate::error::{PgError, check_optimisation, check_range};
use crate::gae::{Gae, adam, finite, squared_error};
use crate::on_policy::{OnPolicyLearner, RolloutTensors};
use crate::optimize::{Passes, fit, stats_array, stats_vector};
use crate::policy::{Policy, PolicyConfig};
use cinder_nn::Schedule;
use cinder_nn::descend;
use cinder_nn::persist::{load_module, load_optim, save_module, save_optim};

/// PPO's hyper-parameters (Pyrado's names; SB3's defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct PpoConfig {
    /// Passes over each rollout.
    pub num_epoch: usize,
    /// Clip range ε of the probability ratio, > 0.
    pub eps_clip: f64,
    /// How ε changes over training (RL Zoo's `lin_0.2` is [`Schedule::Linear`]).
    pub clip_schedule: Schedule,
    /// Transitions per minibatch.
    pub batch_size: usize,
    /// Adam learning rate of the policy.
    pub lr: f64,
    /// How the learning rate changes over training.
    pub lr_schedule: Schedule,
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
            clip_schedule: Schedule::Constant,
            batch_size: 64,
            lr: 3e-4,
            lr_schedule: Schedule::Constant,
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
        self.clip_schedule.validate("clip_schedule")?;
        self.lr_schedule.validate("lr_schedule")?;
        check_optimisation(self.lr, self.num_epoch, self.batch_size, self.max_grad_norm)
    }

    /// The learning rate and clip range at `progress` after `updates` updates.
    pub(crate) fn scheduled(&self, progress: f64, updates: usize) -> (f64, f64) {
        (
            self.lr_schedule.value(self.lr, progress, updates),
            self.clip_schedule.value(self.eps_clip, progress, updates),
        )
    }

    pub(crate) fn passes(&self) -> Passes {
        Passes {
            num_epoch: self.num_epoch,
            batch_size: self.batch_size,
        }
    }
}

/// The clipped surrogate (eq. 7) of a minibatch: returns the loss `−mean(min(r A, clip(r) A))`
/// and the ratios `r`.
pub(crate) fn clipped_surrogate(
    log_probs: Tensor<1>,
    old_log_probs: Tensor<1>,
    advantages: Tensor<1>,
    eps: f64,
) -> (Tensor<1>, Tensor<1>) {
    let ratio = (log_probs - old_log_probs).exp();
    let unclipped = ratio.clone() * advantages.clone();
    let clipped = ratio.clone().clamp(1.0 - eps, 1.0 + eps) * advantages;
    (unclipped.min_pair(clipped).mean().neg(), ratio)
}

/// Fraction of ratios outside `[1 − ε, 1 + ε]` (a detached statistic).
pub(crate) fn clip_fraction(ratio: Tensor<1>, eps: f64) -> Tensor<1> {
    ratio
        .detach()
        .sub_scalar(1.0)
        .abs()
        .greater_elem(eps)
        .float()
        .mean()
}

/// The detached statistics of one PPO or PPO2 minibatch, in the order [`ppo_metrics`] reads.
pub(crate) fn ppo_statistics(
    policy_loss: Tensor<1>,
    value_loss: Tensor<1>,
    entropy: Tensor<1>,
    ratio: Tensor<1>,
    eps: f64,
) -> Tensor<1> {
    stats_vector(vec![
        policy_loss,
        value_loss,
        entropy,
        clip_fraction(ratio, eps),
    ])
}

/// The statistics `[policy loss, value loss, entropy, clip fraction]` of a PPO or PPO2 fit as
/// metrics, with the learning rate and clip range; a non-finite loss is an error.
pub(crate) fn ppo_metrics(stats: Vec<f32>, lr: f64, eps: f64) -> Result<Vec<Metric>, PgError> {
    let [policy_loss, value_loss, entropy, clip_fraction] = stats_array(stats)?;
    finite("policy loss", policy_loss)?;
    finite("value-function loss", value_loss)?;
    Ok(vec![
        Metric::new("policy_loss", policy_loss.into()),
        Metric::new("value_loss", value_loss.into()),
        Metric::new("entropy", entropy.into()),
        Metric::new("clip_fraction", clip_fraction.into()),
        Metric::new("lr", lr),
        Metric::new("clip_range", eps),
    ])
}

/// The PPO learner: policy, its optimiser and the critic.
pub struct Ppo {
    policy: Policy,
    optim: ModuleOptimizer,
    critic: Gae,
    config: PpoConfig,
    device: Device,
    rng: EnvRng,
    updates: usize,
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
            optim: adam(),
            critic,
            config,
            device,
            rng: rng_from_seed(seed),
            updates: 0,
        })
    }

    /// The critic.
    pub fn critic(&self) -> &Gae {
        &self.critic
    }
}

impl OnPolicyLearner for Ppo {
    fn policy(&self) -> &Policy {
        &self.policy
    }

    /// One PPO update from `rollout`, sampled by the current policy: `num_epoch` passes over
    /// shuffled minibatches; per minibatch one backward pass through the clipped surrogate
    /// (policy) and the squared error to the TD(λ) returns (critic), then a step of each
    /// optimiser with its own learning rate and gradient clip. The two losses share no
    /// parameters, so this equals fitting them one after the other on the same minibatches.
    fn update(&mut self, rollout: &Rollout, progress: f64) -> Result<Vec<Metric>, PgError> {
        let estimates = self.critic.gae(rollout)?;
        let n = rollout.len();
        let dev = &self.device;
        let RolloutTensors {
            observations: obs,
            actions,
            old_log_probs,
            advantages,
            returns,
            ..
        } = RolloutTensors::new(rollout, &estimates, dev);
        let (lr, eps) = self.config.scheduled(progress, self.updates);
        let critic_lr = self.critic.lr(progress);
        let (entropy_coeff, max_grad_norm) = (self.config.entropy_coeff, self.config.max_grad_norm);

        let joint = Joint {
            policy: self.policy.clone(),
            vfcn: self.critic.value_function().clone(),
        };
        let (policy_optim, critic) = (&mut self.optim, &mut self.critic);
        let (joint, stats) = fit(
            joint,
            n,
            self.config.passes(),
            &mut self.rng,
            dev,
            |joint, rows, last_epoch| {
                let dist = joint
                    .policy
                    .distribution(obs.clone().select(0, rows.clone()));
                let (policy_loss, ratio) = clipped_surrogate(
                    dist.log_prob(&actions.select(rows.clone())),
                    old_log_probs.clone().select(0, rows.clone()),
                    advantages.clone().select(0, rows.clone()),
                    eps,
                );
                let value_loss = squared_error(&joint.vfcn, &obs, &returns, rows);
                let entropy = dist.entropy().mean();
                let loss = policy_loss.clone() - entropy.clone().mul_scalar(entropy_coeff)
                    + value_loss.clone();
                let stats = last_epoch
                    .then(|| ppo_statistics(policy_loss, value_loss, entropy, ratio, eps));
                (loss, stats)
            },
            |joint, mut grads| {
                Ok(Joint {
                    policy: descend(joint.policy, &mut grads, policy_optim, lr, max_grad_norm)?,
                    vfcn: critic.descend(joint.vfcn, &mut grads, critic_lr)?,
                })
            },
        )?;
        self.policy = joint.policy;
        self.critic.set_value_function(joint.vfcn);
        self.critic.count_update();
        self.updates += 1;
        ppo_metrics(stats, lr, eps)
    }

    fn save(&self, snapshot: &mut Snapshot) -> Result<(), PgError> {
        save_module(snapshot, "policy.bpk", &self.policy)?;
        save_optim(snapshot, "policy_optim.bpk", &self.optim)?;
        self.critic.save(snapshot)
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), PgError> {
        self.policy = load_module(snapshot, "policy.bpk", self.policy.clone())?;
        let optim = std::mem::replace(&mut self.optim, adam());
        self.optim = load_optim(snapshot, "policy_optim.bpk", optim)?;
        self.critic.load(snapshot)
    }
}
