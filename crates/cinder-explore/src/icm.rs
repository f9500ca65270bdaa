//! The Intrinsic Curiosity Module (Pathak et al. 2017, "Curiosity-driven Exploration by
//! Self-supervised Prediction", arXiv:1705.05363), with Tianshou's `ICMPolicy` parameters.
//!
//! A feature network φ, a forward model `(φ(s), a) → φ̂(s')` and an inverse model
//! `(φ(s), φ(s')) → â`. Each environment step earns the curiosity reward
//!
//! ```text
//! r_i = reward_scale · ½ ‖φ̂(s') − φ(s')‖²          (no gradient)
//! ```
//!
//! added to its extrinsic reward *before* the wrapped learner forms its targets: before GAE
//! for an on-policy learner, per window step before the n-step sum for a replay-based one
//! ([`ReplayBatch::add_step_rewards`]). After each of the learner's updates ICM takes one
//! step of its own optimiser on
//!
//! ```text
//! L = lr_scale · ((1 − forward_loss_weight) · L_inverse + forward_loss_weight · L_forward)
//! ```
//!
//! with `L_forward` the mean of `½ ‖φ̂(s') − φ(s')‖²` (its gradient reaches φ, as in
//! Tianshou) and `L_inverse` the cross-entropy of the taken action for discrete spaces (one-hot
//! action inputs) or, for box spaces (which Tianshou's ICM does not take), the mean
//! squared error of the action scaled to `[-1, 1]` (also the forward model's action input).
//!
//! [`Icm`] wraps the learner: it is an [`OnPolicyLearner`] when the learner is one and an
//! [`ReplayLearner`] when the learner is one. Its files go into the learner's snapshot
//! under `icm/`.

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Device, Tensor};
use cinder_agent::error::{
    check_count, check_non_negative, check_positive, check_unit_interval, finite,
};
use cinder_agent::{
    ActionScale, AgentError, Exported, Learned, OnPolicyLearner, Policy, PolicyGradient,
    ReplayLearner, Setup, Update,
};
use cinder_core::{ActionBatch, Actor, Metric, Snapshot, Space};
use cinder_data::{ReplayBatch, Rollout};
use cinder_nn::persist::{
    load_counters, load_module, load_optim, save_counters, save_module, save_optim,
};
use cinder_nn::tensors::{indices, matrix, read_floats, vector};
use cinder_nn::{Activation, Categorical, Mlp, MlpConfig, Schedule, adam, descend};

/// ICM's hyper-parameters (Tianshou's `ICMPolicy` names and its tests' values).
#[derive(Debug, Clone, PartialEq)]
pub struct IcmConfig {
    /// Scale of the ICM loss (Tianshou `lr_scale`).
    pub lr_scale: f64,
    /// Scale of the curiosity reward (Tianshou `reward_scale`; its tests use 0.01).
    pub reward_scale: f64,
    /// Weight of the forward loss against the inverse loss, in `[0, 1]` (Tianshou
    /// `forward_loss_weight`; β = 0.2 in the paper).
    pub forward_loss_weight: f64,
    /// Adam learning rate of ICM's own optimiser.
    pub lr: f64,
    /// How that learning rate changes over training.
    pub lr_schedule: Schedule,
    /// Hidden layers of the feature network (ReLU).
    pub hidden: Vec<usize>,
    /// Size of the features φ(s).
    pub feature_dim: usize,
    /// Hidden layers of the forward and inverse models (ReLU).
    pub model_hidden: Vec<usize>,
}

impl Default for IcmConfig {
    fn default() -> Self {
        Self {
            lr_scale: 1.0,
            reward_scale: 0.01,
            forward_loss_weight: 0.2,
            lr: 1e-3,
            lr_schedule: Schedule::Constant,
            hidden: vec![64],
            feature_dim: 64,
            model_hidden: vec![64],
        }
    }
}

impl IcmConfig {
    /// Checks every hyper-parameter's range.
    pub fn validate(&self) -> Result<(), AgentError> {
        check_positive("icm.lr_scale", self.lr_scale)?;
        check_non_negative("icm.reward_scale", self.reward_scale)?;
        check_unit_interval("icm.forward_loss_weight", self.forward_loss_weight)?;
        check_positive("icm.lr", self.lr)?;
        check_count("icm.feature_dim", self.feature_dim)?;
        self.lr_schedule.validate("icm.lr_schedule")?;
        Ok(())
    }
}

/// The three networks of ICM, stepped by one optimiser.
#[derive(Module, Debug)]
pub struct IcmNets {
    /// φ: observation → features.
    pub features: Mlp,
    /// `(φ(s), a) → φ̂(s')`.
    pub forward_model: Mlp,
    /// `(φ(s), φ(s')) → â` (logits, or the scaled action).
    pub inverse_model: Mlp,
}

/// How actions enter the models.
#[derive(Debug, Clone)]
enum Coding {
    /// One-hot of `n` actions; cross-entropy inverse loss.
    OneHot(usize),
    /// The action scaled to `[-1, 1]^d`; mean-squared inverse loss.
    Scaled(ActionScale),
}

impl Coding {
    fn dim(&self) -> usize {
        match self {
            Coding::OneHot(n) => *n,
            Coding::Scaled(scale) => scale.dim(),
        }
    }

    /// The `[rows, dim]` model input of `actions`; actions of the other kind are an error.
    fn encode(
        &self,
        actions: &ActionBatch,
        rows: usize,
        device: &Device,
    ) -> Result<Tensor<2>, AgentError> {
        let values = match (self, actions) {
            (Coding::OneHot(n), ActionBatch::Discrete(a)) => {
                let mut one_hot = vec![0.0; rows * n];
                for (row, &action) in a.iter().enumerate() {
                    one_hot[row * n + action.min(n - 1)] = 1.0;
                }
                one_hot
            }
            (Coding::Scaled(scale), ActionBatch::Continuous(a)) => scale.env_to_unit(a),
            (coding, _) => {
                let kind = match coding {
                    Coding::OneHot(_) => "discrete",
                    Coding::Scaled(_) => "continuous",
                };
                return Err(AgentError::UnsupportedSpace(format!(
                    "ICM was built for {kind} actions and got the other kind"
                )));
            }
        };
        Ok(matrix(&values, rows, device))
    }
}

/// ICM around a learner `L`.
pub struct Icm<L> {
    learner: L,
    nets: IcmNets,
    optim: ModuleOptimizer,
    coding: Coding,
    config: IcmConfig,
    observation_dim: usize,
    device: Device,
    updates: usize,
}

/// The snapshot folder of ICM's files.
const PREFIX: &str = "icm";

impl<L> Icm<L> {
    /// Wraps `learner`, with fresh ICM networks for `setup`'s spaces on its learning device
    /// (learning happens on its autodiff form). The observation space must be a box; the
    /// action space discrete or a bounded box.
    pub fn new(learner: L, config: IcmConfig, setup: &Setup) -> Result<Self, AgentError> {
        config.validate()?;
        let observation_dim = match &setup.observation_space {
            Space::Box(b) if b.flat_dim() > 0 => b.flat_dim(),
            other => {
                return Err(AgentError::UnsupportedSpace(format!(
                    "ICM needs a box observation space (its feature network is an MLP), got \
                     {other}"
                )));
            }
        };
        let action_space = &setup.action_space;
        let coding = match action_space {
            Space::Discrete(d) => Coding::OneHot(d.n()),
            Space::Box(_) => Coding::Scaled(ActionScale::for_space("ICM", action_space)?),
        };
        let device = setup.device.clone().autodiff();
        let mlp = |input, hidden: &[usize], output| {
            MlpConfig::new(input, hidden.to_vec(), output)
                .with_activation(Activation::Relu)
                .init(&device)
        };
        let phi = config.feature_dim;
        let nets = IcmNets {
            features: mlp(observation_dim, &config.hidden, phi)?,
            forward_model: mlp(phi + coding.dim(), &config.model_hidden, phi)?,
            inverse_model: mlp(2 * phi, &config.model_hidden, coding.dim())?,
        };
        Ok(Self {
            learner,
            nets,
            optim: adam(),
            coding,
            config,
            observation_dim,
            device,
            updates: 0,
        })
    }

    /// The wrapped learner.
    pub fn learner(&self) -> &L {
        &self.learner
    }

    /// ICM's networks.
    pub fn nets(&self) -> &IcmNets {
        &self.nets
    }

    /// `reward_scale · ½ ‖φ̂(s') − φ(s')‖²` of each transition `(s, a, s')`, computed without a
    /// graph.
    pub fn intrinsic_rewards(
        &self,
        observations: &[f32],
        actions: &ActionBatch,
        next_observations: &[f32],
    ) -> Result<Vec<f32>, AgentError> {
        let rows = observations.len() / self.observation_dim;
        if rows == 0 {
            return Ok(Vec::new());
        }
        let device = self.device.clone().inner();
        let (_, _, errors) = dynamics(
            &self.nets.valid(),
            matrix(observations, rows, &device),
            self.coding.encode(actions, rows, &device)?,
            matrix(next_observations, rows, &device),
        );
        let scale = self.config.reward_scale as f32;
        Ok(read_floats(errors)?
            .into_iter()
            .map(|e| scale * e)
            .collect())
    }

    /// One optimiser step of the ICM loss on `(s, a, s')`; returns the detached
    /// `[loss, forward loss, inverse loss]`.
    fn train(
        &mut self,
        observations: &[f32],
        actions: &ActionBatch,
        next_observations: &[f32],
        progress: f64,
    ) -> Result<Tensor<1>, AgentError> {
        let rows = observations.len() / self.observation_dim;
        let device = &self.device;
        let encoded = self.coding.encode(actions, rows, device)?;
        let (phi, next_phi, errors) = dynamics(
            &self.nets,
            matrix(observations, rows, device),
            encoded.clone(),
            matrix(next_observations, rows, device),
        );
        let forward_loss = errors.mean();
        let inverse = self
            .nets
            .inverse_model
            .forward(Tensor::cat(vec![phi, next_phi], 1));
        let inverse_loss = match (&self.coding, actions) {
            (Coding::OneHot(_), ActionBatch::Discrete(a)) => Categorical::new(inverse)
                .log_prob(indices(a, device))
                .mean()
                .neg(),
            _ => (inverse - encoded).powi_scalar(2).mean(),
        };
        let w = self.config.forward_loss_weight;
        let loss = (inverse_loss.clone().mul_scalar(1.0 - w) + forward_loss.clone().mul_scalar(w))
            .mul_scalar(self.config.lr_scale);
        let lr = self
            .config
            .lr_schedule
            .value(self.config.lr, progress, self.updates);
        let stats = Tensor::cat(
            vec![
                loss.clone().detach().inner(),
                forward_loss.detach().inner(),
                inverse_loss.detach().inner(),
            ],
            0,
        );
        let mut grads = loss.backward();
        self.nets = descend(self.nets.clone(), &mut grads, &mut self.optim, lr, None)?;
        self.updates += 1;
        Ok(stats)
    }

    /// ICM's files under `icm/`: the networks, the optimiser and the update count.
    fn save_icm(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        let mut own = Snapshot::new();
        save_module(&mut own, "nets.bpk", &self.nets)?;
        save_optim(&mut own, "optim.bpk", &self.optim)?;
        save_counters(&mut own, "counters.bin", &[self.updates]);
        snapshot.nest(PREFIX, own);
        Ok(())
    }

    /// Reads ICM's files (what [`Icm::save_icm`] wrote), then loads the learner with
    /// `load_learner`: nothing changes unless every file loads.
    fn load_with(
        &mut self,
        snapshot: &Snapshot,
        load_learner: impl FnOnce(&mut L, &Snapshot) -> Result<(), AgentError>,
    ) -> Result<(), AgentError> {
        let own = snapshot.scope(PREFIX);
        let nets = load_module(&own, "nets.bpk", self.nets.clone())?;
        let optim = load_optim(&own, "optim.bpk", self.optim.clone())?;
        let [updates] = load_counters::<1>(&own, "counters.bin")?;
        load_learner(&mut self.learner, snapshot)?;
        self.nets = nets;
        self.optim = optim;
        self.updates = updates;
        Ok(())
    }
}

/// `φ(s)`, `φ(s')` and the forward error `½ ‖φ̂(s') − φ(s')‖²` of each row, with
/// `φ̂(s') = forward_model(φ(s), a)`.
fn dynamics(
    nets: &IcmNets,
    observations: Tensor<2>,
    actions: Tensor<2>,
    next_observations: Tensor<2>,
) -> (Tensor<2>, Tensor<2>, Tensor<1>) {
    let phi = nets.features.forward(observations);
    let next_phi = nets.features.forward(next_observations);
    let predicted = nets
        .forward_model
        .forward(Tensor::cat(vec![phi.clone(), actions], 1));
    let errors = (predicted - next_phi.clone())
        .powi_scalar(2)
        .sum_dim(1)
        .mul_scalar(0.5)
        .flatten(0, 1);
    (phi, next_phi, errors)
}

/// The names of ICM's statistics, in the order of [`Icm::train`]'s tensor, then the mean
/// curiosity reward.
const STAT_NAMES: [&str; 4] = [
    "icm_loss",
    "icm_forward_loss",
    "icm_inverse_loss",
    "intrinsic_reward",
];

fn mean(values: &[f32]) -> f32 {
    values.iter().sum::<f32>() / values.len().max(1) as f32
}

impl<L: OnPolicyLearner> OnPolicyLearner for Icm<L> {
    fn policy(&self) -> &Policy {
        self.learner.policy()
    }

    /// Adds the curiosity reward to every step of `rollout`, lets the learner update on it,
    /// then takes one ICM step on the rollout's transitions.
    fn update_with(
        &mut self,
        rollout: &Rollout,
        progress: f64,
        gradient: &mut dyn PolicyGradient,
    ) -> Result<Update, AgentError> {
        let next = rollout.next_observations();
        let bonus = self.intrinsic_rewards(&rollout.observations, &rollout.actions, &next)?;
        let mut curious = rollout.clone();
        for (reward, extra) in curious.rewards.iter_mut().zip(&bonus) {
            *reward += extra;
        }
        let mut update = self.learner.update_with(&curious, progress, gradient)?;
        let stats = self.train(&rollout.observations, &rollout.actions, &next, progress)?;
        let mut values = read_floats(stats)?;
        finite("ICM loss", values[0])?;
        values.push(mean(&bonus));
        update.metrics.extend(
            STAT_NAMES
                .iter()
                .zip(values)
                .map(|(&name, value)| Metric::new(name, value.into())),
        );
        update.metrics.push(Metric::new(
            "icm_lr",
            self.config
                .lr_schedule
                .value(self.config.lr, progress, self.updates),
        ));
        Ok(update)
    }

    /// The learner's files, and ICM's under `icm/`.
    fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        self.learner.save(snapshot)?;
        self.save_icm(snapshot)
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        self.load_with(snapshot, |learner, s| learner.load(s))
    }
}

impl<L: Actor<Error = AgentError>> Actor for Icm<L> {
    type Error = AgentError;

    cinder_core::delegate_actor!(self => self.learner);
}

impl<L: ReplayLearner> ReplayLearner for Icm<L> {
    /// Adds the curiosity reward of every window step to the batch's n-step returns, lets the
    /// learner update on it, then takes one ICM step on the rows' own transitions.
    fn update(&mut self, batch: &ReplayBatch, progress: f64) -> Result<Learned, AgentError> {
        let steps = &batch.steps;
        let bonus = self.intrinsic_rewards(
            &steps.observations,
            &steps.actions,
            &steps.next_observations,
        )?;
        let mut curious = batch.clone();
        curious.add_step_rewards(&bonus);
        let learned = self.learner.update(&curious, progress)?;

        // Each row's own transition is the first step of its window.
        let firsts: Vec<usize> = (0..steps.len())
            .filter(|&j| j == 0 || steps.rows[j] != steps.rows[j - 1])
            .collect();
        let d = self.observation_dim;
        let next: Vec<f32> = firsts
            .iter()
            .flat_map(|&j| steps.next_observations[j * d..(j + 1) * d].iter().copied())
            .collect();
        let icm = self.train(&batch.observations, &batch.actions, &next, progress)?;
        let bonus_mean = vector(&[mean(&bonus)], &icm.device());
        Ok(Learned {
            stats: Tensor::cat(vec![learned.stats, icm, bonus_mean], 0),
            td_errors: learned.td_errors,
        })
    }

    fn stat_names(&self) -> Vec<&'static str> {
        let mut names = self.learner.stat_names();
        names.extend(STAT_NAMES);
        names
    }

    fn schedule_metrics(&self, progress: f64) -> Vec<Metric> {
        let mut metrics = self.learner.schedule_metrics(progress);
        metrics.push(Metric::new(
            "icm_lr",
            self.config
                .lr_schedule
                .value(self.config.lr, progress, self.updates),
        ));
        metrics
    }

    fn graph(&self) -> Result<Exported, AgentError> {
        self.learner.graph()
    }

    fn is_stochastic(&self) -> bool {
        self.learner.is_stochastic()
    }

    fn end_iteration(&mut self) {
        self.learner.end_iteration();
    }

    /// The learner's files, and ICM's under `icm/`.
    fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        self.learner.save(snapshot)?;
        self.save_icm(snapshot)
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        self.load_with(snapshot, |learner, s| learner.load(s))
    }
}
