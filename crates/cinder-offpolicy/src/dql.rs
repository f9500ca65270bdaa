//! Deep Q-learning (Mnih et al. 2015, "Human-level control through deep reinforcement
//! learning"), Pyrado's `DQL`, with the usual extensions:
//!
//! - loss: Huber (smooth L1, δ = 1) on the TD error `Q(s_t, a_t) − y_t`, weighted by the
//!   importance weights of prioritized replay (1 for uniform replay);
//! - target `y_t = R_t^{(k)} + γ^k (1 − terminated) · max_a Q'(s_{t+k}, a)` with the n-step
//!   sum `R_t^{(k)}` from the replay memory and a target network `Q'` copied from the online
//!   one every `target_update_intvl` updates (hard update);
//! - double DQN (van Hasselt et al. 2016): the online network picks `a* = argmax_a Q(s', a)`
//!   and the target network values it, `Q'(s', a*)`;
//! - ε-greedy exploration with `ε_k = max(eps_final, eps_init · eps_schedule_gammaᵏ)` after
//!   `k` iterations (Pyrado's exponential schedule, with a floor);
//! - action masks: with `action_mask`, the last `|A|` values of every observation are 1 for an
//!   allowed action and 0 otherwise. Masked actions are never chosen, greedy or random, and
//!   never enter the max of the target (a next state with no allowed action has value 0).

use burn::module::Module;
use burn::optim::{AdamConfig, ModuleOptimizer};
use burn::tensor::{Bool, Device, Int, Tensor};
use cinder_core::seeding::{EnvRng, rng_from_seed};
use cinder_core::train::{Metric, Snapshot};
use cinder_core::{ActionBatch, Space};
use cinder_data::ReplayBatch;
use cinder_nn::persist::{load_module, load_optim, save_module, save_optim};
use cinder_nn::tensors::{indices, matrix, read_floats};
use cinder_nn::{Activation, Mlp, MlpConfig, Schedule, descend, hard_update};
use rand::Rng;

use crate::batch::BatchTensors;
use crate::error::{OffPolicyError, check, check_training};
use crate::off_policy::{ActMode, Learned, OffPolicyLearner, counters, read_counters};

/// DQL's own hyper-parameters (the replay loop's are in
/// [`ReplayConfig`](crate::ReplayConfig)). Defaults are Pyrado's where it has the parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct DqlConfig {
    /// Hidden layer sizes of the Q-network.
    pub hidden: Vec<usize>,
    /// Non-linearity of the Q-network.
    pub activation: Activation,
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
    /// Double DQN targets.
    pub double: bool,
    /// The last `|A|` observation values are a mask of allowed actions.
    pub action_mask: bool,
}

impl Default for DqlConfig {
    fn default() -> Self {
        Self {
            hidden: vec![64, 64],
            activation: Activation::Relu,
            eps_init: 1.0,
            eps_schedule_gamma: 0.99,
            eps_final: 0.05,
            target_update_intvl: 5,
            max_grad_norm: Some(0.5),
            lr: 5e-4,
            lr_schedule: Schedule::Constant,
            double: true,
            action_mask: false,
        }
    }
}

impl DqlConfig {
    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), OffPolicyError> {
        let prob = |name, v: f64| check(name, v, (0.0..=1.0).contains(&v), "in [0, 1]");
        prob("eps_init", self.eps_init)?;
        prob("eps_final", self.eps_final)?;
        check(
            "eps_schedule_gamma",
            self.eps_schedule_gamma,
            self.eps_schedule_gamma > 0.0 && self.eps_schedule_gamma <= 1.0,
            "in (0, 1]",
        )?;
        check_training(
            self.target_update_intvl,
            &[("lr", self.lr)],
            self.max_grad_norm,
        )?;
        self.lr_schedule.validate("lr_schedule")?;
        Ok(())
    }
}

/// A value so low that a masked action never wins a max.
const MASKED_Q: f64 = -1e9;

/// The DQL learner: online and target Q-networks, Adam, ε-greedy acting.
pub struct Dql {
    config: DqlConfig,
    online: Mlp,
    target: Mlp,
    actor: Mlp,
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
    /// A learner for `observation_dim`-sized observations and a discrete `action_space`,
    /// learning on `device` and acting on `act_device`; `seed` drives ε-greedy choices.
    pub fn new(
        config: DqlConfig,
        observation_dim: usize,
        action_space: &Space,
        device: &Device,
        act_device: &Device,
        seed: u64,
    ) -> Result<Self, OffPolicyError> {
        config.validate()?;
        let Space::Discrete(discrete) = action_space else {
            return Err(OffPolicyError::UnsupportedSpace(format!(
                "DQL needs a discrete action space, got {action_space}"
            )));
        };
        let num_actions = discrete.n();
        if config.action_mask && observation_dim < num_actions {
            return Err(OffPolicyError::UnsupportedSpace(format!(
                "action_mask needs the last {num_actions} observation values, but observations \
                 have {observation_dim}"
            )));
        }
        let device = device.clone().autodiff();
        let online = MlpConfig::new(observation_dim, config.hidden.clone(), num_actions)
            .with_activation(config.activation)
            .init(&device)?;
        let target = online.valid();
        let actor = online.valid().to_device(act_device);
        Ok(Self {
            optim: AdamConfig::new().with_epsilon(1e-8).init(),
            online,
            target,
            actor,
            device,
            act_device: act_device.clone(),
            num_actions,
            obs_dim: observation_dim,
            rng: rng_from_seed(seed),
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

    /// `[B, A]` mask of allowed actions (the tail of the observations), plain device.
    fn mask(&self, observations: &Tensor<2>) -> Tensor<2, Bool> {
        let rows = observations.dims()[0];
        observations
            .clone()
            .slice([0..rows, self.obs_dim - self.num_actions..self.obs_dim])
            .greater_elem(0.5)
    }

    /// `Q'(s', ·)` reduced to one value per row: the max over allowed actions, or the target's
    /// value of the online network's choice (double DQN).
    fn next_values(&self, next_observations: Tensor<2>) -> Tensor<1> {
        let target_q = self.target.forward(next_observations.clone());
        let mask = self
            .config
            .action_mask
            .then(|| self.mask(&next_observations));
        let masked = |q: Tensor<2>| match &mask {
            Some(allowed) => q.mask_fill(allowed.clone().bool_not(), MASKED_Q),
            None => q,
        };
        let values = if self.config.double {
            let choice = masked(self.online.valid().forward(next_observations)).argmax(1);
            target_q.gather(1, choice)
        } else {
            masked(target_q).max_dim(1)
        };
        let values = values.squeeze_dim::<1>(1);
        match mask {
            // A state with no allowed action (terminal) has value 0.
            Some(allowed) => {
                let any = allowed.int().sum_dim(1).squeeze_dim::<1>(1).greater_elem(0);
                values.mask_fill(any.bool_not(), 0.0)
            }
            None => values,
        }
    }
}

/// Huber loss with δ = 1 (smooth L1): `½x²` for `|x| ≤ 1`, `|x| − ½` beyond.
fn huber(x: Tensor<1>) -> Tensor<1> {
    let abs = x.abs();
    let quadratic = abs.clone().clamp_max(1.0);
    quadratic.clone().powi_scalar(2).mul_scalar(0.5) + (abs - quadratic)
}

impl OffPolicyLearner for Dql {
    fn act(
        &mut self,
        observations: &[f32],
        num_envs: usize,
        mode: ActMode,
        _progress: f64,
    ) -> Result<ActionBatch, OffPolicyError> {
        let epsilon = match mode {
            ActMode::Random => 1.0,
            ActMode::Explore => self.epsilon(),
            ActMode::Greedy => 0.0,
        };
        let q = if epsilon < 1.0 {
            let obs = matrix(observations, num_envs, &self.act_device);
            read_floats(self.actor.forward(obs))?
        } else {
            Vec::new()
        };
        // Allowed actions: all, or those whose mask value (from observation index `m`) is 1.
        let (n, mask) = (
            self.num_actions,
            self.config
                .action_mask
                .then(|| self.obs_dim - self.num_actions),
        );
        let mut actions = Vec::with_capacity(num_envs);
        for i in 0..num_envs {
            let observation = &observations[i * self.obs_dim..(i + 1) * self.obs_dim];
            let allowed = || (0..n).filter(move |&a| mask.is_none_or(|m| observation[m + a] > 0.5));
            let count = allowed().count();
            if count == 0 {
                return Err(OffPolicyError::UnsupportedSpace(format!(
                    "environment {i} allows no action (its observation's mask is all zero)"
                )));
            }
            let action = if epsilon >= 1.0 || self.rng.random::<f64>() < epsilon {
                let k = self.rng.random_range(0..count);
                allowed().nth(k)
            } else {
                let row = &q[i * self.num_actions..(i + 1) * self.num_actions];
                allowed().max_by(|&a, &b| row[a].total_cmp(&row[b]))
            }
            .expect("at least one allowed action");
            actions.push(action);
        }
        Ok(ActionBatch::Discrete(actions))
    }

    fn update(&mut self, batch: &ReplayBatch, progress: f64) -> Result<Learned, OffPolicyError> {
        let ActionBatch::Discrete(actions) = &batch.actions else {
            return Err(OffPolicyError::UnsupportedSpace(
                "DQL replay batch holds continuous actions".into(),
            ));
        };
        let t = BatchTensors::new(batch, &self.device);
        let actions: Tensor<2, Int> = indices(actions, &self.device).unsqueeze_dim(1);
        let q = self
            .online
            .forward(t.observations.clone())
            .gather(1, actions)
            .squeeze_dim::<1>(1);
        let target = t.td_target(self.next_values(t.next_observations.clone()));
        let td = q.clone() - target.autodiff();
        let loss = (huber(td.clone()) * t.weights.clone()).mean();

        let lr = self.lr(progress);
        let mut grads = loss.backward();
        let online = self.online.clone();
        self.online = descend(
            online,
            &mut grads,
            &mut self.optim,
            lr,
            self.config.max_grad_norm,
        )?;
        self.updates += 1;
        if self.updates.is_multiple_of(self.config.target_update_intvl) {
            self.target = hard_update(self.target.clone(), &self.online.valid())?;
        }
        let td = td.detach().inner();
        Ok(Learned {
            stats: Tensor::cat(vec![loss.detach().inner(), q.detach().inner().mean()], 0),
            td_errors: td.abs(),
        })
    }

    fn stat_names(&self) -> &'static [&'static str] {
        &["q_loss", "q_mean"]
    }

    fn schedule_metrics(&self, progress: f64) -> Vec<Metric> {
        vec![
            Metric::new("epsilon", self.epsilon()),
            Metric::new("lr", self.lr(progress)),
        ]
    }

    fn end_iteration(&mut self) {
        self.iterations += 1;
        self.actor = self.online.valid().to_device(&self.act_device);
    }

    fn save(&self, snapshot: &mut Snapshot) -> Result<(), OffPolicyError> {
        save_module(snapshot, "q.bpk", &self.online)?;
        save_module(snapshot, "q_target.bpk", &self.target)?;
        save_optim(snapshot, "q_optim.bpk", &self.optim)?;
        snapshot.insert("counters.bin", counters(&[self.updates, self.iterations]));
        Ok(())
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), OffPolicyError> {
        let online = load_module(snapshot, "q.bpk", self.online.clone())?;
        let target = load_module(snapshot, "q_target.bpk", self.target.clone())?;
        let optim = load_optim(snapshot, "q_optim.bpk", self.optim.clone())?;
        let [updates, iterations] = read_counters(snapshot)?;
        self.online = online;
        self.target = target;
        self.optim = optim;
        self.updates = updates;
        self.iterations = iterations;
        self.actor = self.online.valid().to_device(&self.act_device);
        Ok(())
    }
}
