//! A training run on disk: `runs/<algo>-<env>-<timestamp>/` with `config.toml`,
//! `progress.csv`, TensorBoard events, `learning_curve.png`, `snapshots/` and `summary.json`.
//! Everything a run needs is resolved and checked before its directory is created, so bad
//! input leaves nothing behind.
//!
//! This file resolves and builds a run; [`directory`] writes and reads run directories and
//! trains into them, [`reseed`] keeps device draws reproducible across a resume, and
//! `cinder resume`, `cinder eval`, `cinder collect` and `train --init-from` (`warm_start`)
//! each have their file.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use cinder_core::{Normalization, Space, VecEnv};
use cinder_nn::parse_device;
use serde::{Deserialize, Serialize};

use crate::burn;
use crate::registry::{self, Family};
use crate::resources;
use crate::settings::{Build, Settings, SettingsError, vec_env};

mod collect;
mod directory;
mod evaluate;
mod reseed;
mod resume;
mod warm_start;

pub use collect::{CollectRequest, MAX_COLLECT_STEPS, collect};
pub use directory::execute;
pub(crate) use directory::{find_snapshot, read_config};
pub use evaluate::{EpisodeSeeds, MAX_SEEDED_EPISODES, evaluate_run, export_run};
pub use resume::resume;

use reseed::Reseeded;

/// A failure, split by whose fault it is: bad input (exit code 2) or a failed run (1).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad input: nothing was written.
    #[error("{0}")]
    Input(String),
    /// The run started and failed (its directory keeps what was written).
    #[error("{0}")]
    Failed(String),
}

impl From<SettingsError> for RunError {
    fn from(e: SettingsError) -> Self {
        RunError::Input(e.to_string())
    }
}

/// Everything that defines a run: `config.toml`.
#[derive(Debug)]
pub struct RunConfig {
    /// Algorithm id (a row of the [registry](crate::registry)).
    pub algo: String,
    /// Environment id.
    pub env: String,
    /// Seed of everything random.
    pub seed: u64,
    /// Learning device (`flex`, `ndarray`, `wgpu`).
    pub device: String,
    /// The resolved, checked settings.
    pub settings: Box<dyn Settings>,
}

/// What `summary.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Algorithm id.
    pub algo: String,
    /// Environment id.
    pub env: String,
    /// Seed.
    pub seed: u64,
    /// Learning device.
    pub device: String,
    /// Iterations run.
    pub iterations: usize,
    /// Environment steps taken.
    pub total_steps: usize,
    /// Wall time of training, evaluations included.
    pub wall_seconds: f64,
    /// `total_steps / wall_seconds`.
    pub steps_per_second: f64,
    /// Mean return of the final deterministic evaluation.
    pub eval_mean: f64,
    /// Its standard deviation.
    pub eval_std: f64,
    /// Its number of episodes.
    pub eval_episodes: usize,
    /// Its returns.
    pub eval_returns: Vec<f64>,
    /// Gradient updates made.
    pub total_updates: usize,
    /// `max_iter`, `total_steps`, `max_updates` or `return_threshold`.
    pub stop_reason: String,
    /// The run directory.
    pub run_dir: PathBuf,
    /// The command that evaluates the run's latest snapshot.
    pub eval_command: String,
    /// A command that goes on training it (to twice its budget).
    pub resume_command: String,
}

/// The preset table of `algo` for `env` from `preset_file` (or the shipped presets, then the
/// presets a program registered with its environment), if any. A Gymnasium id without keyword
/// arguments and without a table of its own (`gym:CartPole-v1`) takes the table of Cinder's
/// port of the same environment (`CartPole-v1`): the two step alike.
pub fn preset_table(
    algo: &str,
    env: &str,
    preset_file: Option<&Path>,
) -> Result<Option<toml::Table>, RunError> {
    let entry = registry::find(algo)?;
    let (source, text) = match preset_file {
        Some(path) => (
            path.display().to_string(),
            std::fs::read_to_string(path)
                .map_err(|e| RunError::Input(format!("preset {}: {e}", path.display())))?,
        ),
        None => (format!("presets/{algo}.toml"), entry.presets.to_string()),
    };
    let mut file: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        RunError::Input(format!("preset {source}: {}", e.message()))
    })?;
    let port = env.strip_prefix("gym:").filter(|id| !id.contains('?'));
    let key = match port {
        Some(port) if !file.contains_key(env) && file.contains_key(port) => port,
        _ => env,
    };
    match file.remove(key) {
        None if preset_file.is_none() => Ok(crate::user_envs::preset(algo, env)),
        None => Ok(None),
        Some(toml::Value::Table(table)) => Ok(Some(table)),
        Some(_) => Err(RunError::Input(format!(
            "preset {source}: `{env}` must be a table of settings"
        ))),
    }
}

/// The settings table of the Intrinsic Curiosity Module.
const ICM: &str = "icm";

/// What `cinder train` was asked.
#[derive(Debug, Clone)]
pub struct TrainRequest {
    /// Algorithm id.
    pub algo: String,
    /// Environment id.
    pub env: String,
    /// A preset file replacing the shipped one.
    pub preset: Option<PathBuf>,
    /// `key=value` overrides.
    pub overrides: Vec<String>,
    /// Seed.
    pub seed: u64,
    /// Total steps, overriding the preset.
    pub steps: Option<usize>,
    /// Learning device.
    pub device: String,
    /// Parent of the run directory.
    pub out: PathBuf,
    /// Environment worker threads, overriding the preset.
    pub workers: Option<usize>,
    /// Wrap the learner in the Intrinsic Curiosity Module (`--icm`).
    pub icm: bool,
    /// Show a progress bar.
    pub progress_bar: bool,
}

/// A run resolved and checked, before anything is written.
pub struct PreparedRun {
    config: RunConfig,
    algorithm: Reseeded,
    eval_envs: VecEnv,
}

impl PreparedRun {
    /// The resolved configuration.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }
}

/// Resolves and checks everything `request` names, then builds the run; writes nothing.
pub fn prepare(request: &TrainRequest) -> Result<PreparedRun, RunError> {
    let config = resolve_request(request)?;
    let seed = config.seed;
    build(config, seed)
}

/// Resolves `request`'s settings and checks them, its memory included, without building
/// anything: what `prepare` does before it allocates.
pub fn check_request(request: &TrainRequest) -> Result<(), RunError> {
    let config = resolve_request(request)?;
    let spec = cinder_envs::spec(&config.env).map_err(|e| RunError::Input(e.to_string()))?;
    check_memory(&config, &spec)
}

/// The run configuration `request` asks for: preset, overrides and flags resolved and checked.
fn resolve_request(request: &TrainRequest) -> Result<RunConfig, RunError> {
    let mut overrides = request.overrides.clone();
    if let Some(steps) = request.steps {
        overrides.push(format!("total_steps={steps}"));
    }
    if let Some(workers) = request.workers {
        overrides.push(format!("num_workers={workers}"));
    }
    // A Gymnasium id in its canonical form (keyword arguments sorted), as the registry keeps it.
    let env = if request.env.starts_with("gym:") {
        cinder_envs::spec(&request.env)
            .map_err(|e| RunError::Input(e.to_string()))?
            .id
    } else {
        request.env.clone()
    };
    let mut preset = preset_table(&request.algo, &env, request.preset.as_deref())?;
    // A preset's `icm` table holds the module's settings for that environment, used when
    // ICM is on: asked for with --icm or by setting any icm.* key.
    let icm = request.icm || overrides.iter().any(|o| o.trim_start().starts_with("icm."));
    let preset_has_icm = preset.as_ref().is_some_and(|t| t.contains_key(ICM));
    if !icm && let Some(table) = preset.as_mut() {
        table.remove(ICM);
    }
    if request.icm && !preset_has_icm {
        overrides.insert(0, format!("{ICM}={{}}"));
    }
    let settings = registry::find(&request.algo)?.resolve(preset.as_ref(), &overrides)?;
    Ok(RunConfig {
        algo: request.algo.clone(),
        env,
        seed: request.seed,
        device: request.device.clone(),
        settings,
    })
}

/// Builds the algorithm and evaluation environments of `config`, seeding them with `seed`.
pub(super) fn build(config: RunConfig, seed: u64) -> Result<PreparedRun, RunError> {
    let input = |e: &dyn std::fmt::Display| RunError::Input(e.to_string());
    let spec = cinder_envs::spec(&config.env).map_err(|e| input(&e))?;
    check_memory(&config, &spec)?;
    let run = config.settings.run();
    let mut envs = vec_env(&spec, run.n_envs, run.num_workers, None).map_err(|e| input(&e))?;
    let mut eval_envs = VecEnv::from_fn(run.eval_episodes.min(run.n_envs), |_| spec.make())
        .map_err(|e| input(&e))?;
    let normalize = run.normalization();
    let normalization = if normalize.is_on() {
        if registry::find(&config.algo)?.family == Family::Offline {
            return Err(RunError::Input(
                "normalize_obs and normalize_reward are settings of online algorithms (an \
                 offline one learns from the dataset's own observations and rewards)"
                    .into(),
            ));
        }
        let normalization =
            Normalization::training(normalize, envs.observation_dim()).map_err(|e| input(&e))?;
        envs = envs
            .with_normalization(normalization.clone())
            .map_err(|e| input(&e))?;
        eval_envs = eval_envs
            .with_normalization(normalization.frozen())
            .map_err(|e| input(&e))?;
        Some(normalization)
    } else {
        None
    };
    let learn = parse_device(&config.device).map_err(|e| input(&e))?;
    let act = acting_device().map_err(|e| input(&e))?;
    // Every random draw of a run (initialisation, sampling) follows from its seed.
    learn.seed(seed);
    act.seed(seed);
    let algorithm = config.settings.build(Build {
        envs,
        spec: &spec,
        normalization: normalization.as_ref(),
        learn: &learn,
        act: &act,
        seed,
    })?;
    Ok(PreparedRun {
        config,
        algorithm: Reseeded::new(algorithm, vec![learn, act], seed),
        eval_envs,
    })
}

/// Refuses a run whose settings need more memory than the machine has (before anything is
/// allocated), or whose iterations of `min_rollouts` episodes might never end.
fn check_memory(config: &RunConfig, spec: &cinder_envs::EnvSpec) -> Result<(), RunError> {
    let input = |e: &dyn std::fmt::Display| RunError::Input(e.to_string());
    let env = spec.make().map_err(|e| input(&e))?;
    let action_dim = match env.action_space() {
        Space::Discrete(d) => d.n(),
        Space::Box(b) => b.flat_dim(),
    };
    let sizes = resources::Sizes {
        observation_dim: env.observation_space().flat_dim() as u64,
        action_dim: action_dim as u64,
        max_episode_steps: spec.max_episode_steps as u64,
    };
    let table = config.settings.to_table().map_err(|e| input(&e))?;
    let min_rollouts = table.get("min_rollouts").and_then(toml::Value::as_integer);
    if min_rollouts.is_some_and(|n| n > 0) && spec.max_episode_steps == usize::MAX {
        return Err(RunError::Input(format!(
            "invalid setting `min_rollouts`: {} has no time limit, so an iteration of whole \
             episodes might never end; use n_steps",
            spec.id
        )));
    }
    let family = registry::find(&config.algo).map_err(|e| input(&e))?.family;
    let needs = resources::needs(&table, family, sizes);
    resources::check(&needs, resources::available_memory()).map_err(RunError::Input)
}

/// Policies act on the CPU (flex): one observation at a time is latency-bound.
fn acting_device() -> Result<Device, cinder_nn::NnError> {
    parse_device("flex")
}
