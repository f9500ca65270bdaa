//! Proximal Policy Optimization with the clipped surrogate objective (Schulman et al. 2017,
//! "Proximal Policy Optimization Algorithms", eq. 7), the policy and its critic updated on
//! the same minibatches as in Pyrado's `PPO`; PPO2 ([`crate::ppo2`]) is a variant of the same
//! update.
//!
//! Per update, for `num_epoch` passes over shuffled minibatches of the rollout:
//!
//! ```text
//! r_t(θ)   = exp(log π_θ(a_t|s_t) − log π_old(a_t|s_t))
//! L_clip   = −mean( min(r_t A_t, clip(r_t, 1 − ε, 1 + ε) A_t) )
//! L_V      = mean( (V(s_t) − G_t)² )                                  PPO
//!          = mean( max((V(s_t) − G_t)², (V_clip − G_t)²) ),             PPO2
//!            V_clip = V_old(s_t) + clip(V(s_t) − V_old(s_t), −ε, ε)
//! L        = L_clip − entropy_coeff · mean(H[π_θ(·|s_t)]) + c · L_V
//! ```
//!
//! with advantages `A_t` and value targets `G_t` from the [`Gae`] critic (whose `value_loss`
//! may halve `L_V`, as Pyrado's PPO2 does). When the critic fits its value function separately
//! before the policy update (Pyrado's PPO: `GAE.update`, then the policy's epochs), `L` has no
//! value term and only the policy steps here. Otherwise PPO (`c = 1`) differentiates `L`,
//! then takes a step of the policy's optimiser and one of the critic's, each with its own
//! learning rate and gradient clip (the two networks share no parameters, so this equals
//! fitting them one after the other on the same minibatches). PPO2 (`c = vfcn_coeff`) steps
//! one optimiser over both networks with one global clip. The policy's terms and `c · L_V`
//! are differentiated side by side (two threads on flex, for minibatches of 40 rows or more),
//! PPO's critic step taken in the value pass: the same gradients, bit for bit, as one backward
//! pass through `L`.

use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};
use cinder_agent::error::{check, check_count, check_max_grad_norm, check_positive, finite};
use cinder_agent::{
    AgentError, OnPolicyLearner, Policy, PolicyConfig, PolicyGradient, Setup, Update,
};
use cinder_core::Snapshot;
use cinder_core::seeding::{EnvRng, rng_from_seed};
use cinder_data::Rollout;
use cinder_nn::persist::{
    RNG_FILE, load_counters, load_json, load_module, load_optim, save_counters, save_json,
    save_module, save_optim,
};
use cinder_nn::{Mlp, Schedule, adam, add_grads, side_by_side, step};
use cinder_train::Metric;

use crate::gae::{Estimated, Gae, GaeConfig, standardize};
use crate::on_policy::{Joint, RolloutTensors, StatMeans, minibatches};

/// What a minibatch's value pass hands back: the value network (stepped, for PPO), the value
/// loss's gradients (PPO2, which steps them with the policy's) and the unweighted value loss
/// (none while the value function is fitted separately).
type ValueTerms = (Mlp, Option<GradientsParams>, Option<Tensor<1>>);

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
    /// The critic and its own optimiser (PPO2 steps it with the policy's).
    pub critic: GaeConfig,
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
            critic: GaeConfig::default(),
        }
    }
}

impl PpoConfig {
    /// Checks every hyper-parameter's range.
    pub fn validate(&self) -> Result<(), AgentError> {
        check_positive("eps_clip", self.eps_clip)?;
        check("entropy_coeff", self.entropy_coeff, true, "finite")?;
        check_positive("lr", self.lr)?;
        check_count("num_epoch", self.num_epoch)?;
        check_count("batch_size", self.batch_size)?;
        check_max_grad_norm(self.max_grad_norm)?;
        self.clip_schedule.validate("clip_schedule")?;
        self.lr_schedule.validate("lr_schedule")?;
        Ok(())
    }
}

/// Which optimiser steps on `L_V` in the minibatch loop: PPO's critic step or PPO2's joint,
/// clipped one. (With the critic's separate fit, [`crate::gae::CriticFit::Separate`], there is
/// no `L_V` in the loop.)
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ValueStep {
    /// `L_V` unclipped, stepped by the critic's own optimiser.
    Critic,
    /// `L_V` clipped like the ratio, weighted by `vfcn_coeff`, stepped with the policy by one
    /// optimiser; advantages always standardised.
    Joint {
        /// Weight of the value loss.
        vfcn_coeff: f64,
    },
}

/// The PPO learner: policy, its optimiser (PPO2: the joint optimiser) and the critic.
pub struct Ppo {
    policy: Policy,
    optim: ModuleOptimizer,
    critic: Gae,
    config: PpoConfig,
    value_step: ValueStep,
    device: Device,
    rng: EnvRng,
    updates: usize,
}

impl Ppo {
    /// A fresh policy and critic for `setup`'s spaces; the setup's seed fixes the minibatch
    /// order.
    pub fn new(config: PpoConfig, setup: &Setup) -> Result<Self, AgentError> {
        Self::with_value_step(config, ValueStep::Critic, setup)
    }

    /// PPO with the value function fitted as `value_step` says.
    pub(crate) fn with_value_step(
        config: PpoConfig,
        value_step: ValueStep,
        setup: &Setup,
    ) -> Result<Self, AgentError> {
        config.validate()?;
        let critic = Gae::new(config.critic.clone(), setup)?;
        let device = setup.device.clone().autodiff();
        let observation_dim = setup.observation_dim();
        let policy = Policy::new(
            &config.policy,
            observation_dim,
            &setup.action_space,
            &device,
        )?;
        Ok(Self {
            policy,
            optim: adam(),
            critic,
            config,
            value_step,
            device,
            rng: rng_from_seed(setup.seed),
            updates: 0,
        })
    }

    /// The critic.
    pub fn critic(&self) -> &Gae {
        &self.critic
    }

    /// The snapshot file of [`Ppo::optim`]: the policy's optimiser, or PPO2's joint one.
    fn optim_file(&self) -> &'static str {
        match self.value_step {
            ValueStep::Critic => "policy_optim.bpk",
            ValueStep::Joint { .. } => "joint_optim.bpk",
        }
    }
}

impl OnPolicyLearner for Ppo {
    fn policy(&self) -> &Policy {
        &self.policy
    }

    fn update_with(
        &mut self,
        rollout: &Rollout,
        progress: f64,
        gradient: &mut dyn PolicyGradient,
    ) -> Result<Update, AgentError> {
        let Estimated {
            mut estimates,
            fit_loss,
        } = self.critic.estimate(rollout, progress, &mut self.rng)?;
        if let ValueStep::Joint { .. } = self.value_step
            && !self.critic.config().standardize_adv
        {
            standardize(&mut estimates.advantages);
        }
        let t = RolloutTensors::new(rollout, &estimates, &self.device);
        let lr = self
            .config
            .lr_schedule
            .value(self.config.lr, progress, self.updates);
        let eps = self
            .config
            .clip_schedule
            .value(self.config.eps_clip, progress, self.updates);
        let critic_lr = self.critic.lr(progress);
        let (num_epoch, max_grad_norm) = (self.config.num_epoch, self.config.max_grad_norm);
        let (entropy_coeff, value_step) = (self.config.entropy_coeff, self.value_step);
        let value_loss_fn = self.critic.config().value_loss;
        let mut stats = StatMeans::<4>::default();
        let mut updates = 0;
        let mut joint = Joint {
            policy: self.policy.clone(),
            vfcn: self.critic.value_function().clone(),
        };
        let critic = &mut self.critic;
        for epoch in 0..num_epoch {
            let batches = minibatches(
                rollout.len(),
                self.config.batch_size,
                &mut self.rng,
                &self.device,
            );
            let count = batches.len();
            let last_epoch = epoch + 1 == num_epoch;
            for rows in batches {
                let observations = t.observations.clone().select(0, rows.clone());

                // Clipped surrogate (eq. 7) and entropy bonus, differentiated beside the
                // value loss: the two share no parameter (see `side_by_side`).
                let policy_terms = || {
                    let (dist, log_probs) =
                        t.distribution(&joint.policy, observations.clone(), &rows);
                    let ratio = (log_probs - t.old_log_probs.clone().select(0, rows.clone())).exp();
                    let advantages = t.advantages.clone().select(0, rows.clone());
                    let unclipped = ratio.clone() * advantages.clone();
                    let clipped = ratio.clone().clamp(1.0 - eps, 1.0 + eps) * advantages;
                    let policy_loss = unclipped.min_pair(clipped).mean().neg();
                    let entropy = dist.entropy().mean();
                    let loss = policy_loss.clone() - entropy.clone().mul_scalar(entropy_coeff);
                    let clip_fraction = last_epoch.then(|| {
                        let ratio = ratio.detach().sub_scalar(1.0).abs();
                        ratio.greater_elem(eps).float().mean()
                    });
                    let stats = [policy_loss.detach(), entropy.detach()];
                    let mut grads = loss.backward();
                    let grads = GradientsParams::from_module(&mut grads, &joint.policy);
                    (grads, stats, clip_fraction)
                };
                // Value loss towards the targets (none here after a separate fit), `L_V`: PPO
                // adds it as is (no scaling op) and takes the critic's own optimiser step here,
                // beside the policy's backward pass; PPO2 weights it by `vfcn_coeff` and steps
                // it with the policy. Returns the value network, PPO2's value gradients and
                // `L_V` (unweighted).
                let value_terms = || -> Result<ValueTerms, AgentError> {
                    let vfcn = joint.vfcn;
                    if fit_loss.is_some() {
                        return Ok((vfcn, None, None));
                    }
                    let values = vfcn.forward(observations.clone()).flatten(0, 1);
                    let returns = t.returns.clone().select(0, rows.clone());
                    match value_step {
                        ValueStep::Critic => {
                            let loss = value_loss_fn.between(values, returns);
                            let mut grads = loss.backward();
                            let vfcn = critic.descend(vfcn, &mut grads, critic_lr)?;
                            Ok((vfcn, None, Some(loss.detach())))
                        }
                        ValueStep::Joint { vfcn_coeff } => {
                            let old = t.old_values.clone().select(0, rows.clone());
                            let clipped = old.clone() + (values.clone() - old).clamp(-eps, eps);
                            let loss = value_loss_fn.weigh(
                                (values - returns.clone())
                                    .powi_scalar(2)
                                    .max_pair((clipped - returns).powi_scalar(2))
                                    .mean(),
                            );
                            let mut grads = loss.clone().mul_scalar(vfcn_coeff).backward();
                            let grads = GradientsParams::from_module(&mut grads, &vfcn);
                            Ok((vfcn, Some(grads), Some(loss.detach())))
                        }
                    }
                };
                let ((mut policy_grads, [policy_loss, entropy], clip_fraction), value) =
                    side_by_side(&self.device, rows.dims()[0], policy_terms, value_terms);
                let (vfcn, value_grads, value_loss) = value?;
                if let Some(clip_fraction) = clip_fraction {
                    let value_loss = value_loss.unwrap_or_else(|| policy_loss.zeros_like());
                    stats.add([policy_loss, value_loss, entropy, clip_fraction], count);
                }

                // Gradient clipping happens in each step.
                gradient.transform(&joint.policy, &mut policy_grads)?;
                joint = match value_step {
                    ValueStep::Critic => Joint {
                        policy: step(
                            joint.policy,
                            policy_grads,
                            &mut self.optim,
                            lr,
                            max_grad_norm,
                        )?,
                        vfcn,
                    },
                    ValueStep::Joint { .. } => {
                        if let Some(mut value_grads) = value_grads {
                            add_grads(&vfcn, &mut policy_grads, &mut value_grads);
                        }
                        let joint = Joint {
                            policy: joint.policy,
                            vfcn,
                        };
                        step(joint, policy_grads, &mut self.optim, lr, max_grad_norm)?
                    }
                };
                updates += 1;
            }
        }
        self.policy = joint.policy;
        self.critic.set_value_function(joint.vfcn);
        if fit_loss.is_none() {
            self.critic.count_update();
        }
        self.updates += 1;

        let [policy_loss, mut value_loss, entropy, clip_fraction] = stats.read()?;
        value_loss = fit_loss.unwrap_or(value_loss);
        finite("policy loss", policy_loss)?;
        finite("value-function loss", value_loss)?;
        Ok(Update {
            metrics: vec![
                Metric::new("policy_loss", policy_loss.into()),
                Metric::new("value_loss", value_loss.into()),
                Metric::new("entropy", entropy.into()),
                Metric::new("clip_fraction", clip_fraction.into()),
                Metric::new("lr", lr),
                Metric::new("clip_range", eps),
            ],
            updates,
        })
    }

    /// `policy.bpk`, the optimiser (`policy_optim.bpk`, PPO2: `joint_optim.bpk`), and the
    /// critic's `critic.bpk` (PPO: and its `critic_optim.bpk`), the update count
    /// (`counters.bin`) and the minibatch generator (`rng.json`).
    fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        save_module(snapshot, "policy.bpk", &self.policy)?;
        save_optim(snapshot, self.optim_file(), &self.optim)?;
        save_counters(snapshot, "counters.bin", &[self.updates]);
        save_json(snapshot, RNG_FILE, &self.rng)?;
        match self.value_step {
            ValueStep::Critic => self.critic.save(snapshot),
            ValueStep::Joint { .. } => self.critic.save_beside_joint(snapshot),
        }
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        let policy = load_module(snapshot, "policy.bpk", self.policy.clone())?;
        let optim = load_optim(snapshot, self.optim_file(), self.optim.clone())?;
        let [updates] = load_counters(snapshot, "counters.bin")?;
        let rng = load_json(snapshot, RNG_FILE)?;
        match self.value_step {
            ValueStep::Critic => self.critic.load(snapshot)?,
            ValueStep::Joint { .. } => self.critic.load_beside_joint(snapshot)?,
        }
        self.policy = policy;
        self.optim = optim;
        self.updates = updates;
        self.rng = rng;
        Ok(())
    }
}
