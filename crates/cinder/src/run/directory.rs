//! Run directories: creating one, `config.toml` written and read back, training into a
//! directory and its `summary.json`, the snapshot a command starts from.

use std::path::{Path, PathBuf};

use cinder_train::snapshot::write_atomic;
use cinder_train::{RunCounters, RunLogger, StopReason, TrainConfig, train};
use serde::{Deserialize, Serialize};

use super::{PreparedRun, RunConfig, RunError, RunSummary};
use crate::policy::RUN_FORMAT;
use crate::registry;

/// `config.toml` on disk: the run's identity and its settings as one flat table, which is
/// checked on reading exactly as `cinder train` checks its input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    algo: String,
    env: String,
    seed: u64,
    device: String,
    settings: toml::Table,
}

/// A fresh run directory `<out>/<algo>-<env>-<timestamp>` (suffixed if it exists); characters
/// of the id other than letters, digits, `-`, `_` and `.` become `_` (`gym:Id?k=v` →
/// `gym_Id_k_v`).
fn create_run_dir(out: &Path, config: &RunConfig) -> Result<PathBuf, RunError> {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let env: String = config
        .env
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '.' => c,
            _ => '_',
        })
        .collect();
    let base = format!("{}-{env}-{stamp}", config.algo);
    std::fs::create_dir_all(out)
        .map_err(|e| RunError::Input(format!("output directory {}: {e}", out.display())))?;
    for n in 0.. {
        let name = if n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let dir = out.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(RunError::Input(format!("{}: {e}", dir.display()))),
        }
    }
    unreachable!("some suffix is free")
}

/// Trains a prepared run into a new directory under `out`; returns the directory and summary.
pub fn execute(
    run: PreparedRun,
    out: &Path,
    progress_bar: bool,
) -> Result<(PathBuf, RunSummary), RunError> {
    let dir = create_run_dir(out, &run.config)?;
    let failed = |e: &dyn std::fmt::Display| RunError::Failed(format!("{}: {e}", dir.display()));
    write_config(&dir, &run.config).map_err(|e| failed(&e))?;
    let logger = RunLogger::create(&dir, run_info(&run)?, progress_bar).map_err(|e| failed(&e))?;
    let summary = train_into(&dir, run, RunCounters::default(), logger)?;
    Ok((dir, summary))
}

/// What every snapshot's `meta.json` records about the run: its `config.toml` and the
/// spaces, so that its policy loads without either ([`crate::policy`]).
pub(super) fn run_info(run: &PreparedRun) -> Result<serde_json::Value, RunError> {
    let config = &run.config;
    let settings = config.settings.to_table()?;
    Ok(serde_json::json!({
        "format": RUN_FORMAT,
        "algo": config.algo,
        "env": config.env,
        "seed": config.seed,
        "device": config.device,
        "settings": settings,
        "observation_space": run.eval_envs.observation_space(),
        "action_space": run.eval_envs.action_space(),
    }))
}

pub(super) fn write_config(dir: &Path, config: &RunConfig) -> Result<(), String> {
    let text = config.to_toml()?;
    write_atomic(&dir.join("config.toml"), text.as_bytes()).map_err(|e| e.to_string())
}

impl RunConfig {
    /// The run's `config.toml`: what `cinder train --dry-run` prints.
    pub fn to_toml(&self) -> Result<String, String> {
        let file = ConfigFile {
            algo: self.algo.clone(),
            env: self.env.clone(),
            seed: self.seed,
            device: self.device.clone(),
            settings: self.settings.to_table().map_err(|e| e.to_string())?,
        };
        toml::to_string_pretty(&file).map_err(|e| e.to_string())
    }
}

/// Reads `config.toml` of the run in `dir` and checks its settings as `cinder train` checks
/// its input.
pub(crate) fn read_config(dir: &Path) -> Result<RunConfig, RunError> {
    let input =
        |e: &dyn std::fmt::Display| RunError::Input(format!("{}: config.toml: {e}", dir.display()));
    let text = std::fs::read_to_string(dir.join("config.toml"))
        .map_err(|e| input(&format!("{e} (is this a run directory?)")))?;
    let file: ConfigFile =
        toml::from_str(&text).map_err(|e: toml::de::Error| input(&e.message()))?;
    let settings = registry::find(&file.algo)
        .and_then(|entry| entry.resolve(Some(&file.settings), &[]))
        .map_err(|e| input(&e))?;
    Ok(RunConfig {
        algo: file.algo,
        env: file.env,
        seed: file.seed,
        device: file.device,
        settings,
    })
}

/// Trains `run` in `dir` from `start` through `logger` and writes `summary.json`.
pub(super) fn train_into(
    dir: &Path,
    mut run: PreparedRun,
    start: RunCounters,
    mut logger: RunLogger,
) -> Result<RunSummary, RunError> {
    let failed = |e: &dyn std::fmt::Display| RunError::Failed(format!("{}: {e}", dir.display()));
    let train_config = TrainConfig {
        start,
        ..run.config.settings.run().train_config()
    };
    let summary = train(
        &mut run.algorithm,
        &mut run.eval_envs,
        &train_config,
        &mut logger,
    )
    .map_err(|e| failed(&e))?;
    let eval = &summary.final_eval;
    let summary = RunSummary {
        algo: run.config.algo.clone(),
        env: run.config.env.clone(),
        seed: run.config.seed,
        device: run.config.device.clone(),
        iterations: summary.iterations,
        total_steps: summary.total_steps,
        total_updates: summary.total_updates,
        wall_seconds: summary.wall_seconds,
        steps_per_second: summary.steps_per_second,
        eval_mean: eval.mean,
        eval_std: eval.std,
        eval_episodes: eval.returns.len(),
        eval_returns: eval.returns.clone(),
        stop_reason: match summary.stop_reason {
            StopReason::MaxIter => "max_iter",
            StopReason::TotalSteps => "total_steps",
            StopReason::MaxUpdates => "max_updates",
            StopReason::ReturnThreshold => "return_threshold",
        }
        .to_string(),
        run_dir: dir.to_path_buf(),
        eval_command: format!("{} eval {}", program(), shell_word(dir)),
        resume_command: resume_command(dir, &summary),
    };
    let json = serde_json::to_vec_pretty(&summary).map_err(|e| failed(&e))?;
    write_atomic(&dir.join(SUMMARY), &json).map_err(|e| failed(&e))?;
    Ok(summary)
}

pub(super) const SUMMARY: &str = "summary.json";

/// The name of this program (`cinder`, or a program that runs the CLI with its own
/// environments).
fn program() -> String {
    std::env::args_os()
        .next()
        .and_then(|arg0| {
            let name = Path::new(&arg0).file_name()?.to_str()?.to_string();
            Some(name)
        })
        .unwrap_or_else(|| "cinder".into())
}

/// `path` as one shell word (single-quoted unless it is plain).
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// `cinder resume` of the run in `dir` to twice what `summary` reached, in the run's budget
/// unit (updates for runs that take no environment steps).
fn resume_command(dir: &Path, summary: &cinder_train::TrainSummary) -> String {
    let (flag, done) = if summary.total_steps == 0 {
        ("--updates", summary.total_updates)
    } else {
        ("--steps", summary.total_steps)
    };
    format!(
        "{} resume {} {flag} {}",
        program(),
        shell_word(dir),
        done.saturating_mul(2)
    )
}

/// The first of `names` under `dir/snapshots` that holds a snapshot (or the `.old` half of one
/// a crash left mid-swap).
pub(crate) fn find_snapshot(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    let snapshots = dir.join("snapshots");
    names
        .iter()
        .find(|name| {
            snapshots.join(name).exists() || snapshots.join(format!("{name}.old")).exists()
        })
        .map(|name| snapshots.join(name))
}
