//! The on-policy sampler: a policy acting on a [`VecEnv`] until a budget of transitions or
//! episodes is collected.

use cinder_core::{ActMode, ActionBatch, Actions, Actor, EnvError, Observed, Space, VecEnv};
use thiserror::Error;

use crate::rollout::Rollout;

/// How much one call to [`Sampler::collect`] gathers (Pyrado's `min_steps` / `min_rollouts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// At least this many transitions (rounded up to whole lockstep steps of all envs).
    MinSteps(usize),
    /// Until at least this many episodes finished; episodes still running at that moment are
    /// kept as partial, bootstrapped trajectories. Needs environments whose episodes end (a
    /// time limit), or `collect` does not return.
    MinRollouts(usize),
}

/// Errors while sampling.
#[derive(Debug, Error)]
pub enum SampleError {
    /// An environment refused a step.
    #[error(transparent)]
    Env(#[from] EnvError),
    /// The actor failed.
    #[error("actor: {0}")]
    Actor(Box<dyn std::error::Error + Send + Sync>),
    /// The actor returned a batch of the wrong size or kind, or no log-probabilities.
    #[error("actor: {0}")]
    BadBatch(String),
    /// A budget of zero transitions or episodes.
    #[error("sampling budget must be positive, got {0:?}")]
    EmptyBudget(Budget),
}

/// Steps a [`VecEnv`] with an [`Actor`] exploring ([`ActMode::Explore`]); episodes carry over
/// from one `collect` to the next. The actor must return log-probabilities (on-policy
/// learners need them).
///
/// Continuous actions are stored as the actor returned them (their log-probabilities refer to
/// those values) and clipped into the action space only for the environments, as SB3 does.
pub struct Sampler {
    envs: VecEnv,
    clipped: Vec<f32>,
}

impl Sampler {
    /// Resets `envs` (seeding environment `i` with `seed + i` when a seed is given).
    pub fn new(mut envs: VecEnv, seed: Option<u64>) -> Self {
        envs.reset(seed);
        Self {
            envs,
            clipped: Vec::new(),
        }
    }

    /// The vector environment.
    pub fn envs(&self) -> &VecEnv {
        &self.envs
    }

    /// The vector environment, e.g. to restore its snapshot; the next `collect` acts on its
    /// observations.
    pub fn envs_mut(&mut self) -> &mut VecEnv {
        &mut self.envs
    }

    /// Acts and steps until `budget` is met, and returns the transitions.
    pub fn collect<A: Actor + ?Sized>(
        &mut self,
        actor: &mut A,
        budget: Budget,
    ) -> Result<Rollout, SampleError> {
        if matches!(budget, Budget::MinSteps(0) | Budget::MinRollouts(0)) {
            return Err(SampleError::EmptyBudget(budget));
        }
        let n = self.envs.num_envs();
        let dim = self.envs.observation_dim();
        let action_dim = self.envs.action_space().flat_dim();
        let mut rollout = Rollout {
            num_envs: n,
            observation_dim: dim,
            observations: Vec::new(),
            actions: ActionBatch::empty_for(self.envs.action_space()),
            log_probs: Vec::new(),
            rewards: Vec::new(),
            terminated: Vec::new(),
            truncated: Vec::new(),
            final_indices: Vec::new(),
            final_observations: Vec::new(),
            last_observations: Vec::new(),
            episodes: Vec::new(),
            masks: None,
        };
        let num_actions = match self.envs.action_space() {
            Space::Discrete(d) => d.n(),
            Space::Box(_) => 0,
        };
        loop {
            let observed = Observed::of(&self.envs);
            let acted = actor
                .act_masked(observed, ActMode::Explore)
                .map_err(|e| SampleError::Actor(Box::new(e)))?;
            let log_probs = acted.log_probs.as_deref().unwrap_or_default();
            let expected = match acted.actions {
                ActionBatch::Discrete(_) => n,
                ActionBatch::Continuous(_) => n * action_dim,
            };
            let got = match &acted.actions {
                ActionBatch::Discrete(a) => a.len(),
                ActionBatch::Continuous(a) => a.len(),
            };
            if got != expected
                || log_probs.len() != n
                || !rollout.actions.extend_from(&acted.actions)
            {
                return Err(SampleError::BadBatch(format!(
                    "expected {expected} action values of the space {} and {n} log-probs, got \
                     {got} ({:?}) and {} log-probs",
                    self.envs.action_space(),
                    std::mem::discriminant(&acted.actions),
                    log_probs.len()
                )));
            }
            rollout.push_masks(observed.masks, num_actions);
            let first = rollout.rewards.len();
            rollout
                .observations
                .extend_from_slice(self.envs.observations());
            rollout.log_probs.extend_from_slice(log_probs);
            let env_actions = match (&acted.actions, self.envs.action_space()) {
                (ActionBatch::Continuous(raw), Space::Box(bounds)) => {
                    self.clipped.clear();
                    self.clipped.extend_from_slice(raw);
                    for row in self.clipped.chunks_exact_mut(action_dim) {
                        bounds.clip(row);
                    }
                    Actions::Continuous(&self.clipped)
                }
                (actions, _) => actions.as_actions(),
            };
            let step = self.envs.step(env_actions)?;
            rollout
                .rewards
                .extend(step.rewards.iter().map(|&r| r as f32));
            rollout.terminated.extend_from_slice(step.terminated);
            rollout.truncated.extend_from_slice(step.truncated);
            for i in 0..n {
                if step.truncated[i] || step.terminated[i] {
                    rollout.final_indices.push(first + i);
                    rollout
                        .final_observations
                        .extend_from_slice(&step.final_observations[i * dim..(i + 1) * dim]);
                }
            }
            rollout.episodes.extend_from_slice(step.finished_episodes);
            let done = match budget {
                Budget::MinSteps(k) => rollout.rewards.len() >= k,
                Budget::MinRollouts(k) => rollout.episodes.len() >= k,
            };
            if done {
                break;
            }
        }
        rollout.last_observations = self.envs.observations().to_vec();
        Ok(rollout)
    }
}
