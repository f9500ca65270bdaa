//! Stochastic policies for policy-gradient methods: an MLP producing the parameters of a
//! categorical distribution (discrete actions) or the mean of a diagonal Gaussian with a
//! state-independent, learned log standard deviation (continuous actions).

use burn::module::{Module, Param};
use burn::tensor::{Device, Int, Tensor};
use cinder_core::{ActionBatch, Space};
use cinder_data::{Acted, Actor, SampleError};
use cinder_nn::{Activation, Categorical, DiagGaussian, Mlp, MlpConfig};

use crate::error::{PgError, check_range};
use cinder_nn::tensors::{indices, matrix, read_floats, read_indices};

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
    pub fn to_batch(self) -> Result<ActionBatch, PgError> {
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
    /// Hidden layer sizes (SB3's default for PPO: 64-64).
    pub hidden: Vec<usize>,
    /// Non-linearity between hidden layers.
    pub activation: Activation,
    /// Initial standard deviation of the Gaussian exploration noise (continuous actions).
    pub std_init: f64,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            hidden: vec![64, 64],
            activation: Activation::Tanh,
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
    /// A policy for `observation_space` and `action_space` on `device`; the output layer has
    /// gain 0.01 so the initial policy is near-uniform / near-zero-mean (Andrychowicz et al. 2021).
    pub fn new(
        config: &PolicyConfig,
        observation_space: &Space,
        action_space: &Space,
        device: &Device,
    ) -> Result<Self, PgError> {
        check_range(
            "std_init",
            config.std_init,
            config.std_init > 0.0,
            "a positive, finite standard deviation",
        )?;
        let input = observation_space.flat_dim();
        let (output, log_std) = match action_space {
            Space::Discrete(d) => (d.n(), None),
            Space::Box(b) => {
                let log_std = Tensor::<1>::full([b.flat_dim()], config.std_init.ln(), device);
                (b.flat_dim(), Some(Param::from_tensor(log_std)))
            }
        };
        let net = MlpConfig::new(input, config.hidden.clone(), output)
            .with_activation(config.activation)
            .with_output_gain(0.01)
            .init(device)?;
        Ok(Self { net, log_std })
    }

    /// The action distribution of each row of `observations` (`[batch, obs_dim]`).
    pub fn distribution(&self, observations: Tensor<2>) -> ActionDistribution {
        let out = self.net.forward(observations);
        match &self.log_std {
            None => ActionDistribution::Categorical(Box::new(Categorical::new(out))),
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

/// A policy acting on a device without autodiff: what the sampler drives.
#[derive(Debug, Clone)]
pub struct PolicyActor {
    policy: Policy,
    device: Device,
    deterministic: bool,
}

impl PolicyActor {
    /// Acts with a copy of `policy` on `device` (sampling, or the mode if `deterministic`).
    pub fn new(policy: &Policy, device: &Device, deterministic: bool) -> Self {
        Self {
            policy: policy.valid().to_device(device),
            device: device.clone(),
            deterministic,
        }
    }

    /// Replaces the acting weights with those of `policy` (after an update).
    pub fn sync(&mut self, policy: &Policy) {
        self.policy = policy.valid().to_device(&self.device);
    }
}

impl Actor for PolicyActor {
    fn act(&mut self, observations: &[f32], num_envs: usize) -> Result<Acted, SampleError> {
        let obs = matrix(observations, num_envs, &self.device);
        let dist = self.policy.distribution(obs);
        let actions = if self.deterministic {
            dist.mode()
        } else {
            dist.sample()
        };
        let log_probs = dist.log_prob(&actions);
        let to_sample_error = |e: String| SampleError::Actor(e);
        Ok(Acted {
            actions: actions
                .to_batch()
                .map_err(|e| to_sample_error(e.to_string()))?,
            log_probs: read_floats(log_probs).map_err(|e| to_sample_error(e.to_string()))?,
        })
    }
}
