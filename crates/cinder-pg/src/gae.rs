//! The GAE critic: a value function `V(s)` with its own optimiser, estimating advantages with
//! generalised advantage estimation (Schulman et al. 2016) and fitting `V` to the TD(λ)
//! returns. One object serves A2C, PPO and PPO2, as Pyrado's `GAE` does.

use burn::module::Module;
use burn::optim::{AdamConfig, ModuleOptimizer};
use burn::tensor::{Device, Gradients, Int, Tensor};
use cinder_core::Space;
use cinder_core::seeding::EnvRng;
use cinder_core::train::Snapshot;
use cinder_data::Rollout;
use cinder_nn::{Activation, Mlp, MlpConfig};

use crate::error::{PgError, check_optimisation, check_range};
use crate::optimize::{Passes, fit, stats_array, stats_vector};
use cinder_nn::Schedule;
use cinder_nn::descend;
use cinder_nn::persist::{load_module, load_optim, save_module, save_optim};
use cinder_nn::tensors::{matrix, read_floats, vector};

/// Hyper-parameters of the GAE critic (Pyrado's `GAE` names; SB3 defaults where Pyrado has
/// none).
#[derive(Debug, Clone, PartialEq)]
pub struct GaeConfig {
    /// Discount factor γ ∈ [0, 1].
    pub gamma: f64,
    /// GAE λ ∈ [0, 1] (Pyrado spells it `lamda`).
    pub lambda: f64,
    /// Passes over the rollout per value-function update.
    pub num_epoch: usize,
    /// Transitions per value-function minibatch.
    pub batch_size: usize,
    /// Standardise advantages to zero mean and unit variance over the rollout.
    pub standardize_adv: bool,
    /// Global gradient-norm clip of the value function, if any.
    pub max_grad_norm: Option<f64>,
    /// Adam learning rate of the value function.
    pub lr: f64,
    /// How the learning rate changes over training.
    pub lr_schedule: Schedule,
    /// Hidden layers of the value network.
    pub hidden: Vec<usize>,
    /// Its non-linearity.
    pub activation: Activation,
}

impl Default for GaeConfig {
    fn default() -> Self {
        Self {
            gamma: 0.99,
            lambda: 0.95,
            num_epoch: 10,
            batch_size: 64,
            standardize_adv: true,
            max_grad_norm: None,
            lr: 5e-4,
            lr_schedule: Schedule::Constant,
            hidden: vec![64, 64],
            activation: Activation::Tanh,
        }
    }
}

impl GaeConfig {
    /// Checks every hyper-parameter's range.
    pub fn validate(&self) -> Result<(), PgError> {
        check_range(
            "gamma",
            self.gamma,
            (0.0..=1.0).contains(&self.gamma),
            "in [0, 1]",
        )?;
        check_range(
            "lambda",
            self.lambda,
            (0.0..=1.0).contains(&self.lambda),
            "in [0, 1]",
        )?;
        self.lr_schedule.validate("lr_schedule")?;
        check_optimisation(self.lr, self.num_epoch, self.batch_size, self.max_grad_norm)
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

/// The critic: value network, its optimiser and the GAE settings.
pub struct Gae {
    vfcn: Mlp,
    optim: ModuleOptimizer,
    config: GaeConfig,
    device: Device,
    updates: usize,
}

impl Gae {
    /// A fresh critic for observations of `observation_space`, learning on `device` (an
    /// autodiff copy of it is used).
    pub fn new(
        config: GaeConfig,
        observation_space: &Space,
        device: &Device,
    ) -> Result<Self, PgError> {
        config.validate()?;
        let device = device.clone().autodiff();
        let vfcn = MlpConfig::new(observation_space.flat_dim(), config.hidden.clone(), 1)
            .with_activation(config.activation)
            .init(&device)?;
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
    pub fn values(&self, observations: &[f32], rows: usize) -> Result<Vec<f32>, PgError> {
        if rows == 0 {
            return Ok(Vec::new());
        }
        let obs = matrix(observations, rows, &self.device);
        Ok(read_floats(self.vfcn.valid().forward(obs.inner()))?)
    }

    /// GAE advantages and TD(λ) returns of `rollout`, with one forward pass over its
    /// observations, the final observations of truncated episodes and the last observations.
    pub fn gae(&self, rollout: &Rollout) -> Result<Estimates, PgError> {
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

    /// The TD(λ) returns of `rollout` (the value targets).
    pub fn tdlamda_returns(&self, rollout: &Rollout) -> Result<Vec<f32>, PgError> {
        Ok(self.gae(rollout)?.returns)
    }

    /// Fits `V` to `returns` by mean squared error over `num_epoch` shuffled passes, at the
    /// scheduled learning rate for `progress` ∈ [0, 1]; returns the mean loss of the last pass.
    pub fn update(
        &mut self,
        rollout: &Rollout,
        returns: &[f32],
        rng: &mut EnvRng,
        progress: f64,
    ) -> Result<f32, PgError> {
        let n = rollout.len();
        let obs = matrix(&rollout.observations, n, &self.device);
        let targets = vector(returns, &self.device);
        let passes = Passes {
            num_epoch: self.config.num_epoch,
            batch_size: self.config.batch_size,
        };
        let (lr, max_grad_norm) = (self.lr(progress), self.config.max_grad_norm);
        let optim = &mut self.optim;
        let (vfcn, stats) = fit(
            self.vfcn.clone(),
            n,
            passes,
            rng,
            &self.device,
            |vfcn, rows, last_epoch| {
                let loss = squared_error(vfcn, &obs, &targets, rows);
                let stats = last_epoch.then(|| stats_vector(vec![loss.clone()]));
                (loss, stats)
            },
            |vfcn, mut grads| Ok(descend(vfcn, &mut grads, optim, lr, max_grad_norm)?),
        )?;
        self.vfcn = vfcn;
        self.updates += 1;
        let [loss] = stats_array(stats)?;
        finite("value-function loss", loss)
    }

    /// One optimiser step of the value network with its gradients from `grads` (clipped as
    /// configured), at learning rate `lr`. PPO calls this from its own minibatch loop.
    pub(crate) fn descend(
        &mut self,
        vfcn: Mlp,
        grads: &mut Gradients,
        lr: f64,
    ) -> Result<Mlp, PgError> {
        Ok(descend(
            vfcn,
            grads,
            &mut self.optim,
            lr,
            self.config.max_grad_norm,
        )?)
    }

    /// Counts an update fitted outside [`Gae::update`] (for exponential schedules).
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

    /// Adds the value network and its optimiser state to `snapshot`.
    pub fn save(&self, snapshot: &mut Snapshot) -> Result<(), PgError> {
        save_module(snapshot, "critic.bpk", &self.vfcn)?;
        Ok(save_optim(snapshot, "critic_optim.bpk", &self.optim)?)
    }

    /// Restores what [`Gae::save`] stored.
    pub fn load(&mut self, snapshot: &Snapshot) -> Result<(), PgError> {
        self.vfcn = load_module(snapshot, "critic.bpk", self.vfcn.clone())?;
        let optim = std::mem::replace(&mut self.optim, adam());
        self.optim = load_optim(snapshot, "critic_optim.bpk", optim)?;
        Ok(())
    }
}

/// `mean((V(s) − target)²)` over minibatch `rows` of `observations`.
pub(crate) fn squared_error(
    vfcn: &Mlp,
    observations: &Tensor<2>,
    targets: &Tensor<1>,
    rows: Tensor<1, Int>,
) -> Tensor<1> {
    let predicted = vfcn
        .forward(observations.clone().select(0, rows.clone()))
        .flatten(0, 1);
    (predicted - targets.clone().select(0, rows))
        .powi_scalar(2)
        .mean()
}

/// Adam with PyTorch's epsilon (burn's default is 1e-5).
pub(crate) fn adam() -> ModuleOptimizer {
    AdamConfig::new().with_epsilon(1e-8).init()
}

/// `value` if finite, else [`PgError::NonFinite`] naming `what`.
pub(crate) fn finite(what: &'static str, value: f32) -> Result<f32, PgError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(PgError::NonFinite { what, value })
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
