//! Typed errors of the neural-network crate.

use thiserror::Error;

/// What can go wrong when choosing a device or updating networks.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum NnError {
    /// A device name that is not one of `flex`, `ndarray`, `wgpu`.
    #[error("unknown device `{0}`; known devices: flex, ndarray, wgpu")]
    UnknownDevice(String),
    /// A device whose backend was not compiled in.
    #[error("device `{0}` is not available: build with the cargo feature `{0}`")]
    DeviceNotCompiled(&'static str),
    /// A network configuration that cannot be built.
    #[error("invalid network configuration: {0}")]
    InvalidConfig(String),
    /// `tau` outside `[0, 1]`.
    #[error("tau must lie in [0, 1], got {0}")]
    InvalidTau(f64),
    /// A non-positive or non-finite maximal gradient norm.
    #[error("max_grad_norm must be positive and finite, got {0}")]
    InvalidMaxNorm(f64),
    /// Gradient clipping found no gradient for any parameter of the module.
    #[error("none of the module's parameters has a gradient (was the loss computed from it?)")]
    NoGradients,
    /// A snapshot file is missing, corrupt or does not fit the network; names the file.
    #[error("snapshot: {0}")]
    Snapshot(String),
    /// Reading a tensor back to the host failed.
    #[error("tensor read-back failed: {0}")]
    ReadBack(String),
    /// Online and target networks of different architectures.
    #[error("target network does not match the trained network: {0}")]
    ArchitectureMismatch(String),
}
