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
//! - action masks: with `action_mask`, the last `|A|` values of every observation are 1 for an
//!   allowed action and 0 otherwise. Masked actions are never chosen, greedy or random, and
//!   never enter the max of the target (a next state with no allowed action has value 0).
//!
//! The loss of each half of the minibatch is built and differentiated on its own thread, and
//! the summed gradient stepped ([`descend_halves`]).

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Device, Int, Tensor};
use cinder_agent::batch::discrete_actions;
use cinder_agent::error::{
    check, check_count, check_max_grad_norm, check_positive, check_unit_interval,
};
use cinder_agent::q::{
    action_mask, allowed_actions, discrete_action_count, huber, next_state_values,
};
use cinder_agent::{AgentError, BatchTensors, Learned, ReplayLearner, Setup};
use cinder_core::seeding::{EnvRng, rng_from_seed};
use cinder_core::{ActMode, Acted, ActionBatch, Actor, Snapshot};
use cinder_data::ReplayBatch;
use cinder_nn::halves::{Descent, add_up, descend_halves};
use cinder_nn::persist::{RNG_FILE, load_counters, load_json, load_module, load_optim};
use cinder_nn::persist::{save_counters, save_json, save_module, save_optim};
use cinder_nn::tensors::{indices, matrix, read_floats};
use cinder_nn::{Activation, Mlp, NetConfig, Schedule, adam, hard_update};
use cinder_train::Metric;
use rand::Rng;

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
    /// Adam learning rate.
    pub lr: f64,
    /// Learning-rate schedule (Pyrado's `lr_scheduler`), stepped per update.
    pub lr_schedule: Schedule,
    /// Double DQN targets (Tianshou's `is_double`).
    pub is_double: bool,
    /// The last `|A|` observation values are a mask of allowed actions.
    pub action_mask: bool,
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

/// The DQL learner: the Q-network, its lagged target copy and its acting copy, Adam,
/// ε-greedy acting.
pub struct Dql {
    config: DqlConfig,
    q: Mlp,
    target: Mlp,
    acting: Mlp,
    optim: ModuleOptimizer,
    device: Device,
    act_device: Device,
    num_actions: usize,
    obs_dim: usize,
    rng: EnvRng,
    updates: usize,
    iterations: usize,
}

impl Dql {
    /// A learner for `setup`'s spaces (a discrete action space); the setup's seed drives
    /// ε-greedy choices.
    pub fn new(config: DqlConfig, setup: &Setup) -> Result<Self, AgentError> {
        config.validate()?;
        let observation_dim = setup.observation_dim();
        let num_actions = discrete_action_count("DQL", setup, config.action_mask)?;
        let device = setup.device.clone().autodiff();
        let q = (config.net)
            .mlp(observation_dim, num_actions)
            .init(&device)?;
        Ok(Self {
            optim: adam(),
            target: q.valid(),
            acting: q.valid().to_device(&setup.act_device),
            q,
            device,
            act_device: setup.act_device.clone(),
            num_actions,
            obs_dim: observation_dim,
            rng: rng_from_seed(setup.seed),
            updates: 0,
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
            .value(self.config.lr, progress, self.updates)
    }
}

impl Actor for Dql {
    type Error = AgentError;

    /// ε-greedy over the allowed actions: ε = 1 for [`ActMode::Random`], the scheduled ε
    /// exploring, 0 greedy.
    fn act(&mut self, obs: &[f32], num_envs: usize, mode: ActMode) -> Result<Acted, AgentError> {
        let epsilon = match mode {
            ActMode::Random => 1.0,
            ActMode::Explore => self.epsilon(),
            ActMode::Greedy => 0.0,
        };
        let q = if epsilon < 1.0 {
            let input = matrix(obs, num_envs, &self.act_device);
            read_floats(self.acting.forward(input))?
        } else {
            Vec::new()
        };
        let (n, masked) = (self.num_actions, self.config.action_mask);
        let mut actions = Vec::with_capacity(num_envs);
        for i in 0..num_envs {
            let observation = &obs[i * self.obs_dim..(i + 1) * self.obs_dim];
            let mut allowed = allowed_actions(observation, n, masked);
            let count = allowed.clone().count();
            if count == 0 {
                return Err(AgentError::UnsupportedSpace(format!(
                    "environment {i} allows no action (its observation's mask is all zero)"
                )));
            }
            let action = if epsilon >= 1.0 || self.rng.random::<f64>() < epsilon {
                let k = self.rng.random_range(0..count);
                allowed.nth(k)
            } else {
                let row = &q[i * n..(i + 1) * n];
                allowed.max_by(|&a, &b| row[a].total_cmp(&row[b]))
            }
            .expect("at least one allowed action");
            actions.push(action);
        }
        Ok(Acted::actions(ActionBatch::Discrete(actions)))
    }
}

impl ReplayLearner for Dql {
    fn update(&mut self, batch: &ReplayBatch, progress: f64) -> Result<Learned, AgentError> {
        let actions = discrete_actions(batch, "DQL")?;
        let t = BatchTensors::new(batch, &self.device);
        let (online, target_net) = (self.q.valid(), &self.target);
        let lr = self.lr(progress);
        let (config, num_actions, device) = (&self.config, self.num_actions, &self.device);
        let descent = Descent {
            optim: &mut self.optim,
            lr,
            max_grad_norm: config.max_grad_norm,
        };
        // Each half of the minibatch's TD loss on its own thread.
        let (q, parts) = descend_halves(
            self.q.clone(),
            device,
            batch.len(),
            descent,
            |q_net, half| {
                let t = t.half(half);
                let actions: Tensor<2, Int> =
                    indices(&actions[half.rows.clone()], device).unsqueeze_dim(1);
                let q = q_net
                    .forward(t.observations.clone())
                    .gather(1, actions)
                    .squeeze_dim::<1>(1);
                let mask = config
                    .action_mask
                    .then(|| action_mask(&t.next_observations, num_actions));
                let next_values = next_state_values(
                    &online,
                    target_net,
                    t.next_observations.clone(),
                    config.is_double,
                    mask,
                );
                let td = q.clone() - t.td_target(next_values).autodiff();
                let loss = (huber(td.clone()) * t.weights)
                    .sum()
                    .div_scalar(half.total as f64);
                let q_mean = q.sum().div_scalar(half.total as f64);
                let stats = Tensor::cat(vec![loss.clone(), q_mean], 0).detach().inner();
                (loss, (stats, td.detach().inner()))
            },
        )?;
        self.q = q;
        self.updates += 1;
        if self.updates.is_multiple_of(self.config.target_update_intvl) {
            self.target = hard_update(self.target.clone(), &self.q.valid())?;
        }
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
        self.acting = self.q.valid().to_device(&self.act_device);
    }

    fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        save_module(snapshot, "q.bpk", &self.q)?;
        save_module(snapshot, "q_target.bpk", &self.target)?;
        save_optim(snapshot, "q_optim.bpk", &self.optim)?;
        save_counters(snapshot, "counters.bin", &[self.updates, self.iterations]);
        save_json(snapshot, RNG_FILE, &self.rng)?;
        Ok(())
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        let q = load_module(snapshot, "q.bpk", self.q.clone())?;
        let target = load_module(snapshot, "q_target.bpk", self.target.clone())?;
        let optim = load_optim(snapshot, "q_optim.bpk", self.optim.clone())?;
        let [updates, iterations] = load_counters(snapshot, "counters.bin")?;
        let rng = load_json(snapshot, RNG_FILE)?;
        self.q = q;
        self.target = target;
        self.optim = optim;
        self.updates = updates;
        self.rng = rng;
        self.iterations = iterations;
        self.acting = self.q.valid().to_device(&self.act_device);
        Ok(())
    }
}
