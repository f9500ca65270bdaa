//! The actor-critic skeleton that DDPG, TD3 and SAC are instances of: a policy (deterministic
//! or squashed Gaussian) with its acting copy and, for the deterministic ones, a lagged target;
//! critics (one Q-network, or an ensemble evaluated as one batched network) with their lagged
//! targets; one Adam per side; the update counter and the host generator; save and load.
//!
//! An algorithm keeps its maths (the critics' target, the losses, the entropy coefficient) and
//! hands each loss to [`ActorCritic::critic_step`] or [`ActorCritic::policy_step`], which
//! differentiate it over the two halves of the minibatch on two threads and step the
//! optimiser ([`descend_halves`]); the policy's step runs beside the critics' target update.
//! Each side has its own layers, learning rate and gradient clip ([`Sides`]; Tianshou's
//! separate `actor` / `critic` modules and optimisers), one schedule moving both rates.

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Device, Tensor};
use cinder_agent::batch::continuous_actions;
use cinder_agent::error::{check, check_positive};
use cinder_agent::{
    ActionScale, AgentError, BatchTensors, DeterministicPolicy, Learned, Setup, SquashedPolicy,
};
use cinder_core::Snapshot;
use cinder_core::seeding::{EnvRng, rng_from_seed};
use cinder_data::ReplayBatch;
use cinder_nn::persist::{RNG_FILE, load_counters, load_json, load_module, load_optim};
use cinder_nn::persist::{save_counters, save_json, save_module, save_optim};
use cinder_nn::tensors::matrix;
use cinder_nn::{
    Descent, EnsembleMlp, Half, Mlp, NetConfig, Schedule, adam, add_up, descend_halves,
    descend_halves_beside, soft_update,
};

/// One side of the skeleton (the policy, or the critics): its hidden layers, its Adam learning
/// rate and its global gradient-norm clip.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    /// Hidden layers (each critic of an ensemble has these).
    pub net: NetConfig,
    /// Adam learning rate before the schedule.
    pub lr: f64,
    /// Global gradient-norm clip, or none.
    pub max_grad_norm: Option<f64>,
}

/// How the policy and the critics are built and optimised.
#[derive(Debug, Clone, PartialEq)]
pub struct Sides {
    /// The policy (Tianshou's `actor` and `actor_optim`).
    pub policy: Side,
    /// The critics (`critic` / `critic_optim`).
    pub critic: Side,
    /// The schedule of both learning rates, stepped per update (Pyrado's `lr_scheduler`).
    pub lr_schedule: Schedule,
}

impl Sides {
    /// Both sides with the layers `net`, the rate `lr` and the clip `max_grad_norm`; constant
    /// rates.
    pub fn tied(net: NetConfig, lr: f64, max_grad_norm: Option<f64>) -> Self {
        let side = Side {
            net,
            lr,
            max_grad_norm,
        };
        Self {
            policy: side.clone(),
            critic: side,
            lr_schedule: Schedule::Constant,
        }
    }

    /// Checks the rates, the clips and the schedule (named as the CLI's settings).
    pub fn validate(&self) -> Result<(), AgentError> {
        check_positive("lr", self.policy.lr)?;
        check_positive("critic_lr", self.critic.lr)?;
        for (name, clip) in [
            ("max_grad_norm", self.policy.max_grad_norm),
            ("critic_max_grad_norm", self.critic.max_grad_norm),
        ] {
            if let Some(clip) = clip {
                check(name, clip, clip > 0.0, "positive, or none")?;
            }
        }
        Ok(self.lr_schedule.validate("lr_schedule")?)
    }

    /// `side`'s learning rate after `updates` updates, `progress` of the budget used.
    pub fn lr(&self, side: &Side, progress: f64, updates: usize) -> f64 {
        self.lr_schedule.value(side.lr, progress, updates)
    }
}

/// A policy network of the skeleton: `[-1, 1]^d` actions from an MLP.
pub trait PolicyNet: Module + Sync {
    /// A fresh policy for `observation_dim` inputs and `action_dim` actions.
    fn build(
        observation_dim: usize,
        action_dim: usize,
        net: &NetConfig,
        device: &Device,
    ) -> Result<Self, AgentError>;
}

/// `PolicyNet` for the agent layer's policies, whose constructors take exactly its arguments.
macro_rules! policy_net {
    ($($policy:ty),+) => {$(
        impl PolicyNet for $policy {
            fn build(
                observation_dim: usize,
                action_dim: usize,
                net: &NetConfig,
                device: &Device,
            ) -> Result<Self, AgentError> {
                Self::new(observation_dim, action_dim, net, device)
            }
        }
    )+};
}

policy_net!(DeterministicPolicy, SquashedPolicy);

/// The critics of the skeleton (one Q-network, or twin ones as one ensemble) and the snapshot
/// files they and their targets are saved in.
pub trait Critics: Module + Sync {
    /// The critics' file (`critic.bpk` for one network, `critics.bpk` for an ensemble).
    const FILE: &'static str;
    /// Their target's file.
    const TARGET_FILE: &'static str;

    /// Fresh critics of `[s | a]` inputs of size `input`.
    fn build(input: usize, net: &NetConfig, device: &Device) -> Result<Self, AgentError>;

    /// `Q_j(s, a)` of every member `j` → `[members, B]`.
    fn q_values(&self, observations: Tensor<2>, actions: Tensor<2>) -> Tensor<2>;
}

impl Critics for Mlp {
    const FILE: &'static str = "critic.bpk";
    const TARGET_FILE: &'static str = "critic_target.bpk";

    fn build(input: usize, net: &NetConfig, device: &Device) -> Result<Self, AgentError> {
        Ok(net.mlp(input, 1).init(device)?)
    }

    fn q_values(&self, observations: Tensor<2>, actions: Tensor<2>) -> Tensor<2> {
        let rows = observations.dims()[0];
        self.forward(Tensor::cat(vec![observations, actions], 1))
            .reshape([1, rows])
    }
}

impl Critics for EnsembleMlp {
    const FILE: &'static str = "critics.bpk";
    const TARGET_FILE: &'static str = "critic_targets.bpk";

    /// Twin critics (clipped double Q).
    fn build(input: usize, net: &NetConfig, device: &Device) -> Result<Self, AgentError> {
        Ok(net.ensemble(2, input, 1).init(device)?)
    }

    fn q_values(&self, observations: Tensor<2>, actions: Tensor<2>) -> Tensor<2> {
        let rows = observations.dims()[0];
        self.forward_shared(Tensor::cat(vec![observations, actions], 1))
            .reshape([self.members(), rows])
    }
}

/// `min_j Q_j` → `[B]` from `[members, B]` values (clipped double Q).
pub fn min_over_members(q: Tensor<2>) -> Tensor<1> {
    let rows = q.dims()[1];
    q.min_dim(0).reshape([rows])
}

/// What the critics' loss on one half of a minibatch gives back: the loss (the half's rows'
/// sum divided by `half.total`), `Q_j(s, a)` and the TD errors, both `[members, rows]`.
pub struct CriticLoss {
    /// The loss to differentiate.
    pub loss: Tensor<1>,
    /// The critics' values of the stored actions.
    pub q: Tensor<2>,
    /// `Q_j(s, a) − y`.
    pub td: Tensor<2>,
}

impl CriticLoss {
    /// The importance-weighted squared TD loss of critics valued `q` (`[members, rows]`)
    /// against the target `y` (`[rows]`): `scale(Σ_j Σ_rows w (Q_j − y)²)`, where `scale`
    /// makes the sum a mean over the whole minibatch (and any factor of the algorithm's).
    pub fn squared(
        q: Tensor<2>,
        target: Tensor<1>,
        weights: Tensor<1>,
        scale: impl FnOnce(Tensor<1>) -> Tensor<1>,
    ) -> Self {
        let td = q.clone() - target.autodiff().unsqueeze::<2>();
        let loss = scale((td.clone().powi_scalar(2) * weights.unsqueeze::<2>()).sum());
        Self { loss, q, td }
    }
}

/// A critic step's statistics over the whole minibatch, detached.
pub struct CriticStats {
    /// The critics' loss.
    pub loss: Tensor<1>,
    /// The mean of `Q_j(s, a)` over members and rows.
    pub q_mean: Tensor<1>,
    /// `|δ|` per row, averaged over the members (prioritized replay's priorities).
    pub td_errors: Tensor<1>,
}

impl CriticStats {
    /// The update's [`Learned`]: the critics' loss, then `others`, then the mean Q (the order
    /// of the learner's `stat_names`).
    pub fn learned(self, others: Vec<Tensor<1>>) -> Learned {
        let mut stats = vec![self.loss];
        stats.extend(others);
        stats.push(self.q_mean);
        Learned {
            stats: Tensor::cat(stats, 0),
            td_errors: Some(self.td_errors),
        }
    }
}

/// The networks: what a loss reads.
pub struct Nets<P, C> {
    /// The policy being trained (on the learning device).
    pub policy: P,
    /// Its lagged copy (DDPG, TD3), or none (SAC samples from the policy itself).
    pub policy_target: Option<P>,
    /// The critics being trained.
    pub critics: C,
    /// Their lagged copies, on the plain learning device (no autodiff graph).
    pub critic_targets: C,
}

/// The skeleton: networks, optimisers, acting copy, action scaling, counters and generator.
pub struct ActorCritic<P, C> {
    /// The networks.
    pub nets: Nets<P, C>,
    policy_optim: ModuleOptimizer,
    critic_optim: ModuleOptimizer,
    sides: Sides,
    /// The policy's copy on the acting device (refreshed at the end of every iteration).
    pub acting: P,
    /// The action box ↔ `[-1, 1]^d`.
    pub scale: ActionScale,
    /// The learning device (autodiff).
    pub device: Device,
    act_device: Device,
    /// Random actions and exploration noise.
    pub rng: EnvRng,
    /// Gradient updates so far.
    pub updates: usize,
}

impl<P: PolicyNet, C: Critics> ActorCritic<P, C> {
    /// The skeleton of `learner` (named in errors) for `setup`'s bounded box action space:
    /// the policy, then the critics (the initial weights are drawn in that order), each with
    /// its side's hidden layers; the targets start as copies. The setup's seed drives the host
    /// generator.
    pub fn new(
        learner: &str,
        setup: &Setup,
        with_policy_target: bool,
        sides: &Sides,
    ) -> Result<Self, AgentError> {
        sides.validate()?;
        let scale = ActionScale::for_space(learner, &setup.action_space)?;
        let device = setup.device.clone().autodiff();
        let (observations, actions) = (setup.observation_dim(), scale.dim());
        let policy = P::build(observations, actions, &sides.policy.net, &device)?;
        let critics = C::build(observations + actions, &sides.critic.net, &device)?;
        Ok(Self {
            acting: policy.valid().to_device(&setup.act_device),
            nets: Nets {
                policy_target: with_policy_target.then(|| policy.valid()),
                critic_targets: critics.valid(),
                policy,
                critics,
            },
            policy_optim: adam(),
            critic_optim: adam(),
            sides: sides.clone(),
            scale,
            device,
            act_device: setup.act_device.clone(),
            rng: rng_from_seed(setup.seed),
            updates: 0,
        })
    }

    /// The minibatch's tensors and its stored actions in the policy's `[-1, 1]` units (mapped
    /// from the action box when `scaled`, else as stored); `learner` is named in errors.
    pub fn minibatch(
        &self,
        learner: &str,
        batch: &ReplayBatch,
        scaled: bool,
    ) -> Result<(BatchTensors, Tensor<2>), AgentError> {
        let actions = continuous_actions(batch, learner)?;
        let tensors = BatchTensors::new(batch, &self.device);
        let unit = if scaled {
            self.scale.env_to_unit(actions)
        } else {
            actions.to_vec()
        };
        Ok((tensors, matrix(&unit, batch.len(), &self.device)))
    }

    /// The policy's learning rate now, `progress` of the budget used.
    pub fn policy_lr(&self, progress: f64) -> f64 {
        self.sides.lr(&self.sides.policy, progress, self.updates)
    }

    /// One critic step: `loss(nets, critics, half)` of each half of a `rows`-row minibatch,
    /// differentiated with respect to the critics' fork it is given, at the critics' rate
    /// and clip (`progress` of the budget used).
    pub fn critic_step<F>(
        &mut self,
        rows: usize,
        progress: f64,
        loss: F,
    ) -> Result<CriticStats, AgentError>
    where
        F: Fn(&Nets<P, C>, C, &Half) -> CriticLoss + Sync,
    {
        let nets = &self.nets;
        let critic = &self.sides.critic;
        let descent = Descent {
            optim: &mut self.critic_optim,
            lr: self.sides.lr(critic, progress, self.updates),
            max_grad_norm: critic.max_grad_norm,
        };
        let (critics, parts) =
            descend_halves(nets.critics.clone(), &self.device, rows, descent, |c, h| {
                let CriticLoss { loss, q, td } = loss(nets, c, h);
                let members = q.dims()[0];
                let q_mean = q.sum().div_scalar((members * h.total) as f64);
                let stats = Tensor::cat(vec![loss.clone(), q_mean], 0).detach().inner();
                (loss, (stats, td.detach().inner()))
            })?;
        self.nets.critics = critics;
        let (stats, td): (Vec<_>, Vec<_>) = parts.into_iter().unzip();
        let stats = add_up(stats);
        Ok(CriticStats {
            loss: stats.clone().narrow(0, 0, 1),
            q_mean: stats.narrow(0, 1, 1),
            td_errors: Tensor::cat(td, 1).abs().mean_dim(0).reshape([rows]),
        })
    }

    /// One policy step through the critics (held fixed): `loss(critics, policy, half)` as in
    /// [`ActorCritic::critic_step`], with whatever else the half gives back, at the policy's
    /// rate and clip. With `move_targets`, the critics' targets move by `tau` on another
    /// thread while the policy steps, then the policy's target (if any) follows the stepped
    /// policy. Returns the policy's loss and the halves' extras.
    pub fn policy_step<S, F>(
        &mut self,
        rows: usize,
        progress: f64,
        (move_targets, tau): (bool, f64),
        loss: F,
    ) -> Result<(Tensor<1>, Vec<S>), AgentError>
    where
        S: Send,
        F: Fn(&C, P, &Half) -> (Tensor<1>, S) + Sync,
    {
        let lr = self.policy_lr(progress);
        let nets = &self.nets;
        let critics = nets.critics.clone().no_grad();
        let descent = Descent {
            optim: &mut self.policy_optim,
            lr,
            max_grad_norm: self.sides.policy.max_grad_norm,
        };
        let (policy, parts, critic_targets) = descend_halves_beside(
            nets.policy.clone(),
            &self.device,
            rows,
            descent,
            |p, h| {
                let (loss, extra) = loss(&critics, p, h);
                (loss.clone(), (loss.detach().inner(), extra))
            },
            || {
                move_targets
                    .then(|| soft_update(nets.critic_targets.clone(), &nets.critics.valid(), tau))
                    .transpose()
            },
        )?;
        self.nets.policy = policy;
        if let Some(critic_targets) = critic_targets? {
            self.nets.critic_targets = critic_targets;
            if let Some(target) = self.nets.policy_target.take() {
                let trained = self.nets.policy.valid();
                self.nets.policy_target = Some(soft_update(target, &trained, tau)?);
            }
        }
        let (losses, extras): (Vec<_>, Vec<_>) = parts.into_iter().unzip();
        Ok((add_up(losses), extras))
    }

    /// The device the acting copy lives on.
    pub fn act_device(&self) -> &Device {
        &self.act_device
    }

    /// Copies the trained policy to the acting device (at the end of every iteration).
    pub fn sync_acting(&mut self) {
        self.acting = self.nets.policy.valid().to_device(&self.act_device);
    }

    /// Adds the networks, optimiser states, update count and generator to `snapshot`.
    pub fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        save_module(snapshot, "policy.bpk", &self.nets.policy)?;
        save_module(snapshot, C::FILE, &self.nets.critics)?;
        if let Some(target) = &self.nets.policy_target {
            save_module(snapshot, "policy_target.bpk", target)?;
        }
        save_module(snapshot, C::TARGET_FILE, &self.nets.critic_targets)?;
        save_optim(snapshot, "policy_optim.bpk", &self.policy_optim)?;
        save_optim(snapshot, "critic_optim.bpk", &self.critic_optim)?;
        save_counters(snapshot, "counters.bin", &[self.updates]);
        save_json(snapshot, RNG_FILE, &self.rng)?;
        Ok(())
    }

    /// Reads what [`ActorCritic::save`] stored into new networks, optimisers and counters;
    /// `self` is left as it is, so a caller with files of its own can load them all first and
    /// commit together (a failure leaves the learner unchanged).
    pub fn loaded(&self, snapshot: &Snapshot) -> Result<Self, AgentError> {
        let nets = &self.nets;
        let policy = load_module(snapshot, "policy.bpk", nets.policy.clone())?;
        let policy_target = match &nets.policy_target {
            Some(target) => Some(load_module(snapshot, "policy_target.bpk", target.clone())?),
            None => None,
        };
        let [updates] = load_counters(snapshot, "counters.bin")?;
        Ok(Self {
            acting: policy.valid().to_device(&self.act_device),
            nets: Nets {
                policy,
                policy_target,
                critics: load_module(snapshot, C::FILE, nets.critics.clone())?,
                critic_targets: load_module(snapshot, C::TARGET_FILE, nets.critic_targets.clone())?,
            },
            policy_optim: load_optim(snapshot, "policy_optim.bpk", self.policy_optim.clone())?,
            critic_optim: load_optim(snapshot, "critic_optim.bpk", self.critic_optim.clone())?,
            sides: self.sides.clone(),
            scale: self.scale.clone(),
            device: self.device.clone(),
            act_device: self.act_device.clone(),
            rng: load_json(snapshot, RNG_FILE)?,
            updates,
        })
    }
}
