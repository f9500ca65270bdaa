//! When a run stops, how often it evaluates and snapshots, and how far it has come: the
//! training loop's configuration ([`TrainConfig`], [`Every`], [`XAxis`]) and counters
//! ([`RunCounters`]).

use serde::{Deserialize, Serialize};

use crate::snapshot::{self, SnapshotMode};
use crate::{StopReason, TrainError};

/// When the loop stops and how it evaluates and snapshots.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Stop after this many iterations.
    pub max_iter: Option<usize>,
    /// Stop once this many environment steps are taken.
    pub total_steps: Option<usize>,
    /// Stop once this many gradient updates are made.
    pub max_updates: Option<usize>,
    /// Stop once the evaluation mean return reaches this value.
    pub return_threshold: Option<f64>,
    /// How often to evaluate (and snapshot): every so many iterations, steps or updates.
    pub eval_every: Every,
    /// Episodes per evaluation.
    pub eval_episodes: usize,
    /// Seed of the evaluation environments' resets (the same for every evaluation).
    pub eval_seed: u64,
    /// Which snapshots to keep.
    pub snapshot_mode: SnapshotMode,
    /// What TensorBoard's step and the learning curve's x axis count.
    pub x_axis: XAxis,
    /// Where a resumed run starts counting (zero for a new run).
    pub start: RunCounters,
}

/// How often something recurs during a run (evaluations and their snapshots): every so many
/// iterations, environment steps or gradient updates; 0 means only at the end. An iteration
/// is due when its counter crosses a multiple (an iteration of SAC is one step, of PPO a
/// whole rollout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Every {
    /// Every so many iterations.
    Iterations(usize),
    /// Every so many environment steps.
    Steps(usize),
    /// Every so many gradient updates.
    Updates(usize),
}

impl Every {
    /// Whether the iteration that took the counters from `before` to `after` is due.
    pub fn due(&self, before: &RunCounters, after: &RunCounters) -> bool {
        let (n, from, to) = match *self {
            Every::Iterations(n) => (n, before.iterations, after.iterations),
            Every::Steps(n) => (n, before.total_steps, after.total_steps),
            Every::Updates(n) => (n, before.total_updates, after.total_updates),
        };
        n > 0 && to / n > from / n
    }
}

/// What the x axis of TensorBoard scalars and of `learning_curve.png` counts (`progress.csv`
/// has both columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum XAxis {
    /// Environment steps (algorithms that interact with environments).
    #[default]
    Steps,
    /// Gradient updates (offline algorithms, which take no environment steps).
    Updates,
}

/// How far a run has come: what a snapshot records and a resumed run starts from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunCounters {
    /// Iterations already run.
    pub iterations: usize,
    /// Environment steps already taken.
    pub total_steps: usize,
    /// Gradient updates already made.
    pub total_updates: usize,
    /// Training episodes already finished.
    pub total_episodes: usize,
    /// Wall time already spent.
    pub wall_seconds: f64,
    /// The best evaluation so far (what [`SnapshotMode::Best`] has to beat).
    pub best_eval: f64,
}

impl Default for RunCounters {
    fn default() -> Self {
        Self {
            iterations: 0,
            total_steps: 0,
            total_updates: 0,
            total_episodes: 0,
            wall_seconds: 0.0,
            best_eval: f64::NEG_INFINITY,
        }
    }
}

impl RunCounters {
    /// The counters recorded in a snapshot's metadata.
    pub fn from_snapshot(meta: &snapshot::SnapshotMeta) -> Self {
        Self {
            iterations: meta.iteration,
            total_steps: meta.total_steps,
            total_updates: meta.total_updates,
            total_episodes: meta.total_episodes,
            wall_seconds: meta.wall_seconds,
            best_eval: meta.eval_mean,
        }
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            max_iter: None,
            total_steps: Some(100_000),
            max_updates: None,
            return_threshold: None,
            eval_every: Every::Iterations(10),
            eval_episodes: 10,
            eval_seed: 1_000_000,
            snapshot_mode: SnapshotMode::Latest,
            x_axis: XAxis::Steps,
            start: RunCounters::default(),
        }
    }
}

impl TrainConfig {
    /// A run of `total_steps` environment steps, evaluated at `eval_every` (the other settings
    /// at their defaults).
    pub fn steps(total_steps: usize, eval_every: Every) -> Self {
        Self {
            total_steps: Some(total_steps),
            eval_every,
            ..Self::default()
        }
    }

    /// A run of `max_updates` gradient updates and no step budget (an offline algorithm),
    /// evaluated at `eval_every`, logged over updates.
    pub fn updates(max_updates: usize, eval_every: Every) -> Self {
        Self {
            total_steps: None,
            max_updates: Some(max_updates),
            eval_every,
            x_axis: XAxis::Updates,
            ..Self::default()
        }
    }

    /// Checks that the loop can end and that evaluations are possible.
    pub fn validate(&self) -> Result<(), TrainError> {
        let invalid = |name: &'static str, reason: &'static str| {
            Err(TrainError::InvalidConfig { name, reason })
        };
        if self.max_iter.is_none() && self.total_steps.is_none() && self.max_updates.is_none() {
            return invalid(
                "max_iter",
                "set max_iter, total_steps or max_updates, or training never ends",
            );
        }
        for (name, budget) in [
            ("max_iter", self.max_iter),
            ("total_steps", self.total_steps),
            ("max_updates", self.max_updates),
        ] {
            if budget == Some(0) {
                return invalid(name, "must be at least 1");
            }
        }
        if self.eval_episodes == 0 {
            return invalid("eval_episodes", "must be at least 1");
        }
        if self.return_threshold.is_some_and(|t| !t.is_finite()) {
            return invalid("return_threshold", "must be finite");
        }
        let start = &self.start;
        for (name, budget, used, reason) in [
            (
                "max_iter",
                self.max_iter,
                start.iterations,
                "the resumed run has already run that many iterations; raise it to go on",
            ),
            (
                "total_steps",
                self.total_steps,
                start.total_steps,
                "the resumed run has already taken that many steps; raise it to go on",
            ),
            (
                "max_updates",
                self.max_updates,
                start.total_updates,
                "the resumed run has already made that many updates; raise it to go on",
            ),
        ] {
            if budget.is_some_and(|b| used >= b) {
                return invalid(name, reason);
            }
        }
        Ok(())
    }

    /// Fraction of the budget used at `counters` (the largest of the budgets' fractions).
    pub(crate) fn progress(&self, counters: &RunCounters) -> f64 {
        let fraction = |used: usize, budget: Option<usize>| budget.map(|b| used as f64 / b as f64);
        [
            fraction(counters.iterations, self.max_iter),
            fraction(counters.total_steps, self.total_steps),
            fraction(counters.total_updates, self.max_updates),
        ]
        .into_iter()
        .flatten()
        .fold(0.0, f64::max)
        .min(1.0)
    }

    /// The budget a run has used up at `counters`, if any.
    pub(crate) fn spent(&self, counters: &RunCounters) -> Option<StopReason> {
        let reached = |used: usize, budget: Option<usize>| budget.is_some_and(|b| used >= b);
        if reached(counters.iterations, self.max_iter) {
            Some(StopReason::MaxIter)
        } else if reached(counters.total_steps, self.total_steps) {
            Some(StopReason::TotalSteps)
        } else if reached(counters.total_updates, self.max_updates) {
            Some(StopReason::MaxUpdates)
        } else {
            None
        }
    }
}
