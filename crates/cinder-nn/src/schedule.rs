//! Schedules for the learning rate (Pyrado's `lr_scheduler`) and PPO's clip range.

use crate::error::NnError;

/// How a hyper-parameter moves from its initial value over training.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Schedule {
    /// Always the initial value.
    #[default]
    Constant,
    /// `initial · (1 − progress)`: down to 0 at the end of the training budget (SB3 / RL Zoo
    /// `lin_<value>`).
    Linear,
    /// `initial · gammaᵏ` after `k` updates (PyTorch's `ExponentialLR`, one step per update).
    Exponential {
        /// Decay factor per update, in (0, 1].
        gamma: f64,
    },
}

impl Schedule {
    /// The value after `updates` updates, with `progress` ∈ [0, 1] of the budget used.
    pub fn value(&self, initial: f64, progress: f64, updates: usize) -> f64 {
        match self {
            Schedule::Constant => initial,
            Schedule::Linear => initial * (1.0 - progress.clamp(0.0, 1.0)),
            Schedule::Exponential { gamma } => {
                initial * gamma.powi(updates.min(i32::MAX as usize) as i32)
            }
        }
    }

    /// Checks the decay factor.
    pub fn validate(&self, name: &'static str) -> Result<(), NnError> {
        match self {
            Schedule::Exponential { gamma } if !(*gamma > 0.0 && *gamma <= 1.0) => {
                Err(NnError::InvalidConfig(format!(
                    "{name}: exponential gamma must lie in (0, 1], got {gamma}"
                )))
            }
            _ => Ok(()),
        }
    }

    /// Parses `constant`, `linear` or `exponential:<gamma>`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.split_once(':') {
            None if text == "constant" => Some(Schedule::Constant),
            None if text == "linear" => Some(Schedule::Linear),
            Some(("exponential", gamma)) => gamma
                .trim()
                .parse()
                .ok()
                .map(|gamma| Schedule::Exponential { gamma }),
            _ => None,
        }
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Schedule::Constant => write!(f, "constant"),
            Schedule::Linear => write!(f, "linear"),
            Schedule::Exponential { gamma } => write!(f, "exponential:{gamma}"),
        }
    }
}
