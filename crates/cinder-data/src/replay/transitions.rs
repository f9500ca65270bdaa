//! Transitions as they go into the replay memory (a lockstep step of every stream) and as one
//! comes out of it.

use cinder_core::{ActionBatch, VecStep};

/// One lockstep step of every stream, as [`ReplayBuffer::push`](super::ReplayBuffer::push) takes it.
#[derive(Debug, Clone, Copy)]
pub struct Transitions<'a> {
    /// `s_t` of every stream, `num_streams × obs_dim`.
    pub observations: &'a [f32],
    /// `a_t` of every stream.
    pub actions: &'a ActionBatch,
    /// `r_t` of every stream.
    pub rewards: &'a [f64],
    /// `s_{t+1}` of every stream: the real final observation where an episode ended.
    pub next_observations: &'a [f32],
    /// Whether each `s_{t+1}` is terminal.
    pub terminated: &'a [bool],
    /// Whether each episode was cut after this step.
    pub truncated: &'a [bool],
    /// The valid actions in each stream's next state (`num_streams × n`,
    /// [`cinder_core::VecEnv::action_masks`]), or `None`: all valid.
    pub next_masks: Option<&'a [bool]>,
}

impl<'a> Transitions<'a> {
    /// The transitions of `step`, taken from `observations` with `actions`; `next` receives
    /// each stream's true next observation (see [`VecStep::next_observations_into`]).
    pub fn of_step(
        observations: &'a [f32],
        actions: &'a ActionBatch,
        step: &VecStep<'a>,
        next: &'a mut [f32],
    ) -> Self {
        step.next_observations_into(next);
        Self {
            observations,
            actions,
            rewards: step.rewards,
            next_observations: next,
            terminated: step.terminated,
            truncated: step.truncated,
            next_masks: step.action_masks,
        }
    }
}

/// One stored transition, borrowed from the buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transition<'a> {
    /// `s_t`.
    pub observation: &'a [f32],
    /// `s_{t+1}` (the real final observation where the episode ended).
    pub next_observation: &'a [f32],
    /// `r_t`.
    pub reward: f32,
    /// `s_{t+1}` is terminal.
    pub terminated: bool,
    /// The episode was cut after this step.
    pub truncated: bool,
}
