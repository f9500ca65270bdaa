//! Discrete batch-constrained Q-learning (Fujimoto et al. 2019, "Benchmarking Batch Deep
//! Reinforcement Learning Algorithms", arXiv:1910.01708), Tianshou's `DiscreteBCQPolicy`:
//!
//! - an imitator `G(a | s) = softmax(logits(s))` learns the dataset's behaviour by NLL;
//! - only actions with `G(a | s) / max_a' G(a' | s) ≥ τ` (`unlikely_action_threshold`) may be
//!   chosen (the paper's eq. 17). The ratio is taken on log-probabilities,
//!   `log G(a|s) − max log G = logit(a) − max logit ≥ ln τ`, as the paper defines it.
//!   (Tianshou's CartPole test feeds softmax *outputs* to this test as if they were logits,
//!   so there `τ` bounds a difference of probabilities instead; our `τ` keeps the paper's
//!   meaning);
//! - target `y = R^{(k)} + γ^k (1 − terminated) Q'(s', a*)` with
//!   `a* = argmax_{allowed a} Q(s', a)` from the trained network (`is_double`; otherwise
//!   `max_{allowed a} Q'(s', a)`), `Q'` copied from `Q` every `target_update_freq` updates
//!   (0: no target network);
//! - loss = TD loss (Huber with `clip_loss_grad`, else squared error) + NLL of the logged
//!   action under `G` + `imitation_logits_penalty` · mean(logits²);
//! - acting: the best allowed action, or with probability `eval_eps` a uniformly random one.

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Bool, Device, Int, Tensor};
use cinder_agent::batch::discrete_actions;
use cinder_agent::error::{check, check_max_grad_norm, check_positive, check_unit_interval};
use cinder_agent::q::{discrete_action_count, huber, mask_q, next_state_values};
use cinder_agent::{AgentError, BatchTensors, Learned, ReplayLearner, Setup};
use cinder_core::seeding::{EnvRng, rng_from_seed};
use cinder_core::{ActMode, Acted, ActionBatch, Actor, Snapshot};
use cinder_data::ReplayBatch;
use cinder_nn::persist::{RNG_FILE, load_counters, load_json, load_module, load_optim};
use cinder_nn::persist::{save_counters, save_json, save_module, save_optim};
use cinder_nn::tensors::{indices, matrix, read_indices};
use cinder_nn::{Activation, Mlp, NetConfig, adam, descend, hard_update};
use rand::Rng;

/// BCQ's hyper-parameters (Tianshou's names; `gamma`, `estimation_step` and
/// `reward_normalization` shape the targets and live in
/// [`OfflineConfig`](crate::OfflineConfig)).
#[derive(Debug, Clone, PartialEq)]
pub struct BcqConfig {
    /// Hidden layer sizes of the Q-network and of the imitator.
    pub net: NetConfig,
    /// Adam learning rate (one optimiser over both networks, as in Tianshou).
    pub lr: f64,
    /// Updates between two copies of the Q-network into its target; 0: no target network.
    pub target_update_freq: usize,
    /// Probability of a random action when acting.
    pub eval_eps: f64,
    /// τ: actions less likely than τ times the most likely one are never chosen.
    pub unlikely_action_threshold: f64,
    /// Weight of the mean squared imitation logits in the loss.
    pub imitation_logits_penalty: f64,
    /// Double-Q targets.
    pub is_double: bool,
    /// Huber TD loss (Mnih et al. 2015's gradient clipping) instead of the squared error.
    /// Tianshou's `DiscreteBCQPolicy` always uses the Huber loss, hence this default.
    pub clip_loss_grad: bool,
    /// Global gradient-norm clip, or none.
    pub max_grad_norm: Option<f64>,
}

impl Default for BcqConfig {
    /// Tianshou's defaults (`target_update_freq` 8000, `eval_eps` 0.001, τ = 0.3, penalty
    /// 0.01, double Q) with its CartPole test's networks (two hidden layers of 64) and lr.
    fn default() -> Self {
        Self {
            net: NetConfig::new(&[64, 64], Activation::Relu),
            lr: 1e-3,
            target_update_freq: 8000,
            eval_eps: 0.001,
            unlikely_action_threshold: 0.3,
            imitation_logits_penalty: 0.01,
            is_double: true,
            clip_loss_grad: true,
            max_grad_norm: None,
        }
    }
}

impl BcqConfig {
    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), AgentError> {
        check_positive("lr", self.lr)?;
        check_unit_interval("eval_eps", self.eval_eps)?;
        check(
            "unlikely_action_threshold",
            self.unlikely_action_threshold,
            self.unlikely_action_threshold > 0.0 && self.unlikely_action_threshold <= 1.0,
            "in (0, 1] (1 keeps only the imitator's most likely action)",
        )?;
        check(
            "imitation_logits_penalty",
            self.imitation_logits_penalty,
            self.imitation_logits_penalty >= 0.0,
            "at least 0",
        )?;
        check_max_grad_norm(self.max_grad_norm)
    }
}

/// `[B, A]`: the actions whose imitator ratio to the row's most likely action is at least
/// `threshold`, i.e. `logit(a) − max logit ≥ ln threshold`. The most likely action is always
/// allowed.
pub fn allowed_by_imitator(logits: Tensor<2>, threshold: f64) -> Tensor<2, Bool> {
    let max = logits.clone().max_dim(1);
    (logits - max).greater_equal_elem(threshold.ln())
}

/// The Q-network and the imitator, trained together by one optimiser.
#[derive(Module, Debug)]
pub struct BcqNets {
    /// `s → Q(s, ·)`.
    pub q: Mlp,
    /// `s → logits of G(· | s)`.
    pub imitator: Mlp,
}

impl BcqNets {
    /// The best allowed action of each row of `observations` (`[B]`).
    fn greedy(&self, observations: Tensor<2>, threshold: f64) -> Tensor<1, Int> {
        let allowed = allowed_by_imitator(self.imitator.forward(observations.clone()), threshold);
        let q = mask_q(self.q.forward(observations), &allowed);
        let [rows, _] = q.dims();
        q.argmax(1).reshape([rows])
    }
}

/// The discrete BCQ learner.
pub struct Bcq {
    config: BcqConfig,
    nets: BcqNets,
    target: Mlp,
    acting: BcqNets,
    optim: ModuleOptimizer,
    device: Device,
    act_device: Device,
    num_actions: usize,
    rng: EnvRng,
    updates: usize,
}

impl Bcq {
    /// A learner for `setup`'s spaces (a discrete action space); the setup's seed drives
    /// random actions.
    pub fn new(config: BcqConfig, setup: &Setup) -> Result<Self, AgentError> {
        config.validate()?;
        let num_actions = discrete_action_count("discrete BCQ", setup, false)?;
        let observation_dim = setup.observation_dim();
        let device = setup.device.clone().autodiff();
        let net = || (config.net).mlp(observation_dim, num_actions).init(&device);
        let nets = BcqNets {
            q: net()?,
            imitator: net()?,
        };
        Ok(Self {
            optim: adam(),
            target: nets.q.valid(),
            acting: nets.valid().to_device(&setup.act_device),
            nets,
            device,
            act_device: setup.act_device.clone(),
            num_actions,
            rng: rng_from_seed(setup.seed),
            updates: 0,
            config,
        })
    }

    /// The trained networks.
    pub fn nets(&self) -> &BcqNets {
        &self.nets
    }
}

impl Actor for Bcq {
    type Error = AgentError;

    /// The best action the imitator allows, replaced with probability `eval_eps` by a
    /// uniformly random one (always random in [`ActMode::Random`]).
    fn act(&mut self, obs: &[f32], num_envs: usize, mode: ActMode) -> Result<Acted, AgentError> {
        let epsilon = match mode {
            ActMode::Random => 1.0,
            ActMode::Explore | ActMode::Greedy => self.config.eval_eps,
        };
        let greedy = if epsilon < 1.0 {
            let input = matrix(obs, num_envs, &self.act_device);
            let threshold = self.config.unlikely_action_threshold;
            read_indices(self.acting.greedy(input, threshold))?
        } else {
            vec![0; num_envs]
        };
        let actions = greedy
            .into_iter()
            .map(|best| {
                if epsilon > 0.0 && self.rng.random::<f64>() < epsilon {
                    self.rng.random_range(0..self.num_actions)
                } else {
                    best
                }
            })
            .collect();
        Ok(Acted::actions(ActionBatch::Discrete(actions)))
    }
}

impl ReplayLearner for Bcq {
    fn update(&mut self, batch: &ReplayBatch, _progress: f64) -> Result<Learned, AgentError> {
        let actions = discrete_actions(batch, "BCQ")?;
        let t = BatchTensors::new(batch, &self.device);
        let [rows, _] = t.observations.dims();
        let actions: Tensor<2, Int> = indices(actions, &self.device).reshape([rows, 1]);
        let q = self
            .nets
            .q
            .forward(t.observations.clone())
            .gather(1, actions.clone())
            .reshape([rows]);
        let logits = self.nets.imitator.forward(t.observations.clone());

        // The target, without a graph: allowed next actions from the trained imitator.
        let trained = self.nets.valid();
        let allowed = allowed_by_imitator(
            trained.imitator.forward(t.next_observations.clone()),
            self.config.unlikely_action_threshold,
        );
        let target_net = if self.config.target_update_freq > 0 {
            &self.target
        } else {
            &trained.q
        };
        let next_values = next_state_values(
            &trained.q,
            target_net,
            t.next_observations.clone(),
            self.config.is_double,
            Some(allowed),
        );
        let td = q.clone() - t.td_target(next_values).autodiff();
        let td_errors = td.clone().detach().inner().abs();
        let q_loss = if self.config.clip_loss_grad {
            huber(td).mean()
        } else {
            td.powi_scalar(2).mean()
        };
        let i_loss = log_softmax(logits.clone(), 1)
            .gather(1, actions)
            .mean()
            .neg();
        let reg_loss = logits.powi_scalar(2).mean();
        let loss = q_loss.clone()
            + i_loss.clone()
            + reg_loss
                .clone()
                .mul_scalar(self.config.imitation_logits_penalty);

        let mut grads = loss.backward();
        self.nets = descend(
            self.nets.clone(),
            &mut grads,
            &mut self.optim,
            self.config.lr,
            self.config.max_grad_norm,
        )?;
        self.updates += 1;
        let freq = self.config.target_update_freq;
        if freq > 0 && self.updates.is_multiple_of(freq) {
            self.target = hard_update(self.target.clone(), &self.nets.q.valid())?;
        }
        let stats = [loss, q_loss, i_loss, reg_loss, q.mean()];
        Ok(Learned {
            stats: Tensor::cat(stats.into_iter().map(|s| s.detach().inner()).collect(), 0),
            td_errors: Some(td_errors),
        })
    }

    fn stat_names(&self) -> Vec<&'static str> {
        vec!["loss", "q_loss", "i_loss", "reg_loss", "q_mean"]
    }

    fn end_iteration(&mut self) {
        self.acting = self.nets.valid().to_device(&self.act_device);
    }

    fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        save_module(snapshot, "bcq.bpk", &self.nets)?;
        save_module(snapshot, "q_target.bpk", &self.target)?;
        save_optim(snapshot, "bcq_optim.bpk", &self.optim)?;
        save_counters(snapshot, "counters.bin", &[self.updates]);
        save_json(snapshot, RNG_FILE, &self.rng)?;
        Ok(())
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        let nets = load_module(snapshot, "bcq.bpk", self.nets.clone())?;
        let target = load_module(snapshot, "q_target.bpk", self.target.clone())?;
        let optim = load_optim(snapshot, "bcq_optim.bpk", self.optim.clone())?;
        let [updates] = load_counters(snapshot, "counters.bin")?;
        let rng = load_json(snapshot, RNG_FILE)?;
        self.nets = nets;
        self.target = target;
        self.optim = optim;
        self.updates = updates;
        self.rng = rng;
        self.acting = self.nets.valid().to_device(&self.act_device);
        Ok(())
    }
}
