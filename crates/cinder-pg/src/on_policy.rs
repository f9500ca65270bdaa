//! The on-policy iteration, written once for A2C, PPO and PPO2: sample a rollout with the
//! policy's acting copy, update on the learning device, sync the acting copy. Also what the
//! learners' update loops share: the rollout as tensors, shuffled minibatches, and statistics
//! summed on the device and read back once.

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor};
use cinder_agent::{
    ActionDistribution, ActionTensor, AgentError, OnPolicyAgent, OnPolicyLearner, Policy, Setup,
    Unchanged,
};
use cinder_core::seeding::EnvRng;
use cinder_core::{Actor, VecEnv};
use cinder_data::{Budget, Rollout};
use cinder_nn::Mlp;
use cinder_nn::tensors::{indices, matrix, read_floats, vector};
use cinder_train::{Algorithm, Iteration, Snapshot};
use rand::seq::SliceRandom;

use crate::gae::Estimates;

/// An on-policy algorithm ready for the training loop: a learner with its sampler and
/// acting copy; each iteration samples a rollout, updates and syncs.
pub struct OnPolicy<L>(OnPolicyAgent<L>);

impl<L: OnPolicyLearner> OnPolicy<L> {
    /// Trains `learner` on `envs`, gathering `budget` per iteration (see
    /// [`OnPolicyAgent::new`] for what `setup` gives).
    pub fn new(
        learner: L,
        envs: VecEnv,
        budget: Budget,
        setup: &Setup,
    ) -> Result<Self, AgentError> {
        Ok(Self(OnPolicyAgent::new(learner, envs, budget, setup)?))
    }

    /// The learner.
    pub fn learner(&self) -> &L {
        self.0.learner()
    }
}

impl<L: OnPolicyLearner> Actor for OnPolicy<L> {
    type Error = AgentError;

    cinder_core::delegate_actor!(self => self.0);
}

impl<L: OnPolicyLearner> Algorithm for OnPolicy<L> {
    fn iterate(&mut self, progress: f64) -> Result<Iteration, AgentError> {
        let rollout = self.0.sample()?;
        let update = self.0.learn(&rollout, progress, &mut Unchanged)?;
        Ok(Iteration {
            steps: rollout.len(),
            updates: update.updates,
            episodes: rollout.episodes,
            metrics: update.metrics,
        })
    }

    fn snapshot(&self) -> Result<Snapshot, AgentError> {
        self.0.snapshot()
    }

    fn restore(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        self.0.restore(snapshot)
    }
}

/// Policy and value network as one module: what a joint optimiser (A2C, PPO2) steps.
#[derive(Module, Debug)]
pub(crate) struct Joint {
    /// `π(a | s)`.
    pub policy: Policy,
    /// `V(s)`, the critic's network.
    pub vfcn: Mlp,
}

/// A rollout and the critic's estimates as tensors on the learning device: what every
/// learner's loss reads, rows selected per minibatch.
pub(crate) struct RolloutTensors {
    /// `[n, obs_dim]` observations.
    pub observations: Tensor<2>,
    /// The actions taken.
    pub actions: ActionTensor,
    /// `log π_old(a_t | s_t)` of the acting policy.
    pub old_log_probs: Tensor<1>,
    /// `A_t`.
    pub advantages: Tensor<1>,
    /// TD(λ) returns `G_t`.
    pub returns: Tensor<1>,
    /// `V_old(s_t)` before the update.
    pub old_values: Tensor<1>,
    /// `[n, |A|]` valid actions at each transition (1 valid, 0 not), when some were invalid.
    pub masks: Option<Tensor<2>>,
}

impl RolloutTensors {
    /// Uploads `rollout` and `estimates` to `device`.
    pub fn new(rollout: &Rollout, estimates: &Estimates, device: &Device) -> Self {
        let n = rollout.len();
        Self {
            observations: matrix(&rollout.observations, n, device),
            actions: ActionTensor::from_batch(&rollout.actions, n, device),
            old_log_probs: vector(&rollout.log_probs, device),
            advantages: vector(&estimates.advantages, device),
            returns: vector(&estimates.returns, device),
            old_values: vector(&estimates.values, device),
            masks: rollout.masks.as_ref().map(|masks| {
                let values: Vec<f32> = masks.iter().map(|&v| f32::from(u8::from(v))).collect();
                matrix(&values, n, device)
            }),
        }
    }

    /// `policy`'s distribution at the transitions `rows` (`observations`, their rows), with
    /// the actions the rollout found invalid masked out, and the log-probabilities of the
    /// actions taken there.
    pub fn distribution(
        &self,
        policy: &Policy,
        observations: Tensor<2>,
        rows: &Tensor<1, Int>,
    ) -> (ActionDistribution, Tensor<1>) {
        let allowed = self
            .masks
            .as_ref()
            .map(|masks| masks.clone().select(0, rows.clone()).greater_elem(0.5));
        let dist = policy.distribution_masked(observations, allowed);
        let log_probs = dist.log_prob(&self.actions.select(rows.clone()));
        (dist, log_probs)
    }
}

/// The row indices `0..n` shuffled and cut into minibatches of `batch_size` (the last one may
/// be smaller), as index tensors on `device`.
pub(crate) fn minibatches(
    n: usize,
    batch_size: usize,
    rng: &mut EnvRng,
    device: &Device,
) -> Vec<Tensor<1, Int>> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    order
        .chunks(batch_size.max(1))
        .map(|rows| indices(rows, device))
        .collect()
}

/// Means of detached per-minibatch statistics, summed on the device and read back once.
#[derive(Default)]
pub(crate) struct StatMeans<const N: usize> {
    sums: Option<Tensor<1>>,
}

impl<const N: usize> StatMeans<N> {
    /// Adds one minibatch's statistics, weighted by `1 / minibatches`.
    pub fn add(&mut self, stats: [Tensor<1>; N], minibatches: usize) {
        let stats = Tensor::cat(stats.into_iter().map(|s| s.detach().inner()).collect(), 0)
            / minibatches as f32;
        self.sums = Some(match self.sums.take() {
            Some(sum) => sum + stats,
            None => stats,
        });
    }

    /// The means (zeros if nothing was added).
    pub fn read(self) -> Result<[f32; N], AgentError> {
        let Some(sums) = self.sums else {
            return Ok([0.0; N]);
        };
        let values = read_floats(sums)?;
        <[f32; N]>::try_from(values).map_err(|v| {
            AgentError::Nn(cinder_nn::NnError::ReadBack(format!(
                "expected {N} statistics, got {}",
                v.len()
            )))
        })
    }
}
