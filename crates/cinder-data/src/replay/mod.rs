//! Replay memory for off-policy (and offline) learners.
//!
//! - [`ReplayBuffer`]: a ring of transitions in host struct-of-arrays form, one interleaved
//!   stream per environment, uniform sampling and n-step targets.
//! - [`PrioritizedReplay`]: the same storage sampled in proportion to `priority^alpha`
//!   (Schaul et al. 2016, "Prioritized Experience Replay"), with importance weights.
//! - [`SegmentTree`]: the sum / min tree behind it.
//! - [`Memory`]: uniform or prioritized replay behind one type, what a learner owns.
//!
//! Layout: a lockstep step of `S` environments is one *row* of `S` slots; transition `k` belongs
//! to stream `k % S`, and its successor in the same stream is `k + S` (modulo the capacity). The
//! buffer never mixes the streams, so n-step windows follow one environment's episode.

mod batch;
mod buffer;
mod codec;
mod memory;
mod prioritized;
mod segment_tree;
mod transitions;

pub use batch::{ReplayBatch, WindowSteps};
pub use buffer::{Lookahead, ReplayBuffer, ReplayError};
pub use memory::Memory;
pub use prioritized::{PrioritizedConfig, PrioritizedReplay};
pub use segment_tree::SegmentTree;
pub use transitions::{Transition, Transitions};
