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
    /// A network-level error (configuration, clipping, snapshot files).
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

/// The checks every optimised component shares: a positive learning rate, at least one epoch
/// and one transition per minibatch, and a positive gradient-norm clip when there is one.
pub(crate) fn check_optimisation(
    lr: f64,
    num_epoch: usize,
    batch_size: usize,
    max_grad_norm: Option<f64>,
) -> Result<(), PgError> {
    check_range("lr", lr, lr > 0.0, "positive")?;
    check_range("num_epoch", num_epoch as f64, num_epoch > 0, "at least 1")?;
    check_range(
        "batch_size",
        batch_size as f64,
        batch_size > 0,
        "at least 1",
    )?;
    if let Some(norm) = max_grad_norm {
        check_range("max_grad_norm", norm, norm > 0.0, "positive")?;
    }
    Ok(())
}
