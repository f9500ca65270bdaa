//! Policies, the networks that choose actions:
//!
//! - [`Policy`]: stochastic, an MLP producing the logits of a categorical distribution
//!   (discrete actions) or the mean of a diagonal Gaussian with a state-independent, learned
//!   log standard deviation (continuous actions): policy gradient and behaviour cloning.
//! - [`SquashedPolicy`]: a tanh-squashed Gaussian whose mean and log standard deviation both
//!   depend on the state (SAC).
//! - [`DeterministicPolicy`]: `μ(s) = tanh(MLP(s)) ∈ [-1, 1]^d` (DDPG).
//!
//! The network a learner trains is its *policy*; [`PolicyActor`] is a policy's *acting copy*
//! (no autodiff, on the acting device), refreshed with `sync` after each update.

use burn::module::{Module, Param};
use burn::tensor::{Bool, Device, Int, Tensor};
use cinder_core::actions::sample_valid;
use cinder_core::seeding::{EnvRng, rng_from_seed};
use cinder_core::{ActMode, Acted, ActionBatch, Actor, Observed, Space};
use cinder_nn::{Activation, Categorical, DiagGaussian, Mlp, NetConfig, TanhGaussian};
use cinder_policy::{Dense, Head};

use crate::batch::ActionScale;
use crate::error::{AgentError, check_positive};
use cinder_nn::tensors::{flags, indices, matrix, read_floats, read_indices};

/// A batch of actions as tensors.
#[derive(Debug, Clone)]
pub enum ActionTensor {
    /// `[batch]` indices.
    Discrete(Tensor<1, Int>),
    /// `[batch, action_dim]` values.
    Continuous(Tensor<2>),
}

impl ActionTensor {
    /// The actions of `batch` on `device`.
    pub fn from_batch(batch: &ActionBatch, rows: usize, device: &Device) -> Self {
        match batch {
            ActionBatch::Discrete(a) => ActionTensor::Discrete(indices(a, device)),
            ActionBatch::Continuous(a) => ActionTensor::Continuous(matrix(a, rows, device)),
        }
    }

    /// Rows `rows` of the batch.
    pub fn select(&self, rows: Tensor<1, Int>) -> Self {
        match self {
            ActionTensor::Discrete(a) => ActionTensor::Discrete(a.clone().select(0, rows)),
            ActionTensor::Continuous(a) => ActionTensor::Continuous(a.clone().select(0, rows)),
        }
    }

    /// The actions on the host.
    pub fn to_batch(self) -> Result<ActionBatch, AgentError> {
        Ok(match self {
            ActionTensor::Discrete(a) => ActionBatch::Discrete(read_indices(a)?),
            ActionTensor::Continuous(a) => ActionBatch::Continuous(read_floats(a)?),
        })
    }
}

/// The action distribution of a batch of observations.
#[derive(Debug, Clone)]
pub enum ActionDistribution {
    /// Discrete actions. (Both variants are boxed: a burn tensor handle is 640 bytes.)
    Categorical(Box<Categorical>),
    /// Continuous actions.
    Gaussian(Box<DiagGaussian>),
}

impl ActionDistribution {
    /// `log π(a | s)` per row → `[batch]`.
    ///
    /// # Panics
    ///
    /// If `actions` are of the other kind (discrete for a Gaussian or the reverse): actions
    /// come from the same policy, so that is a bug in the caller.
    pub fn log_prob(&self, actions: &ActionTensor) -> Tensor<1> {
        match (self, actions) {
            (ActionDistribution::Categorical(d), ActionTensor::Discrete(a)) => {
                d.log_prob(a.clone())
            }
            (ActionDistribution::Gaussian(d), ActionTensor::Continuous(a)) => d.log_prob(a.clone()),
            _ => unreachable!("a policy's actions always have its distribution's kind"),
        }
    }

    /// Entropy per row → `[batch]`.
    pub fn entropy(&self) -> Tensor<1> {
        match self {
            ActionDistribution::Categorical(d) => d.entropy(),
            ActionDistribution::Gaussian(d) => d.entropy(),
        }
    }

    /// A sampled action per row.
    pub fn sample(&self) -> ActionTensor {
        match self {
            ActionDistribution::Categorical(d) => ActionTensor::Discrete(d.sample()),
            ActionDistribution::Gaussian(d) => ActionTensor::Continuous(d.sample()),
        }
    }

    /// The most likely action per row.
    pub fn mode(&self) -> ActionTensor {
        match self {
            ActionDistribution::Categorical(d) => ActionTensor::Discrete(d.mode()),
            ActionDistribution::Gaussian(d) => ActionTensor::Continuous(d.mode()),
        }
    }
}

/// How a policy network is shaped.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyConfig {
    /// Hidden layers (SB3's default for PPO: 64-64 of tanh).
    pub net: NetConfig,
    /// Initial standard deviation of the Gaussian exploration noise (continuous actions).
    pub std_init: f64,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            net: NetConfig::new(&[64, 64], Activation::Tanh),
            std_init: 1.0,
        }
    }
}

/// A stochastic policy `π(a | s)`.
#[derive(Module, Debug)]
pub struct Policy {
    net: Mlp,
    /// Learned log standard deviation, one per action dimension (continuous actions only).
    log_std: Option<Param<Tensor<1>>>,
}

impl Policy {
    /// A policy for `observation_dim` inputs and `action_space` on `device`; the output layer
    /// has gain 0.01 so the initial policy is near-uniform / near-zero-mean (Andrychowicz et al.
    /// 2021).
    pub fn new(
        config: &PolicyConfig,
        observation_dim: usize,
        action_space: &Space,
        device: &Device,
    ) -> Result<Self, AgentError> {
        check_positive("std_init", config.std_init)?;
        let (output, log_std) = match action_space {
            Space::Discrete(d) => (d.n(), None),
            Space::Box(b) => {
                let log_std = Tensor::<1>::full([b.flat_dim()], config.std_init.ln(), device);
                (b.flat_dim(), Some(Param::from_tensor(log_std)))
            }
        };
        let net = (config.net)
            .mlp(observation_dim, output)
            .with_output_gain(0.01)
            .init(device)?;
        Ok(Self { net, log_std })
    }

    /// The action distribution of each row of `observations` (`[batch, obs_dim]`).
    pub fn distribution(&self, observations: Tensor<2>) -> ActionDistribution {
        self.distribution_masked(observations, None)
    }

    /// [`Policy::distribution`] with zero probability on the actions `allowed` (`[batch, n]`,
    /// discrete actions) forbids: never sampled nor the mode, and out of log-probabilities and
    /// the entropy. `None` allows every action; a box policy ignores it.
    pub fn distribution_masked(
        &self,
        observations: Tensor<2>,
        allowed: Option<Tensor<2, Bool>>,
    ) -> ActionDistribution {
        let out = self.net.forward(observations);
        match &self.log_std {
            None => ActionDistribution::Categorical(Box::new(match allowed {
                None => Categorical::new(out),
                Some(allowed) => Categorical::masked(out, allowed),
            })),
            Some(log_std) => {
                let dim = log_std.dims()[0];
                ActionDistribution::Gaussian(Box::new(DiagGaussian::new(
                    out,
                    log_std.val().reshape([1, dim]),
                )))
            }
        }
    }
}

impl Policy {
    /// The greedy acting of the policy for `action_space`, as an exported network: the mode
    /// (the largest logit; the Gaussian mean clipped into the box, as the environment takes it).
    pub fn graph(&self, action_space: &Space) -> Result<Exported, AgentError> {
        let head = match action_space {
            Space::Discrete(_) => Head::Argmax { imitator: None },
            Space::Box(b) => Head::Box {
                squash: false,
                scale: false,
                low: b.low().to_vec(),
                high: b.high().to_vec(),
            },
        };
        Ok(Exported {
            layers: self.net.dense_layers()?,
            head,
        })
    }
}

/// A network's greedy acting as plain data: its layers and head (what `cinder export` writes,
/// with the run's normalisation in front).
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    /// Dense layers, first first.
    pub layers: Vec<Dense>,
    /// How their outputs become the action.
    pub head: Head,
}

/// A [`Policy`]'s acting copy: no autodiff, on its own device (act on the CPU, learn
/// anywhere). Explores by sampling, is greedy with the mode, and draws uniformly from the
/// action space in [`ActMode::Random`].
#[derive(Debug, Clone)]
pub struct PolicyActor {
    policy: Policy,
    action_space: Space,
    device: Device,
    rng: EnvRng,
}

impl PolicyActor {
    /// Acts with a copy of `policy` (for `action_space`) on `device`; `seed` drives random
    /// actions.
    pub fn new(policy: &Policy, action_space: &Space, device: &Device, seed: u64) -> Self {
        Self {
            policy: policy.valid().to_device(device),
            action_space: action_space.clone(),
            device: device.clone(),
            rng: rng_from_seed(seed),
        }
    }

    /// The generator of random actions (for snapshots).
    pub fn rng(&self) -> &EnvRng {
        &self.rng
    }

    /// Puts back a generator saved with [`PolicyActor::rng`].
    pub fn set_rng(&mut self, rng: EnvRng) {
        self.rng = rng;
    }

    /// Replaces the acting weights with those of `policy` (after an update).
    pub fn sync(&mut self, policy: &Policy) {
        self.policy = policy.valid().to_device(&self.device);
    }

    /// The acting policy's greedy acting as an exported network ([`Policy::graph`]).
    pub fn graph(&self) -> Result<Exported, AgentError> {
        self.policy.graph(&self.action_space)
    }
}

impl Actor for PolicyActor {
    type Error = AgentError;

    /// Sampled, mode or random actions among the valid ones.
    fn act_masked(&mut self, observed: Observed<'_>, mode: ActMode) -> Result<Acted, AgentError> {
        let (obs, num_envs, masks) = (observed.values, observed.num_envs, observed.masks);
        let dist = match (mode, masks) {
            (ActMode::Random, None) => {
                let actions = ActionBatch::sample(&self.action_space, num_envs, &mut self.rng);
                return Ok(Acted::actions(actions));
            }
            (ActMode::Random, Some(masks)) => {
                let n = masks.len() / num_envs.max(1);
                let actions = masks
                    .chunks_exact(n.max(1))
                    .map(|valid| sample_valid(valid, &mut self.rng).unwrap_or(0))
                    .collect();
                return Ok(Acted::actions(ActionBatch::Discrete(actions)));
            }
            (ActMode::Explore | ActMode::Greedy, _) => {
                let allowed = masks.map(|m| flags(m, num_envs, &self.device));
                let observations = matrix(obs, num_envs, &self.device);
                self.policy.distribution_masked(observations, allowed)
            }
        };
        if mode == ActMode::Greedy {
            return Ok(Acted::actions(dist.mode().to_batch()?));
        }
        let actions = dist.sample();
        let log_probs = dist.log_prob(&actions);
        Ok(Acted {
            actions: actions.to_batch()?,
            log_probs: Some(read_floats(log_probs)?),
        })
    }
}

/// Bounds of a [`SquashedPolicy`]'s log standard deviation (SB3's `LOG_STD_MIN/MAX`).
const LOG_STD_BOUNDS: (f64, f64) = (-20.0, 2.0);

/// A tanh-squashed Gaussian policy (Haarnoja et al. 2018, appendix C): one MLP outputs
/// `[mean | log σ]` per state; actions are `tanh(u)`, `u ~ N(mean, σ²)`, in `[-1, 1]^d`.
#[derive(Module, Debug)]
pub struct SquashedPolicy {
    net: Mlp,
}

impl SquashedPolicy {
    /// A policy for `observation_dim` inputs and `action_dim` actions on `device`.
    pub fn new(
        observation_dim: usize,
        action_dim: usize,
        net: &NetConfig,
        device: &Device,
    ) -> Result<Self, AgentError> {
        let net = net.mlp(observation_dim, 2 * action_dim).init(device)?;
        Ok(Self { net })
    }

    /// The squashed Gaussian of each row of `observations`, log σ clamped to
    /// [`LOG_STD_BOUNDS`].
    pub fn distribution(&self, observations: Tensor<2>) -> TanhGaussian {
        let out = self.net.forward(observations);
        let [rows, width] = out.dims();
        let action_dim = width / 2;
        let mean = out.clone().slice([0..rows, 0..action_dim]);
        let log_std = out
            .slice([0..rows, action_dim..width])
            .clamp(LOG_STD_BOUNDS.0, LOG_STD_BOUNDS.1);
        TanhGaussian::new(mean, log_std)
    }

    /// The greedy action `tanh(mean)` scaled into the box of `scale`, as an exported network
    /// (the output layer keeps the mean's columns only).
    pub fn graph(&self, scale: &ActionScale) -> Result<Exported, AgentError> {
        let mut layers = self.net.dense_layers()?;
        if let Some(last) = layers.last_mut() {
            let dim = last.outputs / 2;
            last.weight = last
                .weight
                .chunks_exact(last.outputs)
                .flat_map(|row| row[..dim].to_vec())
                .collect();
            last.bias.truncate(dim);
            last.outputs = dim;
        }
        Ok(Exported {
            layers,
            head: scale.head(true, true),
        })
    }
}

/// A deterministic policy `μ(s) = tanh(MLP(s)) ∈ [-1, 1]^d` (Lillicrap et al. 2016).
#[derive(Module, Debug)]
pub struct DeterministicPolicy {
    net: Mlp,
}

impl DeterministicPolicy {
    /// A policy for `observation_dim` inputs and `action_dim` actions on `device`.
    pub fn new(
        observation_dim: usize,
        action_dim: usize,
        net: &NetConfig,
        device: &Device,
    ) -> Result<Self, AgentError> {
        let net = net.mlp(observation_dim, action_dim).init(device)?;
        Ok(Self { net })
    }

    /// `μ(s)` of each row of `observations`.
    pub fn forward(&self, observations: Tensor<2>) -> Tensor<2> {
        self.net.forward(observations).tanh()
    }

    /// `μ(s)` as an exported network: scaled into the box of `scale` when `scaled`, else
    /// clipped into it.
    pub fn graph(&self, scale: &ActionScale, scaled: bool) -> Result<Exported, AgentError> {
        Ok(Exported {
            layers: self.net.dense_layers()?,
            head: scale.head(true, scaled),
        })
    }
}
