//! The learner traits of the online families: what differs between A2C, PPO and PPO2
//! ([`OnPolicyLearner`]) and between DQL, DDPG and SAC ([`OffPolicyLearner`]). The loops that
//! drive them live in their family crates (`cinder-pg`'s `OnPolicy`, `cinder-offpolicy`'s
//! `OffPolicy`); the traits live here so that wrapper learners of another family (ICM in
//! `cinder-explore`) can wrap any of them.

use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use cinder_core::{Actor, Metric, Snapshot};
use cinder_data::{ReplayBatch, Rollout};

use crate::{AgentError, Policy};

/// What one on-policy update did.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// The update's statistics (losses, entropy, learning rate, ...).
    pub metrics: Vec<Metric>,
    /// Gradient updates made (optimiser steps on a minibatch).
    pub updates: usize,
}

/// What happens to the policy's gradient between a learner's backward pass and its optimiser
/// step: nothing ([`Unchanged`]), or SVPG's Stein direction.
pub trait PolicyGradient {
    /// Replaces (or keeps) the gradients of `policy`'s parameters in `grads`, which holds the
    /// gradient of the loss the learner descends.
    fn transform(&mut self, policy: &Policy, grads: &mut GradientsParams)
    -> Result<(), AgentError>;
}

/// The learner's own gradient, unchanged.
pub struct Unchanged;

impl PolicyGradient for Unchanged {
    fn transform(&mut self, _: &Policy, _: &mut GradientsParams) -> Result<(), AgentError> {
        Ok(())
    }
}

/// A policy-gradient learner: what differs between A2C, PPO and PPO2.
pub trait OnPolicyLearner {
    /// The policy being trained (on the learning device).
    fn policy(&self) -> &Policy;

    /// One update from a rollout sampled by [`OnPolicyLearner::policy`]; `progress` ∈ [0, 1]
    /// drives the schedules.
    fn update(&mut self, rollout: &Rollout, progress: f64) -> Result<Update, AgentError> {
        self.update_with(rollout, progress, &mut Unchanged)
    }

    /// [`OnPolicyLearner::update`] with every optimiser step's policy gradient passed through
    /// `gradient` first.
    fn update_with(
        &mut self,
        rollout: &Rollout,
        progress: f64,
        gradient: &mut dyn PolicyGradient,
    ) -> Result<Update, AgentError>;

    /// Adds the weights and optimiser states to `snapshot`.
    fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError>;

    /// Restores what [`OnPolicyLearner::save`] stored.
    fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError>;
}

/// What one off-policy minibatch update leaves on the learning device.
pub struct Learned {
    /// Detached statistics, in the order of [`OffPolicyLearner::stat_names`].
    pub stats: Tensor<1>,
    /// `|δ|` per row for prioritized replay (read back only when it is used).
    pub td_errors: Tensor<1>,
}

/// The part of an off-policy algorithm that differs between DQL, DDPG and SAC. It acts
/// through [`Actor`] (actions inside the action space, in every
/// [`ActMode`](cinder_core::ActMode)).
pub trait OffPolicyLearner: Actor<Error = AgentError> {
    /// One gradient update from a minibatch.
    fn update(&mut self, batch: &ReplayBatch, progress: f64) -> Result<Learned, AgentError>;

    /// Names of the values in [`Learned::stats`].
    fn stat_names(&self) -> &'static [&'static str];

    /// Values that follow a schedule (ε, learning rate, entropy coefficient) for logging.
    fn schedule_metrics(&self, progress: f64) -> Vec<Metric>;

    /// Called once at the end of every iteration: copies the trained weights to the acting
    /// networks and advances per-iteration schedules.
    fn end_iteration(&mut self);

    /// Adds the weights and optimiser states to `snapshot`.
    fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError>;

    /// Restores what [`OffPolicyLearner::save`] stored.
    fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError>;
}
