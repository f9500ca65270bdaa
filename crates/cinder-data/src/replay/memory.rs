//! The replay memory a learner owns: uniform or prioritized, behind one type.

use cinder_core::seeding::EnvRng;

use super::batch::ReplayBatch;
use super::buffer::{Lookahead, ReplayBuffer, ReplayError};
use super::prioritized::{PrioritizedConfig, PrioritizedReplay};
use super::transitions::Transitions;

/// Uniform or prioritized replay over the same ring storage.
#[derive(Debug, Clone, PartialEq)]
pub enum Memory {
    /// Uniform sampling with replacement.
    Uniform(ReplayBuffer),
    /// Proportional prioritized sampling with importance weights.
    Prioritized(PrioritizedReplay),
}

impl Memory {
    /// Wraps `buffer`, prioritized when `prioritized` is given.
    pub fn new(
        buffer: ReplayBuffer,
        prioritized: Option<PrioritizedConfig>,
    ) -> Result<Self, ReplayError> {
        Ok(match prioritized {
            Some(config) => Memory::Prioritized(PrioritizedReplay::new(buffer, config)?),
            None => Memory::Uniform(buffer),
        })
    }

    /// The storage.
    pub fn buffer(&self) -> &ReplayBuffer {
        match self {
            Memory::Uniform(buffer) => buffer,
            Memory::Prioritized(replay) => replay.buffer(),
        }
    }

    /// Transitions stored.
    pub fn len(&self) -> usize {
        self.buffer().len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.buffer().is_empty()
    }

    /// Stores one lockstep step (see [`ReplayBuffer::push`]).
    pub fn push(&mut self, transitions: Transitions<'_>) -> Result<(), ReplayError> {
        match self {
            Memory::Uniform(buffer) => buffer.push(transitions),
            Memory::Prioritized(replay) => replay.push(transitions),
        }
        .map(|_| ())
    }

    /// A minibatch; prioritized sampling anneals `β` with training `progress`.
    pub fn sample(
        &self,
        batch_size: usize,
        lookahead: Lookahead,
        progress: f64,
        rng: &mut EnvRng,
    ) -> Result<ReplayBatch, ReplayError> {
        Ok(match self {
            Memory::Uniform(buffer) => buffer.sample(batch_size, lookahead, rng)?,
            Memory::Prioritized(replay) => {
                let beta = replay.config().beta(progress);
                replay.sample(batch_size, lookahead, beta, rng)?
            }
        })
    }

    /// Whether sampling needs the TD errors of each update back.
    pub fn wants_td_errors(&self) -> bool {
        matches!(self, Memory::Prioritized(_))
    }

    /// New priorities after an update (a no-op for uniform replay).
    pub fn update_priorities(
        &mut self,
        indices: &[usize],
        td_errors: &[f32],
    ) -> Result<(), ReplayError> {
        if let Memory::Prioritized(replay) = self {
            replay.update_priorities(indices, td_errors)?;
        }
        Ok(())
    }

    /// Contents as bytes, for snapshots.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Memory::Uniform(buffer) => buffer.to_bytes(),
            Memory::Prioritized(replay) => replay.to_bytes(),
        }
    }

    /// Replaces the contents with [`Memory::to_bytes`] output of the same shape.
    pub fn load_bytes(&mut self, bytes: &[u8]) -> Result<(), ReplayError> {
        match self {
            Memory::Uniform(buffer) => buffer.load_bytes(bytes)?,
            Memory::Prioritized(replay) => replay.load_bytes(bytes)?,
        }
        Ok(())
    }
}
