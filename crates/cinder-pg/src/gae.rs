//! The GAE critic: a value function `V(s)` with its own optimiser, estimating advantages with
//! generalised advantage estimation (Schulman et al. 2016) and fitted to the TD(λ) returns.
//! One object serves A2C, PPO and PPO2, as Pyrado's `GAE` does.
//!
//! The value function is fitted inside the learner's minibatch loop, on the learner's
//! minibatches (PPO: one backward pass for both losses, then a step of each optimiser; A2C and
//! PPO2: one joint loss and optimiser), so Pyrado's `num_epoch` and `batch_size` of the critic
//! are the learner's.

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Device, Gradients};
use cinder_agent::error::{check_max_grad_norm, check_positive, check_unit_interval};
use cinder_agent::{AgentError, Setup};
use cinder_core::Snapshot;
use cinder_data::Rollout;
use cinder_nn::persist::{load_module, load_optim, save_module, save_optim};
use cinder_nn::tensors::{matrix, read_floats};
use cinder_nn::{Activation, Mlp, NetConfig, Schedule, adam, descend};

/// Hyper-parameters of the GAE critic (Pyrado's `GAE` names; SB3 defaults where Pyrado has
/// none).
#[derive(Debug, Clone, PartialEq)]
pub struct GaeConfig {
    /// Discount factor γ ∈ [0, 1].
    pub gamma: f64,
    /// GAE λ ∈ [0, 1] (Pyrado spells it `lamda`).
    pub lambda: f64,
    /// Standardise advantages to zero mean and unit variance over the rollout.
    pub standardize_adv: bool,
    /// Global gradient-norm clip of the value function, if any.
    pub max_grad_norm: Option<f64>,
    /// Adam learning rate of the value function.
    pub lr: f64,
    /// How the learning rate changes over training.
    pub lr_schedule: Schedule,
    /// Hidden layers of the value network.
    pub net: NetConfig,
}

impl Default for GaeConfig {
    fn default() -> Self {
        Self {
            gamma: 0.99,
            lambda: 0.95,
            standardize_adv: true,
            max_grad_norm: None,
            lr: 5e-4,
            lr_schedule: Schedule::Constant,
            net: NetConfig::new(&[64, 64], Activation::Tanh),
        }
    }
}

impl GaeConfig {
    /// Checks every hyper-parameter's range.
    pub fn validate(&self) -> Result<(), AgentError> {
        check_unit_interval("gamma", self.gamma)?;
        check_unit_interval("lambda", self.lambda)?;
        check_positive("lr", self.lr)?;
        check_max_grad_norm(self.max_grad_norm)?;
        self.lr_schedule.validate("lr_schedule")?;
        Ok(())
    }
}

/// Advantages, returns and values of every transition of a rollout.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimates {
    /// `A_t`, standardised if the critic is configured so.
    pub advantages: Vec<f32>,
    /// TD(λ) returns `G_t = A_t + V(s_t)` (from the raw advantages): the value targets.
    pub returns: Vec<f32>,
    /// `V(s_t)` before the update.
    pub values: Vec<f32>,
}

/// The critic: value network, its optimiser and the GAE settings. Learners that fit it jointly
/// with the policy (A2C, PPO2) step their own optimiser and leave this one unused.
pub struct Gae {
    vfcn: Mlp,
    optim: ModuleOptimizer,
    config: GaeConfig,
    device: Device,
    updates: usize,
}

impl Gae {
    /// A fresh critic for `setup`'s observations, learning on its device (an autodiff copy
    /// of it is used).
    pub fn new(config: GaeConfig, setup: &Setup) -> Result<Self, AgentError> {
        config.validate()?;
        let device = setup.device.clone().autodiff();
        let vfcn = (config.net).mlp(setup.observation_dim(), 1).init(&device)?;
        Ok(Self {
            vfcn,
            optim: adam(),
            config,
            device,
            updates: 0,
        })
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &GaeConfig {
        &self.config
    }

    /// `V(s)` of `rows` observations given flat.
    pub fn values(&self, observations: &[f32], rows: usize) -> Result<Vec<f32>, AgentError> {
        if rows == 0 {
            return Ok(Vec::new());
        }
        let obs = matrix(observations, rows, &self.device);
        Ok(read_floats(self.vfcn.valid().forward(obs.inner()))?)
    }

    /// GAE advantages and TD(λ) returns of `rollout`, with one forward pass over its
    /// observations, the final observations of ended episodes and the last observations.
    pub fn gae(&self, rollout: &Rollout) -> Result<Estimates, AgentError> {
        let dim = rollout.observation_dim;
        let (len, finals, lasts) = (rollout.len(), rollout.final_indices.len(), rollout.num_envs);
        let mut all = Vec::with_capacity((len + finals + lasts) * dim);
        all.extend_from_slice(&rollout.observations);
        all.extend_from_slice(&rollout.final_observations);
        all.extend_from_slice(&rollout.last_observations);
        let v = self.values(&all, len + finals + lasts)?;
        let (values, rest) = v.split_at(len);
        let (final_values, last_values) = rest.split_at(finals);
        let (mut advantages, returns) = rollout.advantages(
            values,
            final_values,
            last_values,
            self.config.gamma,
            self.config.lambda,
        );
        if self.config.standardize_adv {
            standardize(&mut advantages);
        }
        Ok(Estimates {
            advantages,
            returns,
            values: values.to_vec(),
        })
    }

    /// One optimiser step of the value network with its gradients from `grads` (clipped as
    /// configured), at learning rate `lr`. PPO calls this from its minibatch loop.
    pub(crate) fn descend(
        &mut self,
        vfcn: Mlp,
        grads: &mut Gradients,
        lr: f64,
    ) -> Result<Mlp, AgentError> {
        Ok(descend(
            vfcn,
            grads,
            &mut self.optim,
            lr,
            self.config.max_grad_norm,
        )?)
    }

    /// Counts an update of the value function (for exponential schedules).
    pub(crate) fn count_update(&mut self) {
        self.updates += 1;
    }

    /// The learning rate at `progress` after the updates so far.
    pub fn lr(&self, progress: f64) -> f64 {
        self.config
            .lr_schedule
            .value(self.config.lr, progress, self.updates)
    }

    /// The value network.
    pub fn value_function(&self) -> &Mlp {
        &self.vfcn
    }

    /// Replaces the value network (A2C and PPO2 train it jointly with the policy).
    pub(crate) fn set_value_function(&mut self, vfcn: Mlp) {
        self.vfcn = vfcn;
    }

    /// Adds the value network and its optimiser state to `snapshot` (`critic.bpk`,
    /// `critic_optim.bpk`).
    pub fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        save_module(snapshot, "critic.bpk", &self.vfcn)?;
        Ok(save_optim(snapshot, "critic_optim.bpk", &self.optim)?)
    }

    /// Restores what [`Gae::save`] stored.
    pub fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        self.vfcn = load_module(snapshot, "critic.bpk", self.vfcn.clone())?;
        let optim = std::mem::replace(&mut self.optim, adam());
        self.optim = load_optim(snapshot, "critic_optim.bpk", optim)?;
        Ok(())
    }
}

/// `(x − mean) / (std + 1e-8)` in place.
pub(crate) fn standardize(x: &mut [f32]) {
    let n = x.len() as f64;
    if n < 2.0 {
        return;
    }
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = x
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    let std = var.sqrt();
    for v in x {
        *v = ((f64::from(*v) - mean) / (std + 1e-8)) as f32;
    }
}
