//! Offline reinforcement learning: learners trained from a fixed dataset, without
//! environment steps.
//!
//! - [`minari`]: Minari-compatible datasets on disk (HDF5 and Arrow read, HDF5 written), with
//!   the `minari` feature; without it, every call says how to get it.
//! - [`offline`]: the iteration every offline learner shares ([`Offline`]: minibatch updates
//!   from the dataset's transitions, n-step targets as online). The learners implement the
//!   agent layer's [`ReplayLearner`], as the off-policy ones do: a dataset is a replay memory
//!   that does not grow.
//! - [`bc`]: behaviour cloning ([`Bc`], Tianshou's `ImitationPolicy`).
//! - [`bcq`]: discrete batch-constrained Q-learning ([`Bcq`], Tianshou's `DiscreteBCQPolicy`).
#![warn(missing_docs)]

pub mod bc;
pub mod bcq;
#[cfg(feature = "minari")]
pub mod minari;
pub mod offline;

/// Minari datasets in a build without the `minari` feature: each call is an error naming the
/// feature (the API of the feature's module, so callers need no feature checks of their own).
#[cfg(not(feature = "minari"))]
pub mod minari {
    use std::path::Path;

    use cinder_data::{Dataset, DatasetError};

    /// What every call answers.
    const NOT_BUILT: &str = "this build reads and writes no Minari datasets: build Cinder with \
                             the `minari` feature (`--features minari` on `cargo build`, `run` \
                             or `install`)";

    /// Refused: this build has no Minari reader or writer.
    pub fn built() -> Result<(), DatasetError> {
        Err(DatasetError::Format(NOT_BUILT.into()))
    }

    /// Refused: no Minari reader in this build.
    pub fn load(_path: &Path) -> Result<Dataset, DatasetError> {
        Err(DatasetError::Format(NOT_BUILT.into()))
    }

    /// Refused: no Minari writer in this build.
    pub fn save(_dataset: &Dataset, _path: &Path) -> Result<(), DatasetError> {
        Err(DatasetError::Format(NOT_BUILT.into()))
    }

    /// Refused: no Minari reader in this build.
    pub fn data_format(_path: &Path) -> Result<String, DatasetError> {
        Err(DatasetError::Format(NOT_BUILT.into()))
    }
}

pub use bc::{Bc, BcConfig};
pub use bcq::{Bcq, BcqConfig, allowed_by_imitator};
pub use cinder_agent::{Learned, ReplayLearner};
pub use offline::{Offline, OfflineConfig};
