//! A replay minibatch as tensors, and the affine map between a box action space and the unit
//! cube `[-1, 1]^d` the continuous-action networks work in.

use burn::tensor::{Device, Tensor};
use cinder_core::space::BoxSpace;
use cinder_core::{ActionBatch, Space};
use cinder_data::ReplayBatch;
use cinder_nn::Half;
use cinder_nn::tensors::{matrix, vector};
use cinder_policy::Head;
use rand::Rng;

use crate::error::AgentError;

/// The parts of a [`ReplayBatch`] every learner reads. Observations go to the autodiff
/// device (the trained networks' input); everything the targets are computed from stays on
/// the plain device, where no graph is recorded.
pub struct BatchTensors {
    /// `[B, obs_dim]` `s_t`, autodiff device.
    pub observations: Tensor<2>,
    /// `[B, obs_dim]` bootstrap observations, plain device.
    pub next_observations: Tensor<2>,
    /// `[B]` discounted reward sums, plain device.
    pub returns: Tensor<1>,
    /// `[B]` bootstrap weights `γ^k (1 − terminated)`, plain device.
    pub discounts: Tensor<1>,
    /// `[B]` importance weights, autodiff device.
    pub weights: Tensor<1>,
}

impl BatchTensors {
    /// Uploads `batch`; `device` is the autodiff learning device.
    pub fn new(batch: &ReplayBatch, device: &Device) -> Self {
        let n = batch.len();
        let plain = device.clone().inner();
        Self {
            observations: matrix(&batch.observations, n, device),
            next_observations: matrix(&batch.next_observations, n, &plain),
            returns: vector(&batch.returns, &plain),
            discounts: vector(&batch.discounts, &plain),
            weights: vector(&batch.weights, device),
        }
    }

    /// The rows of one piece of the minibatch (see [`cinder_nn::halves`]).
    pub fn half(&self, half: &Half) -> Self {
        Self {
            observations: half.of(&self.observations),
            next_observations: half.of(&self.next_observations),
            returns: half.of(&self.returns),
            discounts: half.of(&self.discounts),
            weights: half.of(&self.weights),
        }
    }

    /// The TD target `returns + discounts · next_values` (plain device).
    pub fn td_target(&self, next_values: Tensor<1>) -> Tensor<1> {
        self.returns.clone() + self.discounts.clone() * next_values
    }
}

/// The continuous actions of a minibatch of `learner` (named in the error).
pub fn continuous_actions<'a>(
    batch: &'a ReplayBatch,
    learner: &str,
) -> Result<&'a [f32], AgentError> {
    if let ActionBatch::Continuous(actions) = &batch.actions {
        return Ok(actions);
    }
    Err(wrong_kind(learner, "discrete"))
}

/// The discrete actions of a minibatch of `learner` (named in the error).
pub fn discrete_actions<'a>(
    batch: &'a ReplayBatch,
    learner: &str,
) -> Result<&'a [usize], AgentError> {
    match &batch.actions {
        ActionBatch::Discrete(actions) => Ok(actions),
        ActionBatch::Continuous(_) => Err(wrong_kind(learner, "continuous")),
    }
}

fn wrong_kind(learner: &str, kind: &str) -> AgentError {
    AgentError::UnsupportedSpace(format!("{learner} replay batch holds {kind} actions"))
}

/// Maps a bounded box to `[-1, 1]^d` and back (Tianshou's `action_scaling`).
#[derive(Debug, Clone, PartialEq)]
pub struct ActionScale {
    low: Vec<f32>,
    high: Vec<f32>,
}

impl ActionScale {
    /// The map for the action space of `learner` (named in the error): a bounded box.
    pub fn for_space(learner: &str, space: &Space) -> Result<Self, AgentError> {
        match space {
            Space::Box(bounds) => Self::new(bounds),
            other => Err(AgentError::UnsupportedSpace(format!(
                "{learner} needs a continuous (box) action space, got {other}"
            ))),
        }
    }

    /// The map for `space`; unbounded boxes cannot be scaled.
    pub fn new(space: &BoxSpace) -> Result<Self, AgentError> {
        if !space.is_bounded() {
            return Err(AgentError::UnsupportedSpace(format!(
                "continuous-action learners need a bounded action box, got {space:?}"
            )));
        }
        Ok(Self {
            low: space.low().to_vec(),
            high: space.high().to_vec(),
        })
    }

    /// Values per action.
    pub fn dim(&self) -> usize {
        self.low.len()
    }

    /// Half the width of each dimension, `(high − low) / 2`: an env-unit difference is this
    /// times the unit-cube difference.
    pub fn half_range(&self) -> Vec<f32> {
        self.low
            .iter()
            .zip(&self.high)
            .map(|(lo, hi)| (hi - lo) / 2.0)
            .collect()
    }

    /// The head of an exported policy acting in this box: `tanh` first if `squash`, scaled
    /// from `[-1, 1]` if `scale` ([`ActionScale::unit_to_env`]), clipped into the box.
    pub fn head(&self, squash: bool, scale: bool) -> Head {
        Head::Box {
            squash,
            scale,
            low: self.low.clone(),
            high: self.high.clone(),
        }
    }

    /// Env actions → `[-1, 1]`, row by row.
    pub fn env_to_unit(&self, actions: &[f32]) -> Vec<f32> {
        self.map(actions, |a, lo, hi| 2.0 * (a - lo) / (hi - lo) - 1.0)
    }

    /// `[-1, 1]` → env actions, clipped into the box.
    pub fn unit_to_env(&self, unit: &[f32]) -> Vec<f32> {
        self.map(unit, |u, lo, hi| {
            (lo + (u.clamp(-1.0, 1.0) + 1.0) * 0.5 * (hi - lo)).clamp(lo, hi)
        })
    }

    /// Clips env actions into the box, row by row.
    pub fn clip(&self, actions: &mut [f32]) {
        for (i, a) in actions.iter_mut().enumerate() {
            let j = i % self.low.len();
            *a = a.clamp(self.low[j], self.high[j]);
        }
    }

    /// `num_envs` actions drawn uniformly from `[-1, 1]^d` (the random memory fill).
    pub fn sample_unit<R: Rng + ?Sized>(&self, num_envs: usize, rng: &mut R) -> Vec<f32> {
        (0..num_envs * self.dim())
            .map(|_| rng.random_range(-1.0f32..=1.0))
            .collect()
    }

    fn map(&self, values: &[f32], f: impl Fn(f32, f32, f32) -> f32) -> Vec<f32> {
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let j = i % self.low.len();
                f(v, self.low[j], self.high[j])
            })
            .collect()
    }
}
