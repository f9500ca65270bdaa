//! Offline reinforcement learning: learners trained from a fixed dataset, without
//! environment steps.
//!
//! - [`minari`]: Minari-compatible datasets on disk (HDF5 and Arrow read, HDF5 written).
//! - [`offline`]: the iteration every offline learner shares ([`Offline`]: minibatch updates
//!   from the dataset's transitions, n-step targets as online).
//! - [`bc`]: behaviour cloning ([`Bc`], Tianshou's `ImitationPolicy`).
//! - [`bcq`]: discrete batch-constrained Q-learning ([`Bcq`], Tianshou's `DiscreteBCQPolicy`).
#![warn(missing_docs)]

pub mod bc;
pub mod bcq;
pub mod minari;
pub mod offline;

pub use bc::{Bc, BcConfig};
pub use bcq::{Bcq, BcqConfig, allowed_by_imitator};
pub use offline::{Offline, OfflineConfig, OfflineLearner};
