//! Stepping the environments of a [`VecEnv`](super::VecEnv): each slot's episode bookkeeping
//! and the checks of what its environment wrote, and the contiguous slices that worker
//! threads step.

use crate::actions::Actions;
use crate::env::{Action, Env, StepOutcome};
use crate::error::EnvError;

use super::EpisodeRecord;

/// One environment and the bookkeeping of its running episode.
pub(super) struct Slot {
    pub(super) env: Box<dyn Env>,
    pub(super) episode_return: f64,
    pub(super) episode_length: usize,
}

impl Slot {
    /// Starts a new episode into `obs` and checks its first observation.
    pub(super) fn reset_into(
        &mut self,
        index: usize,
        seed: Option<u64>,
        obs: &mut [f32],
    ) -> Result<(), EnvError> {
        obs.fill(f32::NAN);
        self.env.reset_into(seed, obs);
        self.episode_return = 0.0;
        self.episode_length = 0;
        self.check(index, obs, 0.0)
    }

    /// Takes one step into `obs` and checks the observation and the reward.
    pub(super) fn step_into(
        &mut self,
        index: usize,
        action: Action<'_>,
        obs: &mut [f32],
    ) -> Result<StepOutcome, EnvError> {
        obs.fill(f32::NAN);
        let outcome = self.env.step_into(action, obs)?;
        self.episode_return += outcome.reward;
        self.episode_length += 1;
        self.check(index, obs, outcome.reward)?;
        Ok(outcome)
    }

    /// When environment `index` is in its episode, for errors: `at step 3 of environment 0's
    /// episode`.
    pub(super) fn when(&self, index: usize) -> String {
        format!(
            "at step {} of environment {index}'s episode",
            self.episode_length
        )
    }

    /// An error naming the first non-finite value of `obs`, or a non-finite `reward`.
    fn check(&self, index: usize, obs: &[f32], reward: f64) -> Result<(), EnvError> {
        let when = || self.when(index);
        let error = |what: String, value: f64| EnvError::NonFinite {
            env: self.env.id().to_string(),
            what,
            value,
        };
        if let Some((c, &v)) = obs.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            let what = format!(
                "observation component {c} (a value the environment did not write reads as \
                 NaN) {}",
                when()
            );
            return Err(error(what, v.into()));
        }
        if !reward.is_finite() {
            return Err(error(format!("the reward {}", when()), reward));
        }
        Ok(())
    }
}

/// The output buffers of a contiguous range of environments, borrowed for one step.
pub(super) struct Outputs<'a> {
    pub(super) observations: &'a mut [f32],
    pub(super) final_observations: &'a mut [f32],
    pub(super) rewards: &'a mut [f64],
    pub(super) terminated: &'a mut [bool],
    pub(super) truncated: &'a mut [bool],
}

/// A contiguous range of environments, `first..first + slots.len()`, to step with their
/// part of the batch of actions.
#[derive(Clone, Copy)]
pub(super) struct Slice<'a> {
    pub(super) first: usize,
    pub(super) actions: Actions<'a>,
    pub(super) dim: usize,
    pub(super) action_dim: usize,
}

impl Slice<'_> {
    /// Steps the range, autoresets the finished environments and appends their episodes to
    /// `finished`, in environment order.
    pub(super) fn run(
        self,
        slots: &mut [Slot],
        out: Outputs<'_>,
        finished: &mut Vec<EpisodeRecord>,
    ) -> Result<(), EnvError> {
        let (dim, action_dim) = (self.dim, self.action_dim);
        for (k, slot) in slots.iter_mut().enumerate() {
            let i = self.first + k;
            let action = match self.actions {
                Actions::Discrete(a) => Action::Discrete(a[i]),
                Actions::Continuous(a) => {
                    Action::Continuous(&a[i * action_dim..(i + 1) * action_dim])
                }
            };
            let obs = &mut out.observations[k * dim..(k + 1) * dim];
            let outcome = slot.step_into(i, action, obs)?;
            out.rewards[k] = outcome.reward;
            out.terminated[k] = outcome.terminated;
            out.truncated[k] = outcome.truncated;
            if outcome.terminated || outcome.truncated {
                out.final_observations[k * dim..(k + 1) * dim].copy_from_slice(obs);
                finished.push(EpisodeRecord {
                    env_index: i,
                    episode_return: slot.episode_return,
                    length: slot.episode_length,
                    terminated: outcome.terminated,
                });
                slot.reset_into(i, None, obs)?;
            }
        }
        Ok(())
    }
}

/// The results of scoped threads, in order; a thread's panic resumes on the caller.
pub fn join_all<'scope, T, C: FromIterator<T>>(
    handles: impl IntoIterator<Item = std::thread::ScopedJoinHandle<'scope, T>>,
) -> C {
    handles
        .into_iter()
        .map(|h| {
            h.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
        .collect()
}
