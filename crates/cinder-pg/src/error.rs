//! Typed errors of the policy-gradient crate.

use cinder_data::SampleError;
use cinder_nn::NnError;
use thiserror::Error;

/// What can go wrong when building or training a policy-gradient algorithm.
#[derive(Debug, Error)]
pub enum PgError {
    /// A hyper-parameter out of its range; names the parameter and the value.
    #[error("invalid hyper-parameter `{name}` = {value}: {expected}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// The value given.
        value: String,
        /// What it must be.
        expected: &'static str,
    },
    /// An action or observation space this algorithm cannot handle.
    #[error("unsupported space: {0}")]
    UnsupportedSpace(String),
    /// A loss or statistic became NaN or infinite.
    #[error("non-finite {what} ({value})")]
    NonFinite {
        /// Which quantity.
        what: &'static str,
        /// Its value.
        value: f32,
    },
    /// Reading a tensor back to the host failed.
    #[error("tensor read-back failed: {0}")]
    ReadBack(String),
    /// A network-level error (configuration, clipping).
    #[error(transparent)]
    Nn(#[from] NnError),
    /// Sampling failed.
    #[error(transparent)]
    Sample(#[from] SampleError),
}

/// `Ok` if `value` lies in `range`, else [`PgError::InvalidParameter`].
pub(crate) fn check_range(
    name: &'static str,
    value: f64,
    ok: bool,
    expected: &'static str,
) -> Result<(), PgError> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(PgError::InvalidParameter {
            name,
            value: value.to_string(),
            expected,
        })
    }
}
