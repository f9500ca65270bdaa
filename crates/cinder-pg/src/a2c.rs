//! Advantage Actor-Critic (Mnih et al. 2016, "Asynchronous Methods for Deep Reinforcement
//! Learning", synchronous variant as in SB3 and Pyrado's `A2C`).
//!
//! One pass over each rollout in minibatches; per minibatch, policy and value network take one
//! RMSprop step on the combined loss
//!
//! ```text
//! L = −mean(log π_θ(a_t|s_t) · A_t) + vfcn_coeff · L_V − entropy_coeff · mean(H[π_θ(·|s_t)])
//! ```
//!
//! with advantages `A_t`, value targets `G_t` and the value loss `L_V` as the [`Gae`] critic
//! defines them (`c · mean((V(s_t) − G_t)²)`). When the critic fits its value function
//! separately before (Pyrado's `GAE.update`), `L` has no value term. The policy's terms and
//! the value term are differentiated side by side (two threads on flex, for minibatches of 40
//! rows or more): the same gradients, bit for bit, as one backward pass through `L`.

use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::Device;
use cinder_agent::error::{
    check, check_count, check_max_grad_norm, check_non_negative, check_positive, finite,
};
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
use cinder_nn::{Schedule, add_grads, rmsprop, side_by_side, step};
use cinder_train::Metric;

use crate::gae::{Estimated, Gae, GaeConfig};
use crate::on_policy::{Joint, RolloutTensors, StatMeans, minibatches};

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
    /// The critic (its optimiser settings unused: A2C fits it jointly).
    pub critic: GaeConfig,
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
            critic: GaeConfig::default(),
        }
    }
}

impl A2cConfig {
    /// Checks every hyper-parameter's range.
    pub fn validate(&self) -> Result<(), AgentError> {
        check_non_negative("vfcn_coeff", self.vfcn_coeff)?;
        check("entropy_coeff", self.entropy_coeff, true, "finite")?;
        check_positive("lr", self.lr)?;
        check_count("batch_size", self.batch_size)?;
        check_max_grad_norm(self.max_grad_norm)?;
        self.lr_schedule.validate("lr_schedule")?;
        Ok(())
    }
}

/// The A2C learner: policy, critic and the joint RMSprop optimiser.
pub struct A2c {
    policy: Policy,
    critic: Gae,
    optim: ModuleOptimizer,
    config: A2cConfig,
    device: Device,
    rng: EnvRng,
    updates: usize,
}

impl A2c {
    /// A fresh policy and critic for `setup`'s spaces; the setup's seed fixes the minibatch
    /// order.
    pub fn new(config: A2cConfig, setup: &Setup) -> Result<Self, AgentError> {
        config.validate()?;
        let critic = Gae::new(config.critic.clone(), setup)?;
        let device = setup.device.clone().autodiff();
        let observation_dim = setup.observation_dim();
        Ok(Self {
            policy: Policy::new(
                &config.policy,
                observation_dim,
                &setup.action_space,
                &device,
            )?,
            critic,
            // SB3's and Pyrado's A2C: PyTorch's RMSprop with ε = 1e-5.
            optim: rmsprop(1e-5),
            config,
            device,
            rng: rng_from_seed(setup.seed),
            updates: 0,
        })
    }

    /// The critic.
    pub fn critic(&self) -> &Gae {
        &self.critic
    }
}

impl OnPolicyLearner for A2c {
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
            estimates,
            fit_loss,
        } = self.critic.estimate(rollout, progress, &mut self.rng)?;
        let value_loss_fn = self.critic.config().value_loss;
        let t = RolloutTensors::new(rollout, &estimates, &self.device);
        let lr = self
            .config
            .lr_schedule
            .value(self.config.lr, progress, self.updates);
        let (vfcn_coeff, entropy_coeff) = (self.config.vfcn_coeff, self.config.entropy_coeff);
        let mut joint = Joint {
            policy: self.policy.clone(),
            vfcn: self.critic.value_function().clone(),
        };
        let mut stats = StatMeans::<3>::default();
        let batches = minibatches(
            rollout.len(),
            self.config.batch_size,
            &mut self.rng,
            &self.device,
        );
        let (count, mut updates) = (batches.len(), 0);
        for rows in batches {
            let observations = t.observations.clone().select(0, rows.clone());
            // The policy's terms and the value term share no parameter: differentiated side
            // by side (see `side_by_side`).
            let policy_terms = || {
                let (dist, log_probs) = t.distribution(&joint.policy, observations.clone(), &rows);
                let policy_loss = (log_probs * t.advantages.clone().select(0, rows.clone()))
                    .mean()
                    .neg();
                let entropy = dist.entropy().mean();
                let loss = policy_loss.clone() - entropy.clone().mul_scalar(entropy_coeff);
                let stats = [policy_loss.detach(), entropy.detach()];
                let mut grads = loss.backward();
                (
                    GradientsParams::from_module(&mut grads, &joint.policy),
                    stats,
                )
            };
            // The value term, unless the critic was fitted separately before.
            let value_terms = || {
                fit_loss.is_none().then(|| {
                    let values = joint.vfcn.forward(observations.clone()).flatten(0, 1);
                    let value_loss =
                        value_loss_fn.between(values, t.returns.clone().select(0, rows.clone()));
                    let mut grads = value_loss.clone().mul_scalar(vfcn_coeff).backward();
                    let grads = GradientsParams::from_module(&mut grads, &joint.vfcn);
                    (grads, value_loss.detach())
                })
            };
            let ((mut grads, [policy_loss, entropy]), value) =
                side_by_side(&self.device, rows.dims()[0], policy_terms, value_terms);
            let value_loss = match value {
                Some((mut value_grads, value_loss)) => {
                    add_grads(&joint.vfcn, &mut grads, &mut value_grads);
                    value_loss
                }
                None => policy_loss.zeros_like(),
            };
            stats.add([policy_loss, value_loss, entropy], count);
            gradient.transform(&joint.policy, &mut grads)?;
            joint = step(joint, grads, &mut self.optim, lr, self.config.max_grad_norm)?;
            updates += 1;
        }
        self.policy = joint.policy;
        self.critic.set_value_function(joint.vfcn);
        self.updates += 1;

        let [policy_loss, value_loss, entropy] = stats.read()?;
        let value_loss = fit_loss.unwrap_or(value_loss);
        finite("policy loss", policy_loss)?;
        finite("value-function loss", value_loss)?;
        Ok(Update {
            metrics: vec![
                Metric::new("policy_loss", policy_loss.into()),
                Metric::new("value_loss", value_loss.into()),
                Metric::new("entropy", entropy.into()),
                Metric::new("lr", lr),
            ],
            updates,
        })
    }

    /// `policy.bpk`, `critic.bpk`, the joint optimiser's `joint_optim.bpk`, the update count
    /// (`counters.bin`) and the minibatch generator (`rng.json`).
    fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        save_module(snapshot, "policy.bpk", &self.policy)?;
        self.critic.save_beside_joint(snapshot)?;
        save_optim(snapshot, "joint_optim.bpk", &self.optim)?;
        save_counters(snapshot, "counters.bin", &[self.updates]);
        Ok(save_json(snapshot, RNG_FILE, &self.rng)?)
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        let policy = load_module(snapshot, "policy.bpk", self.policy.clone())?;
        self.critic.load_beside_joint(snapshot)?;
        let optim = load_optim(snapshot, "joint_optim.bpk", self.optim.clone())?;
        let [updates] = load_counters(snapshot, "counters.bin")?;
        self.rng = load_json(snapshot, RNG_FILE)?;
        self.policy = policy;
        self.optim = optim;
        self.updates = updates;
        Ok(())
    }
}
