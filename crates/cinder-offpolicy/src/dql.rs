//! Deep Q-learning (Mnih et al. 2015, "Human-level control through deep reinforcement
//! learning"), Pyrado's `DQL`, with the usual extensions:
//!
//! - loss: Huber (smooth L1, δ = 1) on the TD error `Q(s_t, a_t) − y_t`, weighted by the
//!   importance weights of prioritized replay (1 for uniform replay);
//! - target `y_t = R_t^{(k)} + γ^k (1 − terminated) · max_a Q'(s_{t+k}, a)` with the n-step
//!   sum `R_t^{(k)}` from the replay memory and a target network `Q'` copied from the trained
//!   one every `target_update_intvl` updates (hard update);
//! - double DQN (van Hasselt et al. 2016, `is_double`): the trained network picks
//!   `a* = argmax_a Q(s', a)` and the target network values it, `Q'(s', a*)`;
//! - ε-greedy exploration with `ε_k = max(eps_final, eps_init · eps_schedule_gammaᵏ)` after
//!   `k` iterations (Pyrado's exponential schedule, with a floor);
//! - action masks: the environment's ([`cinder_core::Env::action_mask`], stored in the replay
//!   memory with each next state) and, with `action_mask`, the last `|A|` values of every
//!   observation (1 allowed, 0 not). Masked actions are never chosen, greedy or random, and
//!   never enter the max of the target (a next state with no allowed action has value 0).
//!
//! The loss of each half of the minibatch is built and differentiated on its own thread, and
//! the summed gradient stepped ([`descend_halves`]).

use burn::module::Module;
use burn::tensor::Tensor;
use cinder_agent::batch::discrete_actions;
use cinder_agent::error::{
    check, check_count, check_max_grad_norm, check_positive, check_unit_interval,
};
use cinder_agent::q::{
    allowed_actions, check_exportable, discrete_action_count, greedy_graph, huber, next_action_mask,
};
use cinder_agent::q_learning::{q_taken, td_error};
use cinder_agent::{AgentError, BatchTensors, Exported, Learned, QLearning, ReplayLearner, Setup};
use cinder_core::{ActMode, Acted, ActionBatch, Actor, Observed, Snapshot};
use cinder_data::ReplayBatch;
use cinder_nn::halves::{Descent, add_up, descend_halves};
use cinder_nn::tensors::{indices, matrix, read_floats};
use cinder_nn::{Activation, Mlp, NetConfig, Schedule, rmsprop};
use cinder_train::Metric;

/// DQL's own hyper-parameters (the replay loop's are in
/// [`ReplayConfig`](crate::ReplayConfig)). Defaults are Pyrado's where it has the parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct DqlConfig {
    /// Hidden layer sizes of the Q-network.
    pub net: NetConfig,
    /// Initial probability of a random action.
    pub eps_init: f64,
    /// Per-iteration decay factor of ε (1 keeps it constant).
    pub eps_schedule_gamma: f64,
    /// Floor of ε.
    pub eps_final: f64,
    /// Gradient updates between two hard target updates.
    pub target_update_intvl: usize,
    /// Global gradient-norm clip, or none.
    pub max_grad_norm: Option<f64>,
    /// Learning rate of the optimiser.
    pub lr: f64,
    /// Learning-rate schedule (Pyrado's `lr_scheduler`), stepped per update.
    pub lr_schedule: Schedule,
    /// Double DQN targets (Tianshou's `is_double`).
    pub is_double: bool,
    /// The last `|A|` observation values are a mask of allowed actions.
    pub action_mask: bool,
    /// Adam (SB3's DQN) or RMSprop (Pyrado's `DQL`: PyTorch's defaults).
    pub optimizer: QOptimizer,
}

/// The Q-network's optimiser.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum QOptimizer {
    /// Adam, ε = 1e-8.
    Adam,
    /// RMSprop, α = 0.99, ε = 1e-8, no momentum.
    RmsProp,
}

impl Default for DqlConfig {
    fn default() -> Self {
        Self {
            net: NetConfig::new(&[64, 64], Activation::Relu),
            eps_init: 1.0,
            eps_schedule_gamma: 0.99,
            eps_final: 0.05,
            target_update_intvl: 5,
            max_grad_norm: Some(0.5),
            lr: 5e-4,
            lr_schedule: Schedule::Constant,
            is_double: true,
            action_mask: false,
            optimizer: QOptimizer::Adam,
        }
    }
}

impl DqlConfig {
    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), AgentError> {
        check_unit_interval("eps_init", self.eps_init)?;
        check_unit_interval("eps_final", self.eps_final)?;
        check(
            "eps_schedule_gamma",
            self.eps_schedule_gamma,
            self.eps_schedule_gamma > 0.0 && self.eps_schedule_gamma <= 1.0,
            "in (0, 1]",
        )?;
        check_count("target_update_intvl", self.target_update_intvl)?;
        check_positive("lr", self.lr)?;
        check_max_grad_norm(self.max_grad_norm)?;
        self.lr_schedule.validate("lr_schedule")?;
        Ok(())
    }
}

/// The DQL learner: the Q-network with its target and acting copies ([`QLearning`]),
/// ε-greedy acting.
pub struct Dql {
    config: DqlConfig,
    ql: QLearning<Mlp>,
    obs_dim: usize,
    iterations: usize,
}

impl Dql {
    /// A learner for `setup`'s spaces (a discrete action space); the setup's seed drives
    /// ε-greedy choices.
    pub fn new(config: DqlConfig, setup: &Setup) -> Result<Self, AgentError> {
        config.validate()?;
        let obs_dim = setup.observation_dim();
        let num_actions = discrete_action_count("DQL", setup, config.action_mask)?;
        let mut ql = QLearning::new("q", setup, num_actions, |device| {
            Ok(config.net.mlp(obs_dim, num_actions).init(device)?)
        })?;
        if config.optimizer == QOptimizer::RmsProp {
            ql.optim = rmsprop(1e-8);
        }
        Ok(Self {
            ql,
            obs_dim,
            iterations: 0,
            config,
        })
    }

    /// ε after the iterations run so far.
    pub fn epsilon(&self) -> f64 {
        let decayed = self.config.eps_init
            * self
                .config
                .eps_schedule_gamma
                .powi(self.iterations.min(i32::MAX as usize) as i32);
        decayed.max(self.config.eps_final)
    }

    /// The learning rate at `progress`.
    fn lr(&self, progress: f64) -> f64 {
        self.config
            .lr_schedule
            .value(self.config.lr, progress, self.ql.updates)
    }
}

impl Actor for Dql {
    type Error = AgentError;

    /// ε-greedy over the allowed actions (those the environments' `masks` and, with
    /// `action_mask`, the observations allow): ε = 1 for [`ActMode::Random`], the scheduled ε
    /// exploring, 0 greedy.
    fn act_masked(&mut self, observed: Observed<'_>, mode: ActMode) -> Result<Acted, AgentError> {
        let (obs, num_envs, masks) = (observed.values, observed.num_envs, observed.masks);
        let epsilon = match mode {
            ActMode::Random => 1.0,
            ActMode::Explore => self.epsilon(),
            ActMode::Greedy => 0.0,
        };
        let ql = &mut self.ql;
        let q = if epsilon < 1.0 {
            let input = matrix(obs, num_envs, ql.act_device());
            read_floats(ql.acting.forward(input))?
        } else {
            Vec::new()
        };
        let (n, masked) = (ql.num_actions, self.config.action_mask);
        let mut actions = Vec::with_capacity(num_envs);
        for i in 0..num_envs {
            let observation = &obs[i * self.obs_dim..(i + 1) * self.obs_dim];
            let valid = masks.map(|m| &m[i * n..(i + 1) * n]);
            let allowed = allowed_actions(observation, n, masked)
                .filter(move |&a| valid.is_none_or(|v| v[a]));
            let row = q.get(i * n..(i + 1) * n).unwrap_or_default();
            let action = ql.epsilon_greedy(epsilon, allowed, |allowed| {
                allowed.max_by(|&a, &b| row[a].total_cmp(&row[b]))
            });
            actions.push(action.ok_or_else(|| {
                AgentError::UnsupportedSpace(format!(
                    "environment {i} allows no action (its masks leave none)"
                ))
            })?);
        }
        Ok(Acted::actions(ActionBatch::Discrete(actions)))
    }
}

impl ReplayLearner for Dql {
    fn update(&mut self, batch: &ReplayBatch, progress: f64) -> Result<Learned, AgentError> {
        let actions = discrete_actions(batch, "DQL")?;
        let lr = self.lr(progress);
        let ql = &mut self.ql;
        let t = BatchTensors::new(batch, &ql.device);
        let (online, target_net) = (ql.nets.valid(), &ql.target);
        let (config, num_actions, device) = (&self.config, ql.num_actions, &ql.device);
        let descent = Descent {
            optim: &mut ql.optim,
            lr,
            max_grad_norm: config.max_grad_norm,
        };
        // Each half of the minibatch's TD loss on its own thread.
        let (q, parts) = descend_halves(
            ql.nets.clone(),
            device,
            batch.len(),
            descent,
            |q_net, half| {
                let t = t.half(half);
                let actions = indices(&actions[half.rows.clone()], device);
                let q = q_taken(&q_net, t.observations.clone(), actions);
                let mask = next_action_mask(
                    &t.next_observations,
                    batch.next_masks.as_deref(),
                    half.rows.clone(),
                    num_actions,
                    config.action_mask,
                    device,
                );
                let networks = (&online, target_net);
                let td = td_error(q.clone(), &t, networks, config.is_double, mask);
                let loss = (huber(td.clone()) * t.weights)
                    .sum()
                    .div_scalar(half.total as f64);
                let q_mean = q.sum().div_scalar(half.total as f64);
                let stats = Tensor::cat(vec![loss.clone(), q_mean], 0).detach().inner();
                (loss, (stats, td.detach().inner()))
            },
        )?;
        self.ql.updated(q, self.config.target_update_intvl)?;
        let (stats, td): (Vec<_>, Vec<_>) = parts.into_iter().unzip();
        Ok(Learned {
            stats: add_up(stats),
            td_errors: Some(Tensor::cat(td, 0).abs()),
        })
    }

    fn stat_names(&self) -> Vec<&'static str> {
        vec!["q_loss", "q_mean"]
    }

    fn schedule_metrics(&self, progress: f64) -> Vec<Metric> {
        vec![
            Metric::new("epsilon", self.epsilon()),
            Metric::new("lr", self.lr(progress)),
        ]
    }

    fn end_iteration(&mut self) {
        self.iterations += 1;
        self.ql.sync_acting();
    }

    fn graph(&self) -> Result<Exported, AgentError> {
        check_exportable(self.config.action_mask)?;
        greedy_graph(&self.ql.acting, None)
    }

    fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        self.ql.save(snapshot, &[self.iterations])
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        let [_, iterations] = self.ql.load(snapshot)?;
        self.iterations = iterations;
        Ok(())
    }
}
