//! Offline reinforcement learning: learners trained from a fixed dataset, without
//! environment steps.
//!
//! - [`minari`]: Minari-compatible datasets on disk (HDF5 and Arrow read, HDF5 written).
//! - [`offline`]: the iteration every offline learner shares ([`Offline`]: minibatch updates
//!   from the dataset's transitions, n-step targets as online). The learners implement the
//!   agent layer's [`ReplayLearner`], as the off-policy ones do: a dataset is a replay memory
//!   that does not grow.
//! - [`bc`]: behaviour cloning ([`Bc`], Tianshou's `ImitationPolicy`).
//! - [`bcq`]: discrete batch-constrained Q-learning ([`Bcq`], Tianshou's `DiscreteBCQPolicy`).
#![warn(missing_docs)]

pub mod bc;
pub mod bcq;
pub mod minari;
pub mod offline;

pub use bc::{Bc, BcConfig};
pub use bcq::{Bcq, BcqConfig, allowed_by_imitator};
pub use cinder_agent::{Learned, ReplayLearner};
pub use offline::{Offline, OfflineConfig};
