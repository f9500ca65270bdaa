//! Typed errors of the off-policy crate.

use cinder_core::EnvError;
use cinder_data::ReplayError;
use cinder_nn::NnError;
use thiserror::Error;

/// What can go wrong when building or training an off-policy algorithm.
#[derive(Debug, Error)]
pub enum OffPolicyError {
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
    /// A transition the replay buffer refused (a NaN reward, a malformed action), with the
    /// environment step it came from.
    #[error("environment step {step}: {source}")]
    Transition {
        /// Environment steps taken before this one (over all environments).
        step: usize,
        /// Why it was refused.
        source: ReplayError,
    },
    /// A replay-buffer error (configuration, sampling, a saved buffer that does not fit).
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// An environment refused a step.
    #[error(transparent)]
    Env(#[from] EnvError),
    /// A network-level error (configuration, clipping, snapshot files, read-back).
    #[error(transparent)]
    Nn(#[from] NnError),
}

/// `Ok` if `ok` holds and `value` is finite, else [`OffPolicyError::InvalidParameter`].
pub(crate) fn check(
    name: &'static str,
    value: f64,
    ok: bool,
    expected: &'static str,
) -> Result<(), OffPolicyError> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(OffPolicyError::InvalidParameter {
            name,
            value: value.to_string(),
            expected,
        })
    }
}

/// The checks every learner shares: a target update interval of at least one update, positive
/// learning rates and a positive gradient-norm clip when there is one.
pub(crate) fn check_training(
    target_update_intvl: usize,
    learning_rates: &[(&'static str, f64)],
    max_grad_norm: Option<f64>,
) -> Result<(), OffPolicyError> {
    check(
        "target_update_intvl",
        target_update_intvl as f64,
        target_update_intvl > 0,
        "at least 1",
    )?;
    for &(name, lr) in learning_rates {
        check(name, lr, lr > 0.0, "positive")?;
    }
    if let Some(norm) = max_grad_norm {
        check("max_grad_norm", norm, norm > 0.0, "positive")?;
    }
    Ok(())
}
