//! The uniform ring replay buffer and n-step targets.

use cinder_core::{ActionBatch, Space};
use rand::Rng;
use thiserror::Error;

use super::batch::{ReplayBatch, WindowSteps};
use super::transitions::{Transition, Transitions};

/// Errors of the replay memory; each names the parameter or the offending value.
#[derive(Debug, Error, PartialEq)]
pub enum ReplayError {
    /// A capacity that cannot hold one row of transitions.
    #[error(
        "memory_size must be at least the number of environments ({num_streams}), got {memory_size}"
    )]
    Capacity {
        /// The requested capacity.
        memory_size: usize,
        /// Environments writing to the buffer.
        num_streams: usize,
    },
    /// A minibatch larger than the transitions stored.
    #[error("batch_size {batch_size} is larger than the {stored} transitions in the replay buffer")]
    BatchTooLarge {
        /// The requested minibatch.
        batch_size: usize,
        /// Transitions available.
        stored: usize,
    },
    /// A reward that is NaN or infinite.
    #[error("environment {env} returned a non-finite reward ({value})")]
    NonFiniteReward {
        /// The environment's index.
        env: usize,
        /// The reward.
        value: f64,
    },
    /// Arrays of the wrong length or action kind for this buffer.
    #[error("transition shape: {0}")]
    Shape(String),
    /// A hyper-parameter out of range.
    #[error("invalid replay parameter `{name}` = {value}: {expected}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What it must be.
        expected: &'static str,
    },
    /// Saved replay bytes that cannot be read back.
    #[error("replay buffer file: {0}")]
    Corrupt(String),
}

/// How far targets look ahead: the n-step return of `estimation_step` transitions discounted
/// by `gamma`, then a bootstrap (`estimation_step = 1` is the one-step TD target).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lookahead {
    /// Transitions summed before bootstrapping (Tianshou's `estimation_step`), at least 1.
    pub estimation_step: usize,
    /// Discount factor γ ∈ [0, 1].
    pub gamma: f64,
}

impl Lookahead {
    /// Checks `estimation_step ≥ 1` and `gamma ∈ [0, 1]`.
    pub fn new(estimation_step: usize, gamma: f64) -> Result<Self, ReplayError> {
        if estimation_step == 0 {
            return Err(ReplayError::InvalidParameter {
                name: "estimation_step",
                value: 0.0,
                expected: "at least 1",
            });
        }
        if !(0.0..=1.0).contains(&gamma) {
            return Err(ReplayError::InvalidParameter {
                name: "gamma",
                value: gamma,
                expected: "in [0, 1]",
            });
        }
        Ok(Self {
            estimation_step,
            gamma,
        })
    }
}

/// Stored actions: indices for a discrete space, `action_dim` floats each for a box.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ActionColumn {
    Discrete(Vec<u32>),
    Continuous(Vec<f32>),
}

/// A ring of transitions `(s, a, r, s', terminated, truncated)` in struct-of-arrays form.
///
/// `num_streams` environments write one row per lockstep step; the capacity is `memory_size`
/// rounded down to whole rows, and the oldest row is overwritten once it is full. Memory per
/// transition: `4·(2·obs_dim + action_dim + 1) + 2` bytes (4 for a discrete action), nothing
/// else per transition.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayBuffer {
    pub(super) num_streams: usize,
    pub(super) rows: usize,
    pub(super) obs_dim: usize,
    pub(super) action_dim: usize,
    pub(super) observations: Vec<f32>,
    pub(super) next_observations: Vec<f32>,
    pub(super) actions: ActionColumn,
    pub(super) rewards: Vec<f32>,
    pub(super) terminated: Vec<bool>,
    pub(super) truncated: Vec<bool>,
    /// Actions of a discrete space (0 for a box).
    pub(super) num_actions: usize,
    /// `capacity × num_actions` valid actions in each next state, once some step brought any
    /// invalid one ([`Transitions::next_masks`]).
    pub(super) next_masks: Option<Vec<bool>>,
    /// Rows written so far, at most `rows`.
    pub(super) filled_rows: usize,
    /// The row the next step goes to.
    pub(super) cursor: usize,
}

impl ReplayBuffer {
    /// An empty buffer for `num_streams` environments with observations of `obs_dim` values and
    /// actions of `action_space`, holding at most `memory_size` transitions.
    pub fn new(
        memory_size: usize,
        num_streams: usize,
        obs_dim: usize,
        action_space: &Space,
    ) -> Result<Self, ReplayError> {
        if num_streams == 0 || memory_size < num_streams {
            return Err(ReplayError::Capacity {
                memory_size,
                num_streams,
            });
        }
        let rows = memory_size / num_streams;
        let capacity = rows * num_streams;
        let num_actions = match action_space {
            Space::Discrete(d) => d.n(),
            Space::Box(_) => 0,
        };
        let (actions, action_dim) = match action_space {
            Space::Discrete(_) => (ActionColumn::Discrete(vec![0; capacity]), 1),
            Space::Box(_) => {
                let dim = action_space.flat_dim();
                (ActionColumn::Continuous(vec![0.0; capacity * dim]), dim)
            }
        };
        Ok(Self {
            num_streams,
            rows,
            obs_dim,
            action_dim,
            observations: vec![0.0; capacity * obs_dim],
            next_observations: vec![0.0; capacity * obs_dim],
            actions,
            rewards: vec![0.0; capacity],
            terminated: vec![false; capacity],
            truncated: vec![false; capacity],
            num_actions,
            next_masks: None,
            filled_rows: 0,
            cursor: 0,
        })
    }

    /// Transitions the buffer can hold.
    pub fn capacity(&self) -> usize {
        self.rows * self.num_streams
    }

    /// Transitions stored.
    pub fn len(&self) -> usize {
        self.filled_rows * self.num_streams
    }

    /// Whether nothing is stored yet.
    pub fn is_empty(&self) -> bool {
        self.filled_rows == 0
    }

    /// Environments (streams) writing to the buffer.
    pub fn num_streams(&self) -> usize {
        self.num_streams
    }

    /// Values per observation.
    pub fn observation_dim(&self) -> usize {
        self.obs_dim
    }

    /// Bytes the stored arrays occupy when full.
    pub fn memory_bytes(&self) -> usize {
        let floats = self.observations.len() + self.next_observations.len() + self.rewards.len();
        let actions = match &self.actions {
            ActionColumn::Discrete(a) => a.len() * 4,
            ActionColumn::Continuous(a) => a.len() * 4,
        };
        let masks = self.next_masks.as_ref().map_or(0, Vec::len);
        floats * 4 + actions + self.terminated.len() + self.truncated.len() + masks
    }

    /// Stores one lockstep step of every stream and returns the row's first index. A
    /// non-finite reward is refused (and nothing is written).
    pub fn push(&mut self, transitions: Transitions<'_>) -> Result<usize, ReplayError> {
        let Transitions {
            observations,
            actions,
            rewards,
            next_observations,
            terminated,
            truncated,
            next_masks,
        } = transitions;
        let s = self.num_streams;
        let width = s * self.obs_dim;
        let action_values = match actions {
            ActionBatch::Discrete(a) => a.len(),
            ActionBatch::Continuous(a) => a.len() / self.action_dim.max(1),
        };
        if observations.len() != width
            || next_observations.len() != width
            || rewards.len() != s
            || terminated.len() != s
            || truncated.len() != s
            || action_values != s
        {
            return Err(ReplayError::Shape(format!(
                "expected {s} transitions of {} observation values, got {} observations, {} \
                 next observations, {action_values} actions, {} rewards",
                self.obs_dim,
                observations.len(),
                next_observations.len(),
                rewards.len()
            )));
        }
        if let Some((env, &value)) = rewards.iter().enumerate().find(|(_, r)| !r.is_finite()) {
            return Err(ReplayError::NonFiniteReward { env, value });
        }
        if let Some(masks) = next_masks
            && masks.len() != s * self.num_actions
        {
            return Err(ReplayError::Shape(format!(
                "expected {} next-state action flags, got {}",
                s * self.num_actions,
                masks.len()
            )));
        }
        let first = self.cursor * s;
        match (&mut self.actions, actions) {
            (ActionColumn::Discrete(column), ActionBatch::Discrete(a)) => {
                for (slot, &action) in column[first..first + s].iter_mut().zip(a) {
                    *slot = u32::try_from(action).map_err(|_| {
                        ReplayError::Shape(format!("discrete action {action} exceeds u32"))
                    })?;
                }
            }
            (ActionColumn::Continuous(column), ActionBatch::Continuous(a)) => {
                let d = self.action_dim;
                column[first * d..(first + s) * d].copy_from_slice(a);
            }
            _ => {
                return Err(ReplayError::Shape(
                    "action kind does not match the buffer's action space".into(),
                ));
            }
        }
        let obs = first * self.obs_dim..(first + s) * self.obs_dim;
        self.observations[obs.clone()].copy_from_slice(observations);
        self.next_observations[obs].copy_from_slice(next_observations);
        for (slot, &r) in self.rewards[first..first + s].iter_mut().zip(rewards) {
            *slot = r as f32;
        }
        self.terminated[first..first + s].copy_from_slice(terminated);
        self.truncated[first..first + s].copy_from_slice(truncated);
        let (a, capacity) = (self.num_actions, self.capacity());
        let row = first * a..(first + s) * a;
        match (next_masks, &mut self.next_masks) {
            (None, None) => {}
            (None, Some(column)) => column[row].fill(true),
            (Some(masks), column) => {
                column.get_or_insert_with(|| vec![true; capacity * a])[row].copy_from_slice(masks)
            }
        }
        self.cursor = (self.cursor + 1) % self.rows;
        self.filled_rows = (self.filled_rows + 1).min(self.rows);
        Ok(first)
    }

    /// `batch_size` indices drawn uniformly with replacement from the stored transitions.
    pub fn sample_indices<R: Rng + ?Sized>(
        &self,
        batch_size: usize,
        rng: &mut R,
    ) -> Result<Vec<usize>, ReplayError> {
        self.check_batch(batch_size)?;
        let n = self.len();
        Ok((0..batch_size).map(|_| rng.random_range(0..n)).collect())
    }

    /// A uniform minibatch with `lookahead` targets.
    pub fn sample<R: Rng + ?Sized>(
        &self,
        batch_size: usize,
        lookahead: Lookahead,
        rng: &mut R,
    ) -> Result<ReplayBatch, ReplayError> {
        let indices = self.sample_indices(batch_size, rng)?;
        let weights = vec![1.0; indices.len()];
        self.gather(indices, lookahead, weights)
    }

    /// Errors if `batch_size` is zero or more than the buffer holds.
    pub fn check_batch(&self, batch_size: usize) -> Result<(), ReplayError> {
        if batch_size == 0 || batch_size > self.len() {
            return Err(ReplayError::BatchTooLarge {
                batch_size,
                stored: self.len(),
            });
        }
        Ok(())
    }

    /// The last transition of the n-step window starting at `t`, and the window's length `k`.
    ///
    /// The walk `t, t + S, t + 2S, ...` stops at the first transition that terminated, was
    /// truncated, or is the newest of its stream (the buffer's unfinished end).
    pub fn window(&self, t: usize, n: usize) -> (usize, usize) {
        let s = self.num_streams;
        let capacity = self.capacity();
        let newest_row = (self.cursor + self.rows - 1) % self.rows;
        let mut j = t;
        let mut k = 1;
        while k < n && !self.terminated[j] && !self.truncated[j] && j / s != newest_row {
            j = (j + s) % capacity;
            k += 1;
        }
        (j, k)
    }

    /// The rows `indices` with their n-step targets and the given importance `weights`.
    pub fn gather(
        &self,
        indices: Vec<usize>,
        lookahead: Lookahead,
        weights: Vec<f32>,
    ) -> Result<ReplayBatch, ReplayError> {
        let stored = self.len();
        if let Some(&bad) = indices.iter().find(|&&i| i >= stored) {
            return Err(ReplayError::Shape(format!(
                "index {bad} is past the {stored} stored transitions"
            )));
        }
        let batch = indices.len();
        let mut returns = Vec::with_capacity(batch);
        let mut discounts = Vec::with_capacity(batch);
        let mut last_indices = Vec::with_capacity(batch);
        let mut step_rows = Vec::with_capacity(batch);
        let mut step_indices = Vec::with_capacity(batch);
        let mut step_discounts = Vec::with_capacity(batch);
        for (row, &t) in indices.iter().enumerate() {
            let (last, k) = self.window(t, lookahead.estimation_step);
            let mut sum = 0.0f64;
            let mut discount = 1.0f64;
            let mut j = t;
            for _ in 0..k {
                step_rows.push(row);
                step_indices.push(j);
                step_discounts.push(discount as f32);
                sum += discount * f64::from(self.rewards[j]);
                discount *= lookahead.gamma;
                j = (j + self.num_streams) % self.capacity();
            }
            if self.terminated[last] {
                discount = 0.0;
            }
            returns.push(sum as f32);
            discounts.push(discount as f32);
            last_indices.push(last);
        }
        let steps = WindowSteps {
            observations: self.rows_of(&self.observations, &step_indices),
            next_observations: self.rows_of(&self.next_observations, &step_indices),
            actions: self.actions_at(&step_indices),
            rows: step_rows,
            discounts: step_discounts,
        };
        Ok(ReplayBatch {
            observations: self.rows_of(&self.observations, &indices),
            actions: self.actions_at(&indices),
            next_observations: self.rows_of(&self.next_observations, &last_indices),
            next_masks: self.next_masks_at(&last_indices),
            indices,
            returns,
            discounts,
            last_indices,
            weights,
            steps,
        })
    }

    /// The observation rows (of `column`, `observations` or `next_observations`) at `indices`.
    fn rows_of(&self, column: &[f32], indices: &[usize]) -> Vec<f32> {
        let d = self.obs_dim;
        let mut rows = Vec::with_capacity(indices.len() * d);
        for &i in indices {
            rows.extend_from_slice(&column[i * d..(i + 1) * d]);
        }
        rows
    }

    /// The valid actions in the next states of the transitions `indices`, if any were ever
    /// invalid: stored where the episode went on, all valid where it ended (no bootstrap after
    /// a termination; after a truncation the environment had already reset).
    fn next_masks_at(&self, indices: &[usize]) -> Option<Vec<bool>> {
        let masks = self.next_masks.as_ref()?;
        let a = self.num_actions;
        let mut rows = Vec::with_capacity(indices.len() * a);
        for &i in indices {
            if self.terminated[i] || self.truncated[i] {
                rows.extend(std::iter::repeat_n(true, a));
            } else {
                rows.extend_from_slice(&masks[i * a..(i + 1) * a]);
            }
        }
        Some(rows)
    }

    /// The stored actions at `indices`.
    fn actions_at(&self, indices: &[usize]) -> ActionBatch {
        match &self.actions {
            ActionColumn::Discrete(column) => {
                ActionBatch::Discrete(indices.iter().map(|&i| column[i] as usize).collect())
            }
            ActionColumn::Continuous(column) => {
                let a = self.action_dim;
                let mut values = Vec::with_capacity(indices.len() * a);
                for &i in indices {
                    values.extend_from_slice(&column[i * a..(i + 1) * a]);
                }
                ActionBatch::Continuous(values)
            }
        }
    }

    /// Transition `index` as stored (for inspection and tests).
    pub fn transition(&self, index: usize) -> Option<Transition<'_>> {
        if index >= self.len() {
            return None;
        }
        let d = self.obs_dim;
        Some(Transition {
            observation: &self.observations[index * d..(index + 1) * d],
            next_observation: &self.next_observations[index * d..(index + 1) * d],
            reward: self.rewards[index],
            terminated: self.terminated[index],
            truncated: self.truncated[index],
        })
    }
}
