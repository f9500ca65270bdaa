//! A training run on disk: `runs/<algo>-<env>-<timestamp>/` with `config.toml`,
//! `progress.csv`, TensorBoard events, `learning_curve.png`, `snapshots/` and `summary.json`.
//! Everything a run needs is resolved and checked before its directory is created, so bad
//! input leaves nothing behind.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use cinder_agent::AgentError;
use cinder_core::{ActMode, Acted, Actor, Snapshot, Space, VecEnv};
use cinder_data::{Noise, Noisy, Provenance, record};
use cinder_nn::parse_device;
use cinder_offline::minari;
use cinder_train::snapshot::{read_snapshot, write_atomic};
use cinder_train::{
    Algorithm, Evaluation, Iteration, RunCounters, RunLogger, StopReason, TrainConfig, TrainError,
    evaluate, train,
};
use serde::{Deserialize, Serialize};

use crate::burn;
use crate::registry;
use crate::resources;
use crate::settings::{AnyAlgorithm, Build, Settings, SettingsError, vec_env};

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

/// The preset table of `algo` for `env` from `preset_file` (or the shipped presets), if any.
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
    match file.remove(env) {
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

/// An algorithm whose devices' generators are reseeded before every iteration from the run's
/// seed and the iteration's number. burn's device generators cannot be saved; reseeding them
/// from what a snapshot does hold (seed and iteration) makes every draw on a device (actions
/// sampled by the policy, SAC's reparameterisation noise) the same in a resumed run as in the
/// uninterrupted one.
struct Reseeded {
    algorithm: AnyAlgorithm,
    devices: Vec<Device>,
    seed: u64,
    /// Iterations run so far (the next one's number).
    iteration: usize,
}

impl Actor for Reseeded {
    type Error = AgentError;

    fn act(&mut self, obs: &[f32], num_envs: usize, mode: ActMode) -> Result<Acted, AgentError> {
        self.algorithm.act(obs, num_envs, mode)
    }
}

impl Algorithm for Reseeded {
    fn iterate(&mut self, progress: f64) -> Result<Iteration, AgentError> {
        let seed = iteration_seed(self.seed, self.iteration);
        for device in &self.devices {
            device.seed(seed);
        }
        self.iteration += 1;
        self.algorithm.iterate(progress)
    }

    fn snapshot(&self) -> Result<Snapshot, AgentError> {
        self.algorithm.snapshot()
    }

    fn restore(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        self.algorithm.restore(snapshot)
    }
}

/// The device seed of iteration `iteration` of a run seeded with `seed` (SplitMix64's
/// finaliser over both, so that neighbouring seeds and iterations give unrelated streams).
fn iteration_seed(seed: u64, iteration: usize) -> u64 {
    let mut z = seed ^ (iteration as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
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
    check_memory(&config, spec)
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
    let mut preset = preset_table(&request.algo, &request.env, request.preset.as_deref())?;
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
        env: request.env.clone(),
        seed: request.seed,
        device: request.device.clone(),
        settings,
    })
}

/// Builds the algorithm and evaluation environments of `config`, seeding them with `seed`.
fn build(config: RunConfig, seed: u64) -> Result<PreparedRun, RunError> {
    let input = |e: &dyn std::fmt::Display| RunError::Input(e.to_string());
    let spec = cinder_envs::spec(&config.env).map_err(|e| input(&e))?;
    check_memory(&config, spec)?;
    let run = config.settings.run();
    let envs = vec_env(spec, run.n_envs, run.num_workers).map_err(|e| input(&e))?;
    let eval_envs = VecEnv::from_fn(run.eval_episodes.min(run.n_envs), |_| spec.make())
        .map_err(|e| input(&e))?;
    let learn = parse_device(&config.device).map_err(|e| input(&e))?;
    let act = acting_device().map_err(|e| input(&e))?;
    // Every random draw of a run (initialisation, sampling) follows from its seed.
    learn.seed(seed);
    act.seed(seed);
    let algorithm = config.settings.build(Build {
        envs,
        spec,
        learn: &learn,
        act: &act,
        seed,
    })?;
    Ok(PreparedRun {
        config,
        algorithm: Reseeded {
            algorithm,
            devices: vec![learn, act],
            seed,
            iteration: 0,
        },
        eval_envs,
    })
}

/// Refuses a run whose settings need more memory than the machine has (before anything is
/// allocated).
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
    };
    let table = config.settings.to_table().map_err(|e| input(&e))?;
    let family = registry::find(&config.algo).map_err(|e| input(&e))?.family;
    let needs = resources::needs(&table, family, sizes);
    resources::check(&needs, resources::available_memory()).map_err(RunError::Input)
}

/// Policies act on the CPU (flex): one observation at a time is latency-bound.
fn acting_device() -> Result<Device, cinder_nn::NnError> {
    parse_device("flex")
}

/// A fresh run directory `<out>/<algo>-<env>-<timestamp>` (suffixed if it exists).
fn create_run_dir(out: &Path, config: &RunConfig) -> Result<PathBuf, RunError> {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let base = format!("{}-{}-{stamp}", config.algo, config.env);
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
    let logger =
        RunLogger::create(&dir, run_info(&run.config), progress_bar).map_err(|e| failed(&e))?;
    let summary = train_into(&dir, run, RunCounters::default(), logger)?;
    Ok((dir, summary))
}

/// What every snapshot's `meta.json` records about the run.
fn run_info(config: &RunConfig) -> serde_json::Value {
    serde_json::json!({
        "algo": config.algo,
        "env": config.env,
        "seed": config.seed,
        "device": config.device,
    })
}

fn write_config(dir: &Path, config: &RunConfig) -> Result<(), String> {
    let file = ConfigFile {
        algo: config.algo.clone(),
        env: config.env.clone(),
        seed: config.seed,
        device: config.device.clone(),
        settings: config.settings.to_table().map_err(|e| e.to_string())?,
    };
    let text = toml::to_string_pretty(&file).map_err(|e| e.to_string())?;
    write_atomic(&dir.join("config.toml"), text.as_bytes()).map_err(|e| e.to_string())
}

/// Reads `config.toml` of the run in `dir` and checks its settings as `cinder train` checks
/// its input.
fn read_config(dir: &Path) -> Result<RunConfig, RunError> {
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
fn train_into(
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
        eval_command: format!("cinder eval {}", shell_word(dir)),
        resume_command: resume_command(dir, &summary),
    };
    let json = serde_json::to_vec_pretty(&summary).map_err(|e| failed(&e))?;
    write_atomic(&dir.join(SUMMARY), &json).map_err(|e| failed(&e))?;
    Ok(summary)
}

const SUMMARY: &str = "summary.json";

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
        "cinder resume {} {flag} {}",
        shell_word(dir),
        done.saturating_mul(2)
    )
}

/// The first of `names` under `dir/snapshots` that holds a snapshot (or the `.old` half of one
/// a crash left mid-swap).
fn find_snapshot(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    let snapshots = dir.join("snapshots");
    names
        .iter()
        .find(|name| {
            snapshots.join(name).exists() || snapshots.join(format!("{name}.old")).exists()
        })
        .map(|name| snapshots.join(name))
}

/// Goes on with the run in `dir` from its latest snapshot (or its best, if it kept only that)
/// until `total_steps` / `max_updates` (or its configured budget): weights, optimiser states, schedules and
/// counters come back, and the replay memory when the run saved it (`--save-buffer`; otherwise
/// it is refilled). `progress.csv` keeps the rows up to the snapshot and goes on from there;
/// environments start new episodes. Everything is checked before a file is touched.
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
    let logger = RunLogger::resume(dir, meta.iteration, run_info(&run.config), progress_bar)
        .map_err(|e| failed(&e))?;
    train_into(dir, run, start, logger)
}

/// The run in `dir` (with its `config`) built and restored from its `best` snapshot, else its
/// `latest`; returns it with the snapshot's directory.
fn trained_run(dir: &Path, config: RunConfig) -> Result<(PreparedRun, PathBuf), RunError> {
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
    evaluate(&mut run.algorithm, &mut envs, episodes, seed)
        .map_err(|e: TrainError| RunError::Failed(e.to_string()))
}

/// The most transitions `cinder collect` gathers in one dataset (built in memory first).
pub const MAX_COLLECT_STEPS: usize = 100_000_000;

/// What `cinder collect` was asked.
#[derive(Debug, Clone)]
pub struct CollectRequest {
    /// The trained run.
    pub run_dir: PathBuf,
    /// Transitions to collect (at least).
    pub steps: usize,
    /// Exploration added to the run's deterministic policy.
    pub noise: Noise,
    /// Seed of the environments and the noise.
    pub seed: u64,
    /// The new dataset's directory (must not exist).
    pub out: PathBuf,
}

/// Rolls the deterministic policy of the run in `request.run_dir` (its best snapshot, else its
/// latest) out with `request.noise` for `request.steps` transitions on one environment and
/// writes a Minari HDF5 dataset to `request.out`. Returns the dataset's episodes and
/// transitions.
pub fn collect(request: &CollectRequest) -> Result<(usize, usize), RunError> {
    let dir = &request.run_dir;
    let input = |e: &dyn std::fmt::Display| RunError::Input(format!("{}: {e}", dir.display()));
    if request.steps == 0 || request.steps > MAX_COLLECT_STEPS {
        return Err(RunError::Input(format!(
            "--steps must be between 1 and {MAX_COLLECT_STEPS} (a dataset is built in memory), \
             got {}",
            request.steps
        )));
    }
    if request.out.exists() {
        return Err(RunError::Input(format!(
            "{} already exists; choose a new dataset directory",
            request.out.display()
        )));
    }
    let config = read_config(dir)?;
    let (mut run, snapshot_dir) = trained_run(dir, config)?;
    let env_id = run.config.env.clone();
    let spec = cinder_envs::spec(&env_id).map_err(|e| input(&e))?;
    let mut envs = VecEnv::from_fn(1, |_| spec.make()).map_err(|e| input(&e))?;
    let space = envs.action_space().clone();
    let mut actor = Noisy::new(&mut run.algorithm, &space, request.noise, request.seed)
        .map_err(RunError::Input)?;
    let mut dataset = record(
        &mut actor,
        &mut envs,
        request.steps,
        ActMode::Greedy,
        request.seed,
    )
    .map_err(|e| RunError::Failed(e.to_string()))?;
    let noise = match request.noise {
        Noise::None => String::new(),
        Noise::Epsilon(e) => format!(", ε-greedy ε = {e}"),
        Noise::Gaussian(s) => format!(", Gaussian noise σ = {s} (× half the action range)"),
    };
    dataset.env_id = Some(env_id.clone());
    dataset.provenance = Provenance {
        algorithm_name: Some(format!("cinder {}{noise}", run.config.algo)),
        description: Some(format!(
            "{} transitions of {env_id} collected by `cinder collect` from {} (snapshot {}),              seed {}",
            dataset.num_steps(),
            dir.display(),
            snapshot_dir.display(),
            request.seed
        )),
        ..Provenance::default()
    };
    minari::save(&dataset, &request.out).map_err(|e| RunError::Failed(e.to_string()))?;
    Ok((dataset.episodes.len(), dataset.num_steps()))
}
