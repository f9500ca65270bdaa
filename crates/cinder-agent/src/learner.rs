//! The learner traits: what differs between A2C, PPO and PPO2 ([`OnPolicyLearner`]), and
//! between the learners that train from minibatches of a replay memory ([`ReplayLearner`]:
//! DQL, DDPG, TD3 and SAC online, BC and BCQ offline, where the dataset is a memory that does
//! not grow). The loops that drive them live in their family crates (`cinder-pg`'s
//! `OnPolicy`, `cinder-offpolicy`'s `OffPolicy`, `cinder-offline`'s `Offline`); the traits
//! live here so that wrapper learners of another family (ICM in `cinder-explore`) can wrap
//! any of them.

use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use cinder_core::{Actor, Metric, Snapshot, VecEnv};
use cinder_data::{Budget, ReplayBatch, Rollout, Sampler};
use cinder_nn::persist::{load_json, save_json};
use cinder_nn::tensors::read_floats;

use crate::error::check_count;
use crate::resume::{restore_envs_then, save_envs};
use crate::{AgentError, Exported, Policy, PolicyActor, Setup};

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

/// The snapshot file of the acting copy's generator.
const ACTING_RNG_FILE: &str = "acting_rng.json";

/// An on-policy learner with its own environments, sampler and acting copy of the policy:
/// what `cinder-pg`'s `OnPolicy` trains, and each particle of SVPG.
pub struct OnPolicyAgent<L> {
    learner: L,
    sampler: Sampler,
    budget: Budget,
    acting: PolicyActor,
}

impl<L: OnPolicyLearner> OnPolicyAgent<L> {
    /// Trains `learner` on `envs`, gathering `budget` per iteration; the environments are
    /// reset with `setup`'s seed (which also drives the acting copy's random actions), and
    /// the acting copy runs on its acting device.
    pub fn new(
        learner: L,
        envs: VecEnv,
        budget: Budget,
        setup: &Setup,
    ) -> Result<Self, AgentError> {
        match budget {
            Budget::MinSteps(n) => check_count("steps per iteration", n)?,
            Budget::MinRollouts(n) => check_count("min_rollouts", n)?,
        }
        let (device, seed) = (&setup.act_device, setup.seed);
        let acting = PolicyActor::new(learner.policy(), envs.action_space(), device, seed);
        Ok(Self {
            learner,
            sampler: Sampler::new(envs, Some(seed)),
            budget,
            acting,
        })
    }

    /// The learner.
    pub fn learner(&self) -> &L {
        &self.learner
    }

    /// A rollout of the acting copy exploring the environments.
    pub fn sample(&mut self) -> Result<Rollout, AgentError> {
        Ok(self.sampler.collect(&mut self.acting, self.budget)?)
    }

    /// Updates the learner on `rollout` (each step's policy gradient through `gradient`) and
    /// syncs the acting copy.
    pub fn learn(
        &mut self,
        rollout: &Rollout,
        progress: f64,
        gradient: &mut dyn PolicyGradient,
    ) -> Result<Update, AgentError> {
        let update = self.learner.update_with(rollout, progress, gradient)?;
        self.acting.sync(self.learner.policy());
        Ok(update)
    }

    /// The learner's files, the environments' and the acting copy's generator.
    pub fn snapshot(&self) -> Result<Snapshot, AgentError> {
        let mut snapshot = Snapshot::new();
        self.learner.save(&mut snapshot)?;
        save_envs(&mut snapshot, self.sampler.envs())?;
        save_json(&mut snapshot, ACTING_RNG_FILE, self.acting.rng())?;
        Ok(snapshot)
    }

    /// Restores the learner, the environments and the acting copy (all or nothing).
    pub fn restore(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        let rng = load_json(snapshot, ACTING_RNG_FILE)?;
        let learner = &mut self.learner;
        restore_envs_then(snapshot, self.sampler.envs_mut(), || learner.load(snapshot))?;
        self.acting.set_rng(rng);
        self.acting.sync(self.learner.policy());
        Ok(())
    }
}

impl<L> Actor for OnPolicyAgent<L> {
    type Error = AgentError;

    cinder_core::delegate_actor!(self => self.acting);
}

/// What one minibatch update leaves on the learning device.
pub struct Learned {
    /// Detached statistics, in the order of [`ReplayLearner::stat_names`].
    pub stats: Tensor<1>,
    /// `|δ|` per row for prioritized replay (read back only when it is used), or none for a
    /// learner without TD errors (BC).
    pub td_errors: Option<Tensor<1>>,
}

/// A learner that trains from minibatches of a replay memory: what differs between DQL,
/// DDPG, TD3, SAC, BC and BCQ. It acts through [`Actor`] (actions inside the action space,
/// in every [`ActMode`](cinder_core::ActMode)).
pub trait ReplayLearner: Actor<Error = AgentError> {
    /// One gradient update from a minibatch.
    fn update(&mut self, batch: &ReplayBatch, progress: f64) -> Result<Learned, AgentError>;

    /// Names of the values in [`Learned::stats`].
    fn stat_names(&self) -> Vec<&'static str>;

    /// Values that follow a schedule (ε, learning rate) for logging; none by default.
    fn schedule_metrics(&self, _progress: f64) -> Vec<Metric> {
        Vec::new()
    }

    /// Called once at the end of every iteration: copies the trained weights to the acting
    /// networks and advances per-iteration schedules.
    fn end_iteration(&mut self);

    /// Adds the weights and optimiser states to `snapshot`.
    fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError>;

    /// Restores what [`ReplayLearner::save`] stored.
    fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError>;

    /// The acting network's greedy acting ([`ActMode::Greedy`](cinder_core::ActMode) with no
    /// exploration left) as plain data, for export.
    fn graph(&self) -> Result<Exported, AgentError>;

    /// Whether exploring draws from a distribution the policy defines (SAC, BC of discrete
    /// actions), rather than adding noise or ε-greedy choices to a deterministic policy.
    fn is_stochastic(&self) -> bool {
        false
    }
}

/// A replay learner's statistics summed over one iteration's updates on the device, read back
/// once as means.
#[derive(Default)]
pub struct StatSums {
    sum: Option<Tensor<1>>,
    updates: usize,
}

impl StatSums {
    /// Adds one update's statistics.
    pub fn add(&mut self, stats: Tensor<1>) {
        self.sum = Some(match self.sum.take() {
            Some(sum) => sum + stats,
            None => stats,
        });
        self.updates += 1;
    }

    /// The updates added.
    pub fn updates(&self) -> usize {
        self.updates
    }

    /// The mean of each statistic, named by `names` (none when nothing was added).
    pub fn means(self, names: Vec<&'static str>) -> Result<Vec<Metric>, AgentError> {
        let Some(sum) = self.sum else {
            return Ok(Vec::new());
        };
        let means = read_floats(sum.div_scalar(self.updates as f64))?;
        Ok(names
            .into_iter()
            .zip(means)
            .map(|(name, value)| Metric::new(name, f64::from(value)))
            .collect())
    }
}
