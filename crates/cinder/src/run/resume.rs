//! `cinder resume`: a run goes on from its latest snapshot.

use std::path::Path;

use cinder_agent::resume::ENVS_FILE;
use cinder_train::snapshot::read_snapshot;
use cinder_train::{Algorithm, RunCounters, RunLogger, TrainConfig, TrainError};

use super::directory::{SUMMARY, find_snapshot, read_config, run_info, train_into, write_config};
use super::{RunError, RunSummary, build};
use crate::registry::{self, Family};

/// Goes on with the run in `dir` from its latest snapshot (or its best, if it kept only that)
/// until `total_steps` / `max_updates` (or its configured budget): weights, optimiser states,
/// schedules, counters and the environments' episodes come back, and the replay memory when
/// the run saved it (`--save-buffer`; otherwise it is refilled). `progress.csv` keeps the rows
/// up to the snapshot and goes on from there. An online run whose environment cannot save its
/// state is refused rather than resumed inexactly. Everything is checked before a file is
/// touched.
pub fn resume(
    dir: &Path,
    total_steps: Option<usize>,
    max_updates: Option<usize>,
    progress_bar: bool,
) -> Result<RunSummary, RunError> {
    let input = |e: &dyn std::fmt::Display| RunError::Input(format!("{}: {e}", dir.display()));
    let mut config = read_config(dir)?;
    let snapshot_dir = find_snapshot(dir, &["latest", "best"]).ok_or_else(|| {
        input(
            &"no snapshot to resume from (snapshot_mode = \"none\", or the run stopped before \
               its first evaluation)",
        )
    })?;
    let (snapshot, meta) = read_snapshot(&snapshot_dir).map_err(|e| input(&e))?;
    let online = registry::find(&config.algo)?.family != Family::Offline;
    let saved_envs = |name: &str| name == ENVS_FILE || name.ends_with(&format!("/{ENVS_FILE}"));
    if online && !snapshot.names().any(saved_envs) {
        return Err(input(&format!(
            "cannot resume exactly: environment {} does not save its state (Env::snapshot and \
             Env::restore), so its episodes cannot go on where the snapshot left them",
            config.env
        )));
    }
    if let Some(steps) = total_steps {
        config.settings.run_mut().total_steps = Some(steps);
    }
    if let Some(updates) = max_updates {
        config.settings.run_mut().max_updates = Some(updates);
    }
    let start = RunCounters::from_snapshot(&meta);
    TrainConfig {
        start,
        ..config.settings.run().train_config()
    }
    .validate()
    .map_err(|e| match e {
        TrainError::InvalidConfig {
            name: "total_steps",
            ..
        } => input(&format!(
            "the run has already taken {} steps (snapshot {}); pass --steps with a larger total",
            meta.total_steps,
            snapshot_dir.display()
        )),
        TrainError::InvalidConfig {
            name: name @ ("max_updates" | "max_iter"),
            ..
        } => input(&format!(
            "the run has already spent its {name} budget (snapshot {}: {} iterations, {} \
             updates); pass --updates with a larger total",
            snapshot_dir.display(),
            meta.iteration,
            meta.total_updates
        )),
        e => input(&e),
    })?;
    let seed = config.seed;
    let mut run = build(config, seed)?;
    run.algorithm
        .restore(&snapshot)
        .map_err(|e| input(&format!("{}: {e}", snapshot_dir.display())))?;
    run.algorithm.iteration = meta.iteration;

    let failed = |e: &dyn std::fmt::Display| RunError::Failed(format!("{}: {e}", dir.display()));
    write_config(dir, &run.config).map_err(|e| failed(&e))?;
    match std::fs::remove_file(dir.join(SUMMARY)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(failed(&e)),
        _ => {}
    }
    let logger = RunLogger::resume(dir, meta.iteration, run_info(&run)?, progress_bar)
        .map_err(|e| failed(&e))?;
    train_into(dir, run, start, logger)
}
