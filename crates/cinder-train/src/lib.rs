//! Cinder's training loop (Pyrado's `Algorithm.train`), written once for every family:
//! iterate, log, evaluate every `eval_every` iterations, steps or updates on separate
//! environments with the
//! deterministic policy, snapshot, and stop at a budget of iterations, environment steps or
//! gradient updates, or at a return threshold.
//!
//! An algorithm plugs in through [`Algorithm`]; the loop owns everything else: the
//! [`RunLogger`] sinks (progress bar, `progress.csv`, TensorBoard events, learning-curve PNG)
//! and the [`snapshot`] directories. An algorithm that takes no environment steps (offline
//! learning from a dataset) reports only updates; with [`XAxis::Updates`] its log and curve
//! are drawn against them.
#![warn(missing_docs)]

mod config;
mod evaluate;
mod logger;
mod plot;
pub mod snapshot;
pub mod tensorboard;

use std::path::PathBuf;
use std::time::Instant;

use thiserror::Error;

use cinder_core::{Actor, EnvError, EpisodeRecord, VecEnv};

pub use cinder_core::{Metric, Snapshot};
pub use config::{Every, RunCounters, TrainConfig, XAxis};
pub use evaluate::{Evaluation, evaluate};
pub use logger::{LogRow, RunLogger};
pub use snapshot::{SnapshotMeta, SnapshotMode};

/// What one iteration of an algorithm did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Iteration {
    /// Environment steps taken (transitions over all environments).
    pub steps: usize,
    /// Gradient updates made (optimiser steps on a minibatch).
    pub updates: usize,
    /// Episodes that finished during the iteration.
    pub episodes: Vec<EpisodeRecord>,
    /// The algorithm's own statistics, in a fixed order from one iteration to the next.
    pub metrics: Vec<Metric>,
}

/// A learner the [`train`] loop can drive. It acts through [`Actor`] (the loop evaluates with
/// [`ActMode::Greedy`](cinder_core::ActMode::Greedy)).
pub trait Algorithm: Actor {
    /// Gathers experience (or reads a dataset) and updates once. `progress` ∈ [0, 1] is the
    /// fraction of the training budget already used (what learning-rate and clip schedules
    /// read).
    fn iterate(&mut self, progress: f64) -> Result<Iteration, Self::Error>;

    /// Everything needed to restore the learner (weights, optimiser states), as named files.
    fn snapshot(&self) -> Result<Snapshot, Self::Error>;

    /// Restores the learner from a snapshot taken by [`Algorithm::snapshot`].
    fn restore(&mut self, snapshot: &Snapshot) -> Result<(), Self::Error>;
}

/// Why training stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// `max_iter` iterations ran.
    MaxIter,
    /// `total_steps` steps were taken.
    TotalSteps,
    /// `max_updates` gradient updates were made.
    MaxUpdates,
    /// An evaluation reached `return_threshold`.
    ReturnThreshold,
}

/// The outcome of a training run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSummary {
    /// Iterations run.
    pub iterations: usize,
    /// Environment steps taken.
    pub total_steps: usize,
    /// Gradient updates made.
    pub total_updates: usize,
    /// Training episodes finished.
    pub total_episodes: usize,
    /// Wall time of the loop, evaluations included.
    pub wall_seconds: f64,
    /// `total_steps / wall_seconds`.
    pub steps_per_second: f64,
    /// The evaluation after the last iteration.
    pub final_eval: Evaluation,
    /// Why the loop stopped.
    pub stop_reason: StopReason,
}

impl std::fmt::Display for TrainSummary {
    /// One line: budget used, wall time and the final deterministic evaluation.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = &self.final_eval;
        write!(
            f,
            "{} steps, {} updates in {:.1} s; deterministic evaluation over {} episodes: \
             {:.1} ± {:.1}",
            self.total_steps,
            self.total_updates,
            self.wall_seconds,
            e.returns.len(),
            e.mean,
            e.std
        )
    }
}

/// Errors of the training loop.
#[derive(Debug, Error)]
pub enum TrainError {
    /// A loop setting that cannot work.
    #[error("invalid training setting `{name}`: {reason}")]
    InvalidConfig {
        /// The setting.
        name: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The algorithm failed in iteration `iteration` (1-based; 0 = before the first).
    #[error("iteration {iteration}: {source}")]
    Algorithm {
        /// Where it failed.
        iteration: usize,
        /// The algorithm's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A reported metric was NaN or infinite: training stops, earlier snapshots are kept.
    #[error(
        "iteration {iteration}: {name} is {value}; training stopped, the last good snapshot is kept"
    )]
    NonFinite {
        /// The iteration (1-based).
        iteration: usize,
        /// The metric.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// A file or directory could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A snapshot exists but is not usable.
    #[error("snapshot {path}: {reason}")]
    BadSnapshot {
        /// The snapshot directory or file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A run cannot be resumed from what its directory holds.
    #[error("cannot resume from {path}: {reason}")]
    Resume {
        /// The file that stands in the way.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// An environment refused a step during evaluation.
    #[error("evaluation: {0}")]
    Env(#[from] EnvError),
    /// The learning-curve plot could not be drawn.
    #[error("plot {path}: {reason}")]
    Plot {
        /// The PNG file.
        path: PathBuf,
        /// The drawing backend's message.
        reason: String,
    },
}

/// Runs `algorithm` until `config` says stop, evaluating on `eval_envs` and writing through
/// `logger` (its run directory receives the snapshots).
pub fn train<A: Algorithm + ?Sized>(
    algorithm: &mut A,
    eval_envs: &mut VecEnv,
    config: &TrainConfig,
    logger: &mut RunLogger,
) -> Result<TrainSummary, TrainError> {
    config.validate()?;
    let clock = Instant::now();
    let elapsed = || config.start.wall_seconds + clock.elapsed().as_secs_f64();
    let mut counters = config.start;
    logger.start(config);
    let (stop_reason, final_eval) = loop {
        let iter_start = Instant::now();
        let progress = config.progress(&counters);
        let before = counters;
        let iteration = algorithm
            .iterate(progress)
            .map_err(|e| TrainError::Algorithm {
                iteration: counters.iterations + 1,
                source: Box::new(e),
            })?;
        counters.iterations += 1;
        counters.total_steps += iteration.steps;
        counters.total_updates += iteration.updates;
        counters.total_episodes += iteration.episodes.len();
        if let Some(bad) = iteration.metrics.iter().find(|m| !m.value.is_finite()) {
            logger.abandon();
            return Err(TrainError::NonFinite {
                iteration: counters.iterations,
                name: bad.name,
                value: bad.value,
            });
        }
        let stop = config.spent(&counters);
        let due = config.eval_every.due(&before, &counters);
        let eval = if due || stop.is_some() {
            let e = evaluate(algorithm, eval_envs, config.eval_episodes, config.eval_seed)
                .map_err(|e| e.in_iteration(counters.iterations))?;
            Some(e)
        } else {
            None
        };
        counters.wall_seconds = elapsed();
        let seconds = iter_start.elapsed().as_secs_f64();
        let row = LogRow {
            counters,
            steps_per_second: iteration.steps as f64 / seconds,
            updates_per_second: iteration.updates as f64 / seconds,
            episodes: &iteration.episodes,
            metrics: &iteration.metrics,
            eval: eval.as_ref(),
        };
        logger.log(&row)?;
        if let Some(e) = &eval {
            let improved = e.mean > counters.best_eval;
            counters.best_eval = counters.best_eval.max(e.mean);
            let target = match config.snapshot_mode {
                SnapshotMode::Best if !improved => None,
                mode => mode.dir_name(),
            };
            if let Some(dir_name) = target {
                let files = algorithm.snapshot().map_err(|e| TrainError::Algorithm {
                    iteration: counters.iterations,
                    source: Box::new(e),
                })?;
                logger.save_snapshot(&files, dir_name, counters, e)?;
            }
        }
        let threshold_met =
            matches!((config.return_threshold, &eval), (Some(t), Some(e)) if e.mean >= t);
        match (stop, eval) {
            (Some(reason), Some(e)) => break (reason, e),
            (None, Some(e)) if threshold_met => break (StopReason::ReturnThreshold, e),
            _ => {}
        }
    };
    let wall_seconds = elapsed();
    logger.finish()?;
    Ok(TrainSummary {
        iterations: counters.iterations,
        total_steps: counters.total_steps,
        total_updates: counters.total_updates,
        total_episodes: counters.total_episodes,
        wall_seconds,
        steps_per_second: counters.total_steps as f64 / wall_seconds.max(1e-9),
        final_eval,
        stop_reason,
    })
}

impl TrainError {
    /// Attaches `iteration` to an error raised without one.
    fn in_iteration(self, iteration: usize) -> Self {
        match self {
            TrainError::Algorithm { source, .. } => TrainError::Algorithm { iteration, source },
            other => other,
        }
    }
}
