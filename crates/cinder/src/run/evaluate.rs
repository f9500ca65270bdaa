//! `cinder eval`: a run's trained policy reloaded and evaluated.

use std::path::{Path, PathBuf};

use cinder_core::VecEnv;
use cinder_train::snapshot::read_snapshot;
use cinder_train::{Algorithm, Evaluation, TrainError, evaluate};

use super::directory::{find_snapshot, read_config};
use super::{PreparedRun, RunConfig, RunError, build};

/// The run in `dir` (with its `config`) built and restored from its `best` snapshot, else its
/// `latest`; returns it with the snapshot's directory.
pub(super) fn trained_run(
    dir: &Path,
    config: RunConfig,
) -> Result<(PreparedRun, PathBuf), RunError> {
    let input = |e: &dyn std::fmt::Display| RunError::Input(format!("{}: {e}", dir.display()));
    let snapshot_dir = find_snapshot(dir, &["best", "latest"])
        .ok_or_else(|| input(&"no snapshot in snapshots/best or snapshots/latest"))?;
    let (snapshot, _meta) = read_snapshot(&snapshot_dir).map_err(|e| input(&e))?;
    let run_seed = config.seed;
    let mut run = build(config, run_seed)?;
    run.algorithm
        .restore(&snapshot)
        .map_err(|e| input(&format!("{}: {e}", snapshot_dir.display())))?;
    Ok((run, snapshot_dir))
}

/// Reloads the snapshot of the run in `dir` (`best` if the run kept one, else `latest`) and
/// evaluates its deterministic policy for `episodes` episodes reset with `seed`.
pub fn evaluate_run(dir: &Path, episodes: usize, seed: u64) -> Result<Evaluation, RunError> {
    let input = |e: &dyn std::fmt::Display| RunError::Input(format!("{}: {e}", dir.display()));
    let config = read_config(dir)?;
    if episodes == 0 {
        return Err(RunError::Input("--episodes must be at least 1".into()));
    }
    let (mut run, _) = trained_run(dir, config)?;
    let spec = cinder_envs::spec(&run.config.env).map_err(|e| input(&e))?;
    let mut envs = VecEnv::from_fn(episodes.min(run.config.settings.run().n_envs), |_| {
        spec.make()
    })
    .map_err(|e| input(&e))?;
    if let Some(normalization) = run.eval_envs.normalization() {
        // The training statistics the snapshot restored, frozen.
        envs = envs
            .with_normalization(normalization.clone())
            .map_err(|e| input(&e))?;
    }
    evaluate(&mut run.algorithm, &mut envs, episodes, seed)
        .map_err(|e: TrainError| RunError::Failed(e.to_string()))
}
