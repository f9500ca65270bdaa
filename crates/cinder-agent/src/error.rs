//! [`AgentError`]: what can go wrong when building, acting with or training any learner, and
//! the hyper-parameter checks every family shares.

use cinder_core::EnvError;
use cinder_data::{DatasetError, ReplayError, SampleError};
use cinder_nn::NnError;
use thiserror::Error;

/// The error of every learner and of the iterations that drive them.
#[derive(Debug, Error)]
pub enum AgentError {
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
    /// An action or observation space this learner cannot handle, or observations that break
    /// its assumptions (an all-zero action mask).
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
    /// A transition the replay memory refused (a NaN reward, a malformed action), with the
    /// environment step it came from.
    #[error("environment step {step}: {source}")]
    Transition {
        /// Environment steps taken before this one (over all environments).
        step: usize,
        /// Why it was refused.
        source: ReplayError,
    },
    /// A replay-memory error (configuration, sampling, a saved memory that does not fit).
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// An environment refused a step.
    #[error(transparent)]
    Env(#[from] EnvError),
    /// Sampling a rollout failed.
    #[error(transparent)]
    Sample(#[from] SampleError),
    /// An offline dataset that cannot be used (its file, episode and step named).
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// A network-level error (configuration, clipping, snapshot files, read-back).
    #[error(transparent)]
    Nn(#[from] NnError),
}

/// `Ok` if `ok` holds and `value` is finite, else [`AgentError::InvalidParameter`] naming
/// `name`, the value and `expected`.
pub fn check(
    name: &'static str,
    value: f64,
    ok: bool,
    expected: &'static str,
) -> Result<(), AgentError> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(AgentError::InvalidParameter {
            name,
            value: value.to_string(),
            expected,
        })
    }
}

/// `value` > 0.
pub fn check_positive(name: &'static str, value: f64) -> Result<(), AgentError> {
    check(name, value, value > 0.0, "positive")
}

/// `value` ≥ 0.
pub fn check_non_negative(name: &'static str, value: f64) -> Result<(), AgentError> {
    check(name, value, value >= 0.0, "non-negative")
}

/// `value` ∈ [0, 1].
pub fn check_unit_interval(name: &'static str, value: f64) -> Result<(), AgentError> {
    check(name, value, (0.0..=1.0).contains(&value), "in [0, 1]")
}

/// A count of at least 1.
pub fn check_count(name: &'static str, value: usize) -> Result<(), AgentError> {
    check(name, value as f64, value > 0, "at least 1")
}

/// A positive gradient-norm clip, when there is one.
pub fn check_max_grad_norm(max_grad_norm: Option<f64>) -> Result<(), AgentError> {
    max_grad_norm.map_or(Ok(()), |norm| check_positive("max_grad_norm", norm))
}

/// `value` if finite, else [`AgentError::NonFinite`] naming `what`.
pub fn finite(what: &'static str, value: f32) -> Result<f32, AgentError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(AgentError::NonFinite { what, value })
    }
}
