use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::env::{Action, Env, StepOutcome, from_snapshot, to_snapshot};
use crate::error::EnvError;
use crate::running_stats::RunningMeanStd;
use crate::space::{BoxSpace, Space};

use super::forward_env;

/// Standardises observations with a running mean and variance (Gymnasium's
/// `NormalizeObservation`): `(obs - mean) / sqrt(var + 1e-8)`.
///
/// Every observation (from `reset` and `step`) first updates the statistics, then is
/// normalised. Freeze the statistics for evaluation with
/// [`NormalizeObservation::set_update_statistics`]; save and restore them with
/// [`NormalizeObservation::statistics`] / [`NormalizeObservation::set_statistics`].
#[derive(Debug, Clone)]
pub struct NormalizeObservation<E> {
    env: E,
    observation_space: Space,
    stats: RunningMeanStd,
    update_statistics: bool,
}

/// Added to the variance before the square root.
const EPSILON: f64 = 1e-8;

impl<E: Env> NormalizeObservation<E> {
    /// Wraps `env` with fresh statistics.
    pub fn new(env: E) -> Result<Self, EnvError> {
        let dim = env.observation_dim();
        let shape = match env.observation_space() {
            Space::Box(b) => b.shape().to_vec(),
            Space::Discrete(_) => vec![1],
        };
        let observation_space =
            Space::Box(BoxSpace::uniform(f32::NEG_INFINITY, f32::INFINITY, shape)?);
        Ok(Self {
            env,
            observation_space,
            stats: RunningMeanStd::new(dim),
            update_statistics: true,
        })
    }

    /// The running statistics (serialisable).
    pub fn statistics(&self) -> &RunningMeanStd {
        &self.stats
    }

    /// Restores statistics saved from an environment with the same observation size.
    pub fn set_statistics(&mut self, stats: RunningMeanStd) -> Result<(), EnvError> {
        let finite = stats.count.is_finite()
            && stats.count > 0.0
            && stats.mean.iter().all(|m| m.is_finite())
            && stats.var.iter().all(|v| v.is_finite() && *v >= 0.0);
        if stats.dim() != self.stats.dim() || stats.var.len() != stats.dim() || !finite {
            return Err(EnvError::IncompatibleEnv {
                context: format!("NormalizeObservation({})", self.env.id()),
                reason: format!(
                    "statistics must hold {} finite means and non-negative variances and a \
                     positive count; got {} means, {} variances, count {}",
                    self.stats.dim(),
                    stats.mean.len(),
                    stats.var.len(),
                    stats.count
                ),
            });
        }
        self.stats = stats;
        Ok(())
    }

    /// Whether observations keep updating the statistics (true by default).
    pub fn set_update_statistics(&mut self, update: bool) {
        self.update_statistics = update;
    }

    fn normalize(&mut self, observation: &mut [f32]) {
        if self.update_statistics {
            self.stats.update(observation);
        }
        self.stats.normalize(observation, EPSILON);
    }
}

/// What [`NormalizeObservation`] adds to its environment's snapshot.
#[derive(Serialize, Deserialize)]
struct Saved {
    stats: RunningMeanStd,
    update_statistics: bool,
    env: Value,
}

impl<E: Env> Env for NormalizeObservation<E> {
    forward_env!(action_space);

    fn snapshot(&self) -> Result<Value, EnvError> {
        let saved = Saved {
            stats: self.stats.clone(),
            update_statistics: self.update_statistics,
            env: self.env.snapshot()?,
        };
        to_snapshot(self.id(), &saved)
    }

    fn restore(&mut self, snapshot: &Value) -> Result<(), EnvError> {
        let saved: Saved = from_snapshot(self.id(), snapshot)?;
        let previous = self.stats.clone();
        self.set_statistics(saved.stats)?;
        if let Err(e) = self.env.restore(&saved.env) {
            self.stats = previous;
            return Err(e);
        }
        self.update_statistics = saved.update_statistics;
        Ok(())
    }

    fn observation_space(&self) -> &Space {
        &self.observation_space
    }

    fn reset_into(&mut self, seed: Option<u64>, observation: &mut [f32]) {
        self.env.reset_into(seed, observation);
        self.normalize(observation);
    }

    fn step_into(
        &mut self,
        action: Action<'_>,
        observation: &mut [f32],
    ) -> Result<StepOutcome, EnvError> {
        let outcome = self.env.step_into(action, observation)?;
        self.normalize(observation);
        Ok(outcome)
    }
}
