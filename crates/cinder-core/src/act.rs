//! The one acting abstraction every family shares: an [`Actor`] turns a batch of observations
//! into actions in one of three [`ActMode`]s. The on-policy sampler explores with it, the
//! replay loop fills its memory and explores with it, and the training loop evaluates with it.

use crate::vec_env::ActionBatch;

/// How actions are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActMode {
    /// Uniformly at random over the allowed actions (a replay memory's initial fill).
    Random,
    /// The behaviour policy: sampled, ε-greedy or with exploration noise.
    Explore,
    /// The deterministic policy (the mode, the greedy action): evaluation.
    Greedy,
}

/// Actions for a batch of observations.
#[derive(Debug, Clone, PartialEq)]
pub struct Acted {
    /// One action per environment.
    pub actions: ActionBatch,
    /// `log π(a | s)` of each action under a stochastic policy that acted by sampling (what
    /// on-policy learners need); `None` where the actor has no such density.
    pub log_probs: Option<Vec<f32>>,
}

impl Acted {
    /// Actions without log-probabilities.
    pub fn actions(actions: ActionBatch) -> Self {
        Self {
            actions,
            log_probs: None,
        }
    }
}

/// A batch of observations to act on, and what each environment allows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observed<'a> {
    /// `num_envs` observations, flat, environment-major.
    pub values: &'a [f32],
    /// Environments observed.
    pub num_envs: usize,
    /// The valid actions of each environment now (`num_envs × n` flags of a discrete action
    /// space, [`crate::VecEnv::action_masks`]); `None`: every action is valid.
    pub masks: Option<&'a [bool]>,
}

impl<'a> Observed<'a> {
    /// `num_envs` observations under which every action is valid.
    pub fn all_valid(values: &'a [f32], num_envs: usize) -> Self {
        Self {
            values,
            num_envs,
            masks: None,
        }
    }

    /// What `envs` observe now.
    pub fn of(envs: &'a crate::VecEnv) -> Self {
        Self {
            values: envs.observations(),
            num_envs: envs.num_envs(),
            masks: envs.action_masks(),
        }
    }
}

/// Anything that chooses actions for a batch of observations.
///
/// Implement [`Actor::act`], or [`Actor::act_masked`] for an actor that keeps to the valid
/// actions of environments that mask some: each is provided in terms of the other, so an
/// implementation that defines neither would call itself forever.
pub trait Actor {
    /// Why acting failed.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Actions for `num_envs` observations given flat, environment-major, chosen as `mode`
    /// says. Continuous actions may lie outside the action box (a Gaussian sample); whoever
    /// steps an environment with them clips them.
    fn act(
        &mut self,
        observations: &[f32],
        num_envs: usize,
        mode: ActMode,
    ) -> Result<Acted, Self::Error> {
        self.act_masked(Observed::all_valid(observations, num_envs), mode)
    }

    /// [`Actor::act`] for environments that may forbid some actions ([`Observed::masks`]). An
    /// actor that can keep to the valid ones overrides this; the default ignores the masks,
    /// and the environments refuse an invalid action.
    fn act_masked(&mut self, observed: Observed<'_>, mode: ActMode) -> Result<Acted, Self::Error> {
        self.act(observed.values, observed.num_envs, mode)
    }
}

/// `Actor`'s two methods for a type that acts through another actor: `delegate_actor!(self =>
/// self.learner)` forwards `act` and `act_masked` to the actor the expression names.
#[macro_export]
macro_rules! delegate_actor {
    ($s:ident => $target:expr) => {
        fn act(
            &mut $s,
            observations: &[f32],
            num_envs: usize,
            mode: $crate::ActMode,
        ) -> Result<$crate::Acted, Self::Error> {
            $target.act(observations, num_envs, mode)
        }

        fn act_masked(
            &mut $s,
            observed: $crate::act::Observed<'_>,
            mode: $crate::ActMode,
        ) -> Result<$crate::Acted, Self::Error> {
            $target.act_masked(observed, mode)
        }
    };
}
