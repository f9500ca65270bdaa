//! The GAE critic: a value function `V(s)` with its own optimiser, estimating advantages with
//! generalised advantage estimation (Schulman et al. 2016) and fitting `V` to the TD(λ)
//! returns. One object serves A2C, PPO and PPO2, as Pyrado's `GAE` does.

use burn::module::Module;
use burn::optim::{AdamConfig, ModuleOptimizer};
use burn::tensor::Device;
use cinder_core::Space;
use cinder_core::seeding::EnvRng;
use cinder_data::Rollout;
use cinder_nn::{Activation, Mlp, MlpConfig};

use crate::error::{PgError, check_optimisation, check_range};
use crate::optimize::{accumulate, descend, minibatches};
use crate::tensors::{indices, matrix, read_floats, vector};

/// Hyper-parameters of the GAE critic (Pyrado's `GAE` names; SB3 defaults where Pyrado has
/// none).
#[derive(Debug, Clone, PartialEq)]
pub struct GaeConfig {
    /// Discount factor γ ∈ [0, 1].
    pub gamma: f64,
    /// GAE λ ∈ [0, 1] (Pyrado spells it `lamda`).
    pub lambda: f64,
    /// Passes over the rollout per value-function update.
    pub num_epoch: usize,
    /// Transitions per value-function minibatch.
    pub batch_size: usize,
    /// Standardise advantages to zero mean and unit variance over the rollout.
    pub standardize_adv: bool,
    /// Global gradient-norm clip of the value function, if any.
    pub max_grad_norm: Option<f64>,
    /// Adam learning rate of the value function.
    pub lr: f64,
    /// Hidden layers of the value network.
    pub hidden: Vec<usize>,
    /// Its non-linearity.
    pub activation: Activation,
}

impl Default for GaeConfig {
    fn default() -> Self {
        Self {
            gamma: 0.99,
            lambda: 0.95,
            num_epoch: 10,
            batch_size: 64,
            standardize_adv: true,
            max_grad_norm: None,
            lr: 5e-4,
            hidden: vec![64, 64],
            activation: Activation::Tanh,
        }
    }
}

impl GaeConfig {
    /// Checks every hyper-parameter's range.
    pub fn validate(&self) -> Result<(), PgError> {
        check_range(
            "gamma",
            self.gamma,
            (0.0..=1.0).contains(&self.gamma),
            "in [0, 1]",
        )?;
        check_range(
            "lambda",
            self.lambda,
            (0.0..=1.0).contains(&self.lambda),
            "in [0, 1]",
        )?;
        check_optimisation(self.lr, self.num_epoch, self.batch_size, self.max_grad_norm)
    }
}

/// Advantages, returns and values of every transition of a rollout.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimates {
    /// `A_t`, standardised if the critic is configured so.
    pub advantages: Vec<f32>,
    /// TD(λ) returns `G_t = A_t + V(s_t)` (from the raw advantages): the value targets.
    pub returns: Vec<f32>,
    /// `V(s_t)` before the update.
    pub values: Vec<f32>,
}

/// The critic: value network, its optimiser and the GAE settings.
pub struct Gae {
    vfcn: Mlp,
    optim: ModuleOptimizer,
    config: GaeConfig,
    device: Device,
}

impl Gae {
    /// A fresh critic for observations of `observation_space`, learning on `device` (an
    /// autodiff copy of it is used).
    pub fn new(
        config: GaeConfig,
        observation_space: &Space,
        device: &Device,
    ) -> Result<Self, PgError> {
        config.validate()?;
        let device = device.clone().autodiff();
        let vfcn = MlpConfig::new(observation_space.flat_dim(), config.hidden.clone(), 1)
            .with_activation(config.activation)
            .init(&device)?;
        Ok(Self {
            vfcn,
            optim: AdamConfig::new().with_epsilon(1e-8).init(),
            config,
            device,
        })
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &GaeConfig {
        &self.config
    }

    /// `V(s)` of `rows` observations given flat.
    pub fn values(&self, observations: &[f32], rows: usize) -> Result<Vec<f32>, PgError> {
        if rows == 0 {
            return Ok(Vec::new());
        }
        let obs = matrix(observations, rows, &self.device);
        read_floats(self.vfcn.valid().forward(obs.inner()))
    }

    /// GAE advantages and TD(λ) returns of `rollout`, with one forward pass over its
    /// observations, the final observations of truncated episodes and the last observations.
    pub fn gae(&self, rollout: &Rollout) -> Result<Estimates, PgError> {
        let dim = rollout.observation_dim;
        let (len, finals, lasts) = (rollout.len(), rollout.final_indices.len(), rollout.num_envs);
        let mut all = Vec::with_capacity((len + finals + lasts) * dim);
        all.extend_from_slice(&rollout.observations);
        all.extend_from_slice(&rollout.final_observations);
        all.extend_from_slice(&rollout.last_observations);
        let v = self.values(&all, len + finals + lasts)?;
        let (values, rest) = v.split_at(len);
        let (final_values, last_values) = rest.split_at(finals);
        let (mut advantages, returns) = rollout.advantages(
            values,
            final_values,
            last_values,
            self.config.gamma,
            self.config.lambda,
        );
        if self.config.standardize_adv {
            standardize(&mut advantages);
        }
        Ok(Estimates {
            advantages,
            returns,
            values: values.to_vec(),
        })
    }

    /// The TD(λ) returns of `rollout` (the value targets).
    pub fn tdlamda_returns(&self, rollout: &Rollout) -> Result<Vec<f32>, PgError> {
        Ok(self.gae(rollout)?.returns)
    }

    /// Fits `V` to `returns` by mean squared error over `num_epoch` shuffled passes; returns
    /// the mean loss of the last pass.
    pub fn update(
        &mut self,
        rollout: &Rollout,
        returns: &[f32],
        rng: &mut EnvRng,
    ) -> Result<f32, PgError> {
        let n = rollout.len();
        let obs = matrix(&rollout.observations, n, &self.device);
        let targets = vector(returns, &self.device);
        // Only the last pass's loss is reported: earlier passes add no statistics ops.
        let mut last_epoch_loss = None;
        for epoch in 0..self.config.num_epoch {
            let last_epoch = epoch + 1 == self.config.num_epoch;
            let batches = minibatches(n, self.config.batch_size, rng);
            let count = batches.len() as f64;
            for batch in batches {
                let rows = indices(&batch, &self.device);
                let predicted = self.vfcn.forward(obs.clone().select(0, rows.clone()));
                let target = targets.clone().select(0, rows).reshape([batch.len(), 1]);
                let loss = (predicted - target).powi_scalar(2).mean();
                if last_epoch {
                    accumulate(&mut last_epoch_loss, loss.clone().detach().inner() / count);
                }
                self.vfcn = descend(
                    self.vfcn.clone(),
                    &mut self.optim,
                    loss,
                    self.config.lr,
                    self.config.max_grad_norm,
                )?;
            }
        }
        let loss = match last_epoch_loss {
            Some(l) => read_floats(l)?[0],
            None => 0.0,
        };
        if !loss.is_finite() {
            return Err(PgError::NonFinite {
                what: "value-function loss",
                value: loss,
            });
        }
        Ok(loss)
    }
}

/// `(x − mean) / (std + 1e-8)` in place.
fn standardize(x: &mut [f32]) {
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
    let std = var.sqrt();
    for v in x {
        *v = ((f64::from(*v) - mean) / (std + 1e-8)) as f32;
    }
}
