//! Discrete batch-constrained Q-learning (Fujimoto et al. 2019, "Benchmarking Batch Deep
//! Reinforcement Learning Algorithms", arXiv:1910.01708), Tianshou's `DiscreteBCQPolicy`:
//!
//! - an imitator `G(a | s) = softmax(logits(s))` learns the dataset's behaviour by NLL;
//! - only actions with `G(a | s) / max_a' G(a' | s) ≥ τ` (`unlikely_action_threshold`) may be
//!   chosen (the paper's eq. 17; τ = 0: any action). The ratio is taken on log-probabilities,
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
//! - action masks (Tianshou's `obs.mask`): the environments' masks stored with the next states
//!   of a saved replay memory and, with `action_mask`, the last `|A|` values of every
//!   observation; a masked action is never chosen, acting or in the target;
//! - acting: the best allowed action, or with probability `eval_eps` a uniformly random one.

use burn::module::Module;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Bool, Int, Tensor};
use cinder_agent::batch::discrete_actions;
use cinder_agent::error::{check, check_max_grad_norm, check_positive, check_unit_interval};
use cinder_agent::q::{
    allowed_actions, both_masks, check_exportable, discrete_action_count, greedy_graph, huber,
    mask_q, next_action_mask,
};
use cinder_agent::q_learning::{q_taken, td_error};
use cinder_agent::{
    AgentError, BatchTensors, Exported, Learned, QLearning, QNets, ReplayLearner, Setup,
};
use cinder_core::{ActMode, Acted, ActionBatch, Actor, Observed, Snapshot};
use cinder_data::ReplayBatch;
use cinder_nn::tensors::{flags, indices, matrix, read_indices};
use cinder_nn::{Activation, Mlp, NetConfig, Schedule, descend};

/// BCQ's hyper-parameters (Tianshou's names; `gamma`, `estimation_step` and
/// `reward_normalization` shape the targets and live in
/// [`OfflineConfig`](crate::OfflineConfig)).
#[derive(Debug, Clone, PartialEq)]
pub struct BcqConfig {
    /// Hidden layer sizes of the Q-network and of the imitator.
    pub net: NetConfig,
    /// Adam learning rate (one optimiser over both networks, as in Tianshou).
    pub lr: f64,
    /// Learning-rate schedule over the updates (Tianshou's `lr_scheduler`).
    pub lr_schedule: Schedule,
    /// Updates between two copies of the Q-network into its target; 0: no target network.
    pub target_update_freq: usize,
    /// Probability of a random action when acting.
    pub eval_eps: f64,
    /// τ: actions less likely than τ times the most likely one are never chosen (0: no
    /// filter).
    pub unlikely_action_threshold: f64,
    /// Weight of the mean squared imitation logits in the loss.
    pub imitation_logits_penalty: f64,
    /// Double-Q targets.
    pub is_double: bool,
    /// Huber TD loss (Mnih et al. 2015's gradient clipping) instead of the squared error.
    /// Tianshou's `DiscreteBCQPolicy.learn` always uses the Huber loss (`smooth_l1_loss`)
    /// whatever its inherited `clip_loss_grad` says, hence this default.
    pub clip_loss_grad: bool,
    /// Global gradient-norm clip, or none.
    pub max_grad_norm: Option<f64>,
    /// The last |A| observation values are a mask of allowed actions (1 allowed).
    pub action_mask: bool,
}

impl Default for BcqConfig {
    /// Tianshou's defaults (`target_update_freq` 8000, `eval_eps` 0.001, τ = 0.3, penalty
    /// 0.01, double Q) with its CartPole test's networks (two hidden layers of 64) and lr.
    fn default() -> Self {
        Self {
            net: NetConfig::new(&[64, 64], Activation::Relu),
            lr: 1e-3,
            lr_schedule: Schedule::Constant,
            target_update_freq: 8000,
            eval_eps: 0.001,
            unlikely_action_threshold: 0.3,
            imitation_logits_penalty: 0.01,
            is_double: true,
            clip_loss_grad: true,
            max_grad_norm: None,
            action_mask: false,
        }
    }
}

impl BcqConfig {
    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), AgentError> {
        check_positive("lr", self.lr)?;
        self.lr_schedule.validate("lr_schedule")?;
        check_unit_interval("eval_eps", self.eval_eps)?;
        check(
            "unlikely_action_threshold",
            self.unlikely_action_threshold,
            (0.0..=1.0).contains(&self.unlikely_action_threshold),
            "in [0, 1] (0: no filter; 1 keeps only the imitator's most likely action)",
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
    /// The actions of each row of `observations` that the imitator allows at τ = `threshold`
    /// (none: no filter) and `valid` allows (none: all).
    fn allowed(
        &self,
        observations: Tensor<2>,
        threshold: Option<f64>,
        valid: Option<Tensor<2, Bool>>,
    ) -> Option<Tensor<2, Bool>> {
        let likely = threshold.map(|t| allowed_by_imitator(self.imitator.forward(observations), t));
        both_masks(likely, valid)
    }

    /// The best action of each row of `observations` (`[B]`) the imitator allows among the
    /// `valid` ones (all without masks).
    fn greedy(
        &self,
        observations: Tensor<2>,
        threshold: Option<f64>,
        valid: Option<Tensor<2, Bool>>,
    ) -> Tensor<1, Int> {
        let q = self.q.forward(observations.clone());
        let q = match self.allowed(observations, threshold, valid) {
            Some(allowed) => mask_q(q, &allowed),
            None => q,
        };
        let [rows, _] = q.dims();
        q.argmax(1).reshape([rows])
    }
}

impl QNets for BcqNets {
    fn q(&self) -> &Mlp {
        &self.q
    }
}

/// The discrete BCQ learner: the Q-network and the imitator with the Q target and their acting
/// copy ([`QLearning`]).
pub struct Bcq {
    config: BcqConfig,
    ql: QLearning<BcqNets>,
}

impl Bcq {
    /// A learner for `setup`'s spaces (a discrete action space); the setup's seed drives
    /// random actions.
    pub fn new(config: BcqConfig, setup: &Setup) -> Result<Self, AgentError> {
        config.validate()?;
        let num_actions = discrete_action_count("discrete BCQ", setup, config.action_mask)?;
        let observation_dim = setup.observation_dim();
        let ql = QLearning::new("bcq", setup, num_actions, |device| {
            let net = || config.net.mlp(observation_dim, num_actions).init(device);
            Ok(BcqNets {
                q: net()?,
                imitator: net()?,
            })
        })?;
        Ok(Self { config, ql })
    }

    /// The trained networks.
    pub fn nets(&self) -> &BcqNets {
        &self.ql.nets
    }

    /// τ as a filter: none at τ = 0 (every action passes).
    fn threshold(&self) -> Option<f64> {
        let tau = self.config.unlikely_action_threshold;
        (tau > 0.0).then_some(tau)
    }
}

impl Actor for Bcq {
    type Error = AgentError;

    /// The best valid action the imitator allows, replaced with probability `eval_eps` by a
    /// uniformly random valid one (always random in [`ActMode::Random`]); where the imitator
    /// allows no valid action, a random valid one.
    fn act_masked(&mut self, observed: Observed<'_>, mode: ActMode) -> Result<Acted, AgentError> {
        let (obs, num_envs, masks) = (observed.values, observed.num_envs, observed.masks);
        let epsilon = match mode {
            ActMode::Random => 1.0,
            ActMode::Explore | ActMode::Greedy => self.config.eval_eps,
        };
        let (n, carried, threshold) = (
            self.ql.num_actions,
            self.config.action_mask,
            self.threshold(),
        );
        let dim = obs.len() / num_envs.max(1);
        // What the environments and the observations allow, row by row (none: everything).
        let valid: Option<Vec<bool>> = (masks.is_some() || carried).then(|| {
            (0..num_envs)
                .flat_map(|i| {
                    let mut row = vec![false; n];
                    for a in allowed_actions(&obs[i * dim..(i + 1) * dim], n, carried) {
                        row[a] = masks.is_none_or(|m| m[i * n + a]);
                    }
                    row
                })
                .collect()
        });
        let ql = &mut self.ql;
        let greedy = if epsilon < 1.0 {
            let input = matrix(obs, num_envs, ql.act_device());
            let device_valid = valid.as_ref().map(|v| flags(v, num_envs, ql.act_device()));
            read_indices(ql.acting.greedy(input, threshold, device_valid))?
        } else {
            vec![0; num_envs]
        };
        let is_valid = |i: usize, a: usize| valid.as_ref().is_none_or(|v| v[i * n + a]);
        let mut actions = Vec::with_capacity(num_envs);
        for (i, best) in greedy.into_iter().enumerate() {
            let allowed = (0..n).filter(move |&a| is_valid(i, a));
            let chosen = match ql.epsilon_greedy(epsilon, allowed.clone(), |_| Some(best)) {
                Some(a) if is_valid(i, a) => Some(a),
                _ => ql.epsilon_greedy(1.0, allowed, |_| None),
            };
            actions.push(chosen.ok_or_else(|| {
                AgentError::UnsupportedSpace(format!(
                    "environment {i} allows no action (its masks leave none)"
                ))
            })?);
        }
        Ok(Acted::actions(ActionBatch::Discrete(actions)))
    }
}

impl ReplayLearner for Bcq {
    fn update(&mut self, batch: &ReplayBatch, progress: f64) -> Result<Learned, AgentError> {
        let actions = discrete_actions(batch, "BCQ")?;
        let threshold = self.threshold();
        let (config, ql) = (&self.config, &mut self.ql);
        let t = BatchTensors::new(batch, &ql.device);
        let actions = indices(actions, &ql.device);
        let q = q_taken(&ql.nets.q, t.observations.clone(), actions.clone());
        let logits = ql.nets.imitator.forward(t.observations.clone());

        // The target, without a graph: next actions the trained imitator and the masks allow.
        let trained = ql.nets.valid();
        let masks = next_action_mask(
            &t.next_observations,
            batch.next_masks.as_deref(),
            0..batch.len(),
            ql.num_actions,
            config.action_mask,
            &ql.device,
        );
        let allowed = trained.allowed(t.next_observations.clone(), threshold, masks);
        let target_net = if config.target_update_freq > 0 {
            &ql.target
        } else {
            &trained.q
        };
        let networks = (&trained.q, target_net);
        let td = td_error(q.clone(), &t, networks, config.is_double, allowed);
        let td_errors = td.clone().detach().inner().abs();
        let q_loss = if config.clip_loss_grad {
            huber(td).mean()
        } else {
            td.powi_scalar(2).mean()
        };
        let i_loss = log_softmax(logits.clone(), 1)
            .gather(1, actions.unsqueeze_dim(1))
            .mean()
            .neg();
        let reg_loss = logits.powi_scalar(2).mean();
        let loss = q_loss.clone()
            + i_loss.clone()
            + reg_loss.clone().mul_scalar(config.imitation_logits_penalty);

        let mut grads = loss.backward();
        let lr = config.lr_schedule.value(config.lr, progress, ql.updates);
        let nets = descend(
            ql.nets.clone(),
            &mut grads,
            &mut ql.optim,
            lr,
            config.max_grad_norm,
        )?;
        ql.updated(nets, config.target_update_freq)?;
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
        self.ql.sync_acting();
    }

    fn graph(&self) -> Result<Exported, AgentError> {
        check_exportable(self.config.action_mask)?;
        let nets = &self.ql.acting;
        let imitator = self.threshold().map(|t| (&nets.imitator, t));
        greedy_graph(&nets.q, imitator)
    }

    fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        self.ql.save(snapshot, &[])
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        let [_updates] = self.ql.load(snapshot)?;
        Ok(())
    }
}
