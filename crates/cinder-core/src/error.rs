//! Typed errors of the core crate.

use thiserror::Error;

/// Everything that can go wrong when building or driving an environment.
///
/// Each variant names the environment (its id) and the offending value, so a message read in a
/// log says what to fix without a backtrace.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EnvError {
    /// An action that is not a member of the action space (wrong length, index out of range,
    /// NaN, or out of bounds where the environment does not clip).
    #[error("{env}: action {action} is not in the action space {space}")]
    InvalidAction {
        /// Id of the environment.
        env: String,
        /// The action as given.
        action: String,
        /// The action space, as `Display`ed.
        space: String,
    },
    /// `set_state` with a state of the wrong length.
    #[error("{env}: state must have {expected} components ({names}), got {got}")]
    StateLength {
        /// Id of the environment.
        env: String,
        /// Number of components the environment's state has.
        expected: usize,
        /// Number of components given.
        got: usize,
        /// Names of the state components, comma-separated.
        names: String,
    },
    /// `set_state` with a NaN or infinite component.
    #[error("{env}: state component {index} ({name}) is not finite: {value}")]
    NonFiniteState {
        /// Id of the environment.
        env: String,
        /// Index of the bad component.
        index: usize,
        /// Name of the bad component.
        name: String,
        /// The value given.
        value: f64,
    },
    /// `step` before the first `reset` (Gymnasium raises `ResetNeeded` here too).
    #[error("{env}: step() called before reset()")]
    ResetNeeded {
        /// Id of the environment.
        env: String,
    },
    /// The environment does not expose its internal state.
    #[error("{env}: this environment does not expose its internal state")]
    StateUnsupported {
        /// Id of the environment.
        env: String,
    },
    /// A saved environment state ([`crate::Env::snapshot`]) that does not fit the environment.
    #[error("{env}: cannot restore the saved environment state: {reason}")]
    BadSnapshot {
        /// Id of the environment.
        env: String,
        /// What does not fit.
        reason: String,
    },
    /// `make(id)` with an id that is not registered.
    #[error("unknown environment id `{id}`; known ids: {known}")]
    UnknownEnv {
        /// The id asked for.
        id: String,
        /// The registered ids, comma-separated.
        known: String,
    },
    /// An environment returned a NaN or infinite observation value or reward. An observation
    /// value the environment did not write reads as NaN.
    #[error("{env}: {what} is {value}")]
    NonFinite {
        /// Id of the environment.
        env: String,
        /// Which value, and when (`observation component 2 (an unwritten value reads as NaN)
        /// at step 17 of environment 0's episode`).
        what: String,
        /// The value.
        value: f64,
    },
    /// An environment's [`crate::Env::action_mask`] allowed no action.
    #[error("{env}: no valid action {when}")]
    NoValidAction {
        /// Id of the environment.
        env: String,
        /// When (`at step 17 of environment 0's episode`).
        when: String,
    },
    /// An environment outside Rust (a Gymnasium one through the bridge) failed: what it
    /// raised, in one line.
    #[error("{env}: {reason}")]
    External {
        /// Id of the environment.
        env: String,
        /// What went wrong, and what to install where that is the cause.
        reason: String,
    },
    /// A space that cannot exist (low > high, mismatched shapes, n = 0, ...).
    #[error("invalid space: {0}")]
    InvalidSpace(String),
    /// A wrapper or vector environment was given environments whose spaces do not fit it.
    #[error("{context}: {reason}")]
    IncompatibleEnv {
        /// The wrapper or container that refused the environment.
        context: String,
        /// Why.
        reason: String,
    },
}
