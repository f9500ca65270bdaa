//! `cinder eval` and `cinder export`: a run's trained policy reloaded, evaluated or exported.

use std::path::{Path, PathBuf};

use cinder_core::VecEnv;
use cinder_train::snapshot::{is_snapshot, read_snapshot};
use cinder_train::{Algorithm, Evaluation, TrainError, evaluate};

use super::directory::{find_snapshot, read_config};
use super::{PreparedRun, RunConfig, RunError, build};
use crate::policy::Policy;

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

/// How the evaluation environments are seeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpisodeSeeds {
    /// As many environments as the run trained with (at most one per episode), environment
    /// `i` reset with `seed + i` once; its later episodes follow from that reset.
    PerEnvironment,
    /// One environment per episode: episode `i` starts from a reset with `seed + i`, as
    /// Gymnasium's `env.reset(seed=seed + i)` (the same initial states in any library).
    PerEpisode,
}

/// The most episodes of an [`EpisodeSeeds::PerEpisode`] evaluation (an environment each).
pub const MAX_SEEDED_EPISODES: usize = 1000;

/// Reloads the policy of the run in `dir` (`best` if the run kept one, else `latest`: a
/// [`Policy`]) and evaluates it for `episodes` episodes from `seed`, seeded as `seeds` says.
pub fn evaluate_run(
    dir: &Path,
    episodes: usize,
    seed: u64,
    seeds: EpisodeSeeds,
) -> Result<Evaluation, RunError> {
    let input = |e: &dyn std::fmt::Display| RunError::Input(format!("{}: {e}", dir.display()));
    let config = read_config(dir)?;
    if episodes == 0 {
        return Err(RunError::Input("--episodes must be at least 1".into()));
    }
    let n_envs = match seeds {
        EpisodeSeeds::PerEnvironment => episodes.min(config.settings.run().n_envs),
        EpisodeSeeds::PerEpisode if episodes > MAX_SEEDED_EPISODES => {
            return Err(RunError::Input(format!(
                "--episodes {episodes} with --per-episode-seeds: at most {MAX_SEEDED_EPISODES} \
                 (an environment each)"
            )));
        }
        EpisodeSeeds::PerEpisode => episodes,
    };
    let mut policy = Policy::load(dir).map_err(|e| RunError::Input(e.to_string()))?;
    let spec = cinder_envs::spec(&config.env).map_err(|e| input(&e))?;
    let mut envs = VecEnv::from_fn(n_envs, |_| spec.make()).map_err(|e| input(&e))?;
    evaluate(&mut policy, &mut envs, episodes, seed)
        .map_err(|e: TrainError| RunError::Failed(e.to_string()))
}

/// Exports the policy of the run (or snapshot) in `dir` as `format` (`onnx`, with an
/// `action_mask` input when `masked`, or `safetensors`) to `out`, by default `policy.<format>` in the run directory (above a
/// snapshot directory, whose contents the next snapshot replaces); returns the file written.
pub fn export_run(
    dir: &Path,
    format: &str,
    out: Option<&Path>,
    masked: bool,
) -> Result<PathBuf, RunError> {
    type Save = fn(&Policy, &Path, bool) -> Result<(), crate::policy::PolicyError>;
    let save: Save = match format {
        "onnx" => |policy, path, masked| policy.save_onnx(path, masked),
        "safetensors" if masked => {
            return Err(RunError::Input(
                "--masked is for ONNX; a safetensors policy takes masks when it acts".into(),
            ));
        }
        "safetensors" => |policy, path, _| policy.save_safetensors(path),
        other => {
            return Err(RunError::Input(format!(
                "unknown export format `{other}`: expected onnx or safetensors"
            )));
        }
    };
    let policy = Policy::load(dir).map_err(|e| RunError::Input(e.to_string()))?;
    let run_dir = match is_snapshot(dir) {
        true => dir.parent().and_then(Path::parent).unwrap_or(dir),
        false => dir,
    };
    let out = match out {
        Some(out) => out.to_path_buf(),
        None => run_dir.join(format!("policy.{format}")),
    };
    save(&policy, &out, masked).map_err(|e| match e {
        e @ (crate::policy::PolicyError::File(_) | crate::policy::PolicyError::NotBuilt { .. }) => {
            RunError::Input(e.to_string())
        }
        other => RunError::Failed(other.to_string()),
    })?;
    Ok(out)
}
