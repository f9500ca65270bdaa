//! A trained Cinder policy without burn.
//!
//! `cinder export RUN --format safetensors` writes a [`Graph`]: the deterministic acting of a
//! trained policy as plain data, in one file (the weights as safetensors tensors, the rest as
//! a JSON description in the file's metadata). This crate reads it back and evaluates it in
//! plain Rust, so a program that runs a policy (a game loop, a controller, a service) needs
//! neither burn nor a GPU stack. The same graph is what `cinder export --format onnx` writes
//! as an ONNX model.
//!
//! A graph is, from the raw observation to the action the environment takes:
//!
//! 1. the run's observation normalisation, if it had one (SB3's `VecNormalize`:
//!    `clip((x − mean) / std, ±clip)` with the training statistics frozen);
//! 2. dense layers `x·W + b`, each followed by its activation (none after the last);
//! 3. a [`Head`]: the greedy index of the outputs (categorical logits, Q-values; BCQ's
//!    restricted to the actions its imitator deems likely), or a box action (the Gaussian
//!    mean clipped into the box; `tanh` then scaled into the box for SAC, DDPG, TD3).
//!
//! ```no_run
//! let policy = cinder_policy::Graph::load("runs/ppo-CartPole-v1/policy.safetensors")?;
//! let action = policy.act(&[0.01, -0.02, 0.03, 0.04])?;
//! # Ok::<(), cinder_policy::PolicyError>(())
//! ```

mod file;
mod graph;

pub use file::FORMAT;
pub use graph::{Action, Activation, Dense, Graph, Head, Imitator, Standardize};

/// Why a policy file or an observation was refused.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The bytes are not a policy this crate reads (truncated, another format, inconsistent).
    #[error("not a Cinder policy file: {0}")]
    Malformed(String),
    /// The file was written by a newer Cinder.
    #[error("policy format {found} is newer than this reader's ({FORMAT}): update cinder-policy")]
    NewerFormat {
        /// The file's format.
        found: u32,
    },
    /// An observation of the wrong length or with a non-finite value.
    #[error("observation: {0}")]
    Observation(String),
}
