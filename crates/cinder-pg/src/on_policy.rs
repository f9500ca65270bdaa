//! The on-policy iteration, written once for A2C, PPO and PPO2: sample a rollout with the
//! current policy on the acting device, update on the learning device, copy the new weights to
//! the actors.

use burn::tensor::{Device, Tensor};
use cinder_core::train::{Algorithm, Iteration, Metric, Snapshot};
use cinder_core::{ActionBatch, VecEnv};
use cinder_data::{Actor, Budget, Rollout, Sampler};

use crate::error::PgError;
use crate::gae::Estimates;
use crate::policy::{ActionTensor, Policy, PolicyActor};
use cinder_nn::tensors::{matrix, vector};

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
        }
    }
}

/// A policy-gradient learner: what differs between A2C, PPO and PPO2.
pub trait OnPolicyLearner {
    /// The policy being trained (on the learning device).
    fn policy(&self) -> &Policy;

    /// One update from a rollout sampled by [`OnPolicyLearner::policy`]; `progress` ∈ [0, 1]
    /// drives the schedules. Returns the update's statistics.
    fn update(&mut self, rollout: &Rollout, progress: f64) -> Result<Vec<Metric>, PgError>;

    /// Adds the weights and optimiser states to `snapshot`.
    fn save(&self, snapshot: &mut Snapshot) -> Result<(), PgError>;

    /// Restores what [`OnPolicyLearner::save`] stored.
    fn load(&mut self, snapshot: &Snapshot) -> Result<(), PgError>;
}

/// An on-policy algorithm ready for the training loop: a learner, a sampler over the training
/// environments and two actors on the acting device (sampling and deterministic).
pub struct OnPolicy<L> {
    learner: L,
    sampler: Sampler,
    budget: Budget,
    actor: PolicyActor,
    greedy: PolicyActor,
    greedy_stale: bool,
}

impl<L: OnPolicyLearner> OnPolicy<L> {
    /// Trains `learner` on `envs` (reset with `seed`), gathering `budget` per iteration and
    /// acting on `act_device`.
    pub fn new(learner: L, envs: VecEnv, seed: u64, budget: Budget, act_device: &Device) -> Self {
        let actor = PolicyActor::new(learner.policy(), act_device, false);
        let greedy = PolicyActor::new(learner.policy(), act_device, true);
        Self {
            learner,
            sampler: Sampler::new(envs, Some(seed)),
            budget,
            actor,
            greedy,
            greedy_stale: false,
        }
    }

    /// The learner.
    pub fn learner(&self) -> &L {
        &self.learner
    }

    fn sync_actors(&mut self) {
        self.actor.sync(self.learner.policy());
        self.greedy_stale = true;
    }
}

impl<L: OnPolicyLearner> Algorithm for OnPolicy<L> {
    type Error = PgError;

    fn iterate(&mut self, progress: f64) -> Result<Iteration, PgError> {
        let rollout = self.sampler.collect(&mut self.actor, self.budget)?;
        let metrics = self.learner.update(&rollout, progress)?;
        self.sync_actors();
        Ok(Iteration {
            steps: rollout.len(),
            episodes: rollout.episodes,
            metrics,
        })
    }

    fn act_deterministic(
        &mut self,
        observations: &[f32],
        num_envs: usize,
    ) -> Result<ActionBatch, PgError> {
        if self.greedy_stale {
            self.greedy.sync(self.learner.policy());
            self.greedy_stale = false;
        }
        Ok(self.greedy.act(observations, num_envs)?.actions)
    }

    fn snapshot(&self) -> Result<Snapshot, PgError> {
        let mut snapshot = Snapshot::new();
        self.learner.save(&mut snapshot)?;
        Ok(snapshot)
    }

    fn restore(&mut self, snapshot: &Snapshot) -> Result<(), PgError> {
        self.learner.load(snapshot)?;
        self.sync_actors();
        Ok(())
    }
}
