//! The GAE critic: a value function `V(s)` with its own optimiser, estimating advantages with
//! generalised advantage estimation (Schulman et al. 2016) and fitted to the TD(λ) returns.
//! One object serves A2C, PPO and PPO2, as Pyrado's `GAE` does.
//!
//! The value function is fitted in one of two ways ([`CriticFit`]):
//!
//! - `WithPolicy` (the default): inside the learner's minibatch loop, on the learner's
//!   minibatches (PPO: one backward pass for both losses, then a step of each optimiser; A2C
//!   and PPO2: one joint loss and optimiser); the critic's own epochs and batch size are the
//!   learner's.
//! - `Separate`: Pyrado's `GAE.update(rollouts)` before the policy update. The value targets
//!   are computed with the value function as it is; then `num_epoch` passes over shuffled
//!   minibatches of `batch_size` fit it to them with the critic's own Adam; then the
//!   advantages are estimated with the fitted value function. The learner's loss then has no
//!   value term.
//!
//! ```text
//! δ_t      = r_t + γ V(s_{t+1}) − V(s_t)                     (0 after termination)
//! A_t      = δ_t + γ λ A_{t+1}                                GAE (Schulman et al. 2016, eq. 16)
//! G_t      = A_t + V(s_t)            value_target = td_lambda  (TD(λ) return)
//!          = A_t(λ = 1) + V(s_t)     value_target = monte_carlo (discounted rewards to the
//!                                     episode's end, bootstrapped only where the rollout cuts it)
//! L_V      = c · mean((V(s_t) − G_t)²),  c = 1 (mse) or ½ (half_mse, Pyrado's A2C and PPO2)
//! ```

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Device, Gradients, Tensor};
use cinder_agent::error::{check_count, check_max_grad_norm, check_positive, check_unit_interval};
use cinder_agent::{AgentError, Setup};
use cinder_core::seeding::EnvRng;
use cinder_core::{RunningMeanStd, Snapshot};
use cinder_data::Rollout;
use cinder_nn::persist::{load_json, load_module, load_optim, save_json, save_module, save_optim};
use cinder_nn::tensors::{matrix, read_floats, vector};
use cinder_nn::{Activation, Mlp, NetConfig, Schedule, adam, descend};

use crate::on_policy::{StatMeans, minibatches};

/// When and on what the critic's value function is fitted (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CriticFit {
    /// In the learner's minibatch loop, on the learner's minibatches.
    WithPolicy,
    /// Before the policy update, on its own (Pyrado's `GAE.update`).
    Separate {
        /// Passes over the rollout (Pyrado's `GAE.num_epoch`).
        num_epoch: usize,
        /// Transitions per minibatch (Pyrado's `GAE.batch_size`).
        batch_size: usize,
    },
}

/// The weight `c` of the squared error in the value loss.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueLoss {
    /// `mean((V − G)²)`, as SB3 and Pyrado's `GAE.update` (`nn.MSELoss`).
    Mse,
    /// `½ · mean((V − G)²)`, as Pyrado's A2C and PPO2 losses.
    HalfMse,
}

impl ValueLoss {
    /// `c · mean_squared_error` (no op for `c = 1`, so that the default adds nothing).
    pub(crate) fn weigh(self, mean_squared_error: Tensor<1>) -> Tensor<1> {
        match self {
            Self::Mse => mean_squared_error,
            Self::HalfMse => mean_squared_error.mul_scalar(0.5),
        }
    }

    /// `c · mean((values − targets)²)`.
    pub(crate) fn between(self, values: Tensor<1>, targets: Tensor<1>) -> Tensor<1> {
        self.weigh((values - targets).powi_scalar(2).mean())
    }
}

/// What the value function is fitted to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueTarget {
    /// TD(λ) returns `A_t + V(s_t)` (SB3; Pyrado's `GAE.update` by default).
    TdLambda,
    /// Discounted rewards to the episode's end (Pyrado's A2C, PPO2 and
    /// `use_empirical_returns`), bootstrapped from `V` where the rollout or a time limit cuts
    /// the episode: Pyrado samples whole episodes, Cinder fixed-length rollouts.
    MonteCarlo,
}

/// How advantages are standardised (when `standardize_adv` is on).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Standardizer {
    /// Over each rollout: `(A − mean) / (std + 1e-8)`.
    Batch,
    /// With the mean and variance of every advantage so far (Pyrado's `RunningStandardizer`),
    /// updated with each rollout first.
    Running,
}

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
    /// When the value function is fitted.
    pub fit: CriticFit,
    /// The squared error's weight in the value loss.
    pub value_loss: ValueLoss,
    /// The value targets.
    pub value_target: ValueTarget,
    /// How advantages are standardised.
    pub standardizer: Standardizer,
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
            fit: CriticFit::WithPolicy,
            value_loss: ValueLoss::Mse,
            value_target: ValueTarget::TdLambda,
            standardizer: Standardizer::Batch,
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
        if let CriticFit::Separate {
            num_epoch,
            batch_size,
        } = self.fit
        {
            check_count("value_epochs", num_epoch)?;
            check_count("value_batch_size", batch_size)?;
        }
        Ok(())
    }
}

/// Advantages, returns and values of every transition of a rollout.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimates {
    /// `A_t`, standardised if the critic is configured so.
    pub advantages: Vec<f32>,
    /// The value targets `G_t` (from the raw advantages).
    pub returns: Vec<f32>,
    /// `V(s_t)` before the update.
    pub values: Vec<f32>,
}

/// The critic: value network, its optimiser and the GAE settings. Learners that fit it jointly
/// with the policy (A2C, PPO2) step their own optimiser and use this one only for a separate
/// fit ([`CriticFit::Separate`]).
pub struct Gae {
    vfcn: Mlp,
    optim: ModuleOptimizer,
    config: GaeConfig,
    device: Device,
    updates: usize,
    /// The advantages' running statistics ([`Standardizer::Running`]).
    advantage_stats: RunningMeanStd,
}

/// What [`Gae::estimate`] returns: the estimates and, after a separate fit, the fit's mean
/// value loss over its last pass.
pub struct Estimated {
    /// Advantages, value targets and values.
    pub estimates: Estimates,
    /// The separate fit's value loss (`None` when the learner fits the value function).
    pub fit_loss: Option<f32>,
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
            advantage_stats: RunningMeanStd::new(1),
        })
    }

    /// Whether the value function is fitted before the policy update ([`CriticFit::Separate`]),
    /// so the learner's loss has no value term.
    fn fits_separately(&self) -> bool {
        matches!(self.config.fit, CriticFit::Separate { .. })
    }

    /// The learner's entry point: fits the value function first if so configured, then
    /// estimates advantages and targets of `rollout` (minibatch order from `rng`, the critic's
    /// learning rate at `progress`).
    pub fn estimate(
        &mut self,
        rollout: &Rollout,
        progress: f64,
        rng: &mut EnvRng,
    ) -> Result<Estimated, AgentError> {
        let CriticFit::Separate {
            num_epoch,
            batch_size,
        } = self.config.fit
        else {
            return Ok(Estimated {
                estimates: self.gae(rollout)?,
                fit_loss: None,
            });
        };
        // Targets from the value function as it is, then the fit (Pyrado's `GAE.update`).
        let targets = self.raw(rollout)?.returns;
        let n = rollout.len();
        let observations = matrix(&rollout.observations, n, &self.device);
        let targets = vector(&targets, &self.device);
        let lr = self.lr(progress);
        let value_loss_fn = self.config.value_loss;
        let mut stats = StatMeans::<1>::default();
        for epoch in 0..num_epoch {
            let batches = minibatches(n, batch_size, rng, &self.device);
            let count = batches.len();
            for rows in batches {
                let values = self
                    .vfcn
                    .forward(observations.clone().select(0, rows.clone()))
                    .flatten(0, 1);
                let loss = value_loss_fn.between(values, targets.clone().select(0, rows));
                if epoch + 1 == num_epoch {
                    stats.add([loss.clone()], count);
                }
                let mut grads = loss.backward();
                let vfcn = self.vfcn.clone();
                self.vfcn = self.descend(vfcn, &mut grads, lr)?;
            }
        }
        self.count_update();
        let [fit_loss] = stats.read()?;
        Ok(Estimated {
            estimates: self.gae(rollout)?,
            fit_loss: Some(fit_loss),
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

    /// GAE advantages and value targets of `rollout`, the advantages standardised as
    /// configured (a running standardizer takes this rollout's advantages in first).
    pub fn gae(&mut self, rollout: &Rollout) -> Result<Estimates, AgentError> {
        let mut estimates = self.raw(rollout)?;
        if self.config.standardize_adv {
            match self.config.standardizer {
                Standardizer::Batch => standardize(&mut estimates.advantages),
                Standardizer::Running => {
                    let stats = &mut self.advantage_stats;
                    stats.update(&estimates.advantages);
                    standardize_with(
                        &mut estimates.advantages,
                        stats.mean[0],
                        stats.var[0].sqrt(),
                    );
                }
            }
        }
        Ok(estimates)
    }

    /// Unstandardised advantages, the value targets and the values of `rollout`, with one
    /// forward pass over its observations, the final observations of ended episodes and the
    /// last observations.
    fn raw(&self, rollout: &Rollout) -> Result<Estimates, AgentError> {
        let dim = rollout.observation_dim;
        let (len, finals, lasts) = (rollout.len(), rollout.final_indices.len(), rollout.num_envs);
        let mut all = Vec::with_capacity((len + finals + lasts) * dim);
        all.extend_from_slice(&rollout.observations);
        all.extend_from_slice(&rollout.final_observations);
        all.extend_from_slice(&rollout.last_observations);
        let v = self.values(&all, len + finals + lasts)?;
        let (values, rest) = v.split_at(len);
        let (final_values, last_values) = rest.split_at(finals);
        let (gamma, lambda) = (self.config.gamma, self.config.lambda);
        let (advantages, mut returns) =
            rollout.advantages(values, final_values, last_values, gamma, lambda);
        if self.config.value_target == ValueTarget::MonteCarlo && lambda != 1.0 {
            returns = rollout
                .advantages(values, final_values, last_values, gamma, 1.0)
                .1;
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
        save_optim(snapshot, "critic_optim.bpk", &self.optim)?;
        self.save_state(snapshot)
    }

    /// Restores what [`Gae::save`] stored.
    pub fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        self.vfcn = load_module(snapshot, "critic.bpk", self.vfcn.clone())?;
        let optim = std::mem::replace(&mut self.optim, adam());
        self.optim = load_optim(snapshot, "critic_optim.bpk", optim)?;
        self.load_state(snapshot)
    }

    /// The critic's files for a learner that steps the value network with its own joint
    /// optimiser (A2C, PPO2): `critic.bpk`, the critic's state and, when it fits separately,
    /// the critic's own optimiser (`critic_optim.bpk`).
    pub fn save_beside_joint(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        save_module(snapshot, "critic.bpk", &self.vfcn)?;
        if self.fits_separately() {
            save_optim(snapshot, "critic_optim.bpk", &self.optim)?;
        }
        self.save_state(snapshot)
    }

    /// Restores what [`Gae::save_beside_joint`] stored.
    pub fn load_beside_joint(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        if self.fits_separately() {
            return self.load(snapshot);
        }
        self.vfcn = load_module(snapshot, "critic.bpk", self.vfcn.clone())?;
        self.load_state(snapshot)
    }

    /// What the critic keeps besides its networks: its update count (the exponential
    /// schedule's clock) and the advantages' running statistics (`critic_state.json`).
    fn save_state(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        Ok(save_json(
            snapshot,
            CRITIC_STATE,
            &(self.updates, &self.advantage_stats),
        )?)
    }

    /// Restores what [`Gae::save_state`] stored (snapshots written before it existed have
    /// none: the fresh state stays).
    fn load_state(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        if snapshot.contains(CRITIC_STATE) {
            (self.updates, self.advantage_stats) = load_json(snapshot, CRITIC_STATE)?;
        }
        Ok(())
    }
}

/// The snapshot file of the critic's update count and running statistics.
const CRITIC_STATE: &str = "critic_state.json";

/// `(x − mean) / (std + 1e-8)` in place, with the mean and (population) standard deviation of
/// `x`.
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
    standardize_with(x, mean, var.sqrt());
}

/// `(x − mean) / (std + 1e-8)` in place.
fn standardize_with(x: &mut [f32], mean: f64, std: f64) {
    for v in x {
        *v = ((f64::from(*v) - mean) / (std + 1e-8)) as f32;
    }
}
