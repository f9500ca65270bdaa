//! The `cinder` command line: train and evaluate reinforcement-learning agents. The `cinder`
//! binary is [`main`]; a program with environments of its own gets the same command line with
//! them registered beside the built-in ones through [`main_with`].
//!
//! ```text
//! cinder train ppo --env CartPole-v1            # shipped preset, runs/ppo-CartPole-v1-<time>/
//! cinder train a2c --env CartPole-v1 --set lr=1e-3 --seed 3 --device wgpu
//! cinder eval runs/ppo-CartPole-v1-<time> --episodes 20
//! cinder export runs/ppo-CartPole-v1-<time> --format onnx   # policy.onnx in the run directory
//! cinder resume runs/sac-Pendulum-v1-<time> --steps 40000   # go on from the latest snapshot
//! cinder resume runs/bcq-CartPole-v1-<time> --updates 20000 # offline runs count updates
//! cinder collect runs/dql-CartPole-v1-<time> --steps 20000 --eps 0.2 --out data/cartpole-v0
//! cinder dataset info data/cartpole-v0
//! cinder train bcq --env CartPole-v1 --dataset data/cartpole-v0
//! cinder envs                                    # every registered environment
//! ```
//!
//! Bad input (unknown algorithm, environment or setting, a value of the wrong type or range)
//! prints one line and exits with code 2, leaving no run directory; a run that fails (a NaN
//! loss) exits with code 1 and keeps its last good snapshot.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::data::Noise;
use crate::offline::minari;
use crate::registry;
use crate::run::{
    CollectRequest, EpisodeSeeds, RunError, RunSummary, TrainRequest, collect, evaluate_run,
    execute, export_run, prepare, resume,
};
pub use crate::user_envs::UserEnvs;
use crate::user_envs::print_envs;
use crate::with_fast_cpu;

#[derive(Parser)]
#[command(
    name = "cinder",
    version,
    about = "Reinforcement learning in Rust on burn"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train an agent; writes runs/<algo>-<env>-<timestamp>/.
    Train {
        /// Algorithm id (the list is below).
        algo: String,
        /// Environment id, e.g. CartPole-v1, or gym:<id> for a Gymnasium one (built with
        /// the `gym` feature).
        #[arg(long)]
        env: String,
        /// A keyword argument of a gym:<id> environment's `gymnasium.make` (repeatable), e.g.
        /// --env gym:LunarLander-v3 --env-kwargs continuous=true.
        #[arg(long = "env-kwargs", value_name = "KEY=VALUE")]
        env_kwargs: Vec<String>,
        /// TOML preset file (a table per environment id) instead of the shipped one.
        #[arg(long)]
        preset: Option<PathBuf>,
        /// Override a setting, e.g. --set lr=1e-3 (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        overrides: Vec<String>,
        /// Seed of everything random.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Environment steps to train for (overrides the preset's total_steps).
        #[arg(long, allow_negative_numbers = true)]
        steps: Option<i64>,
        /// Learning device: flex, ndarray or wgpu (policies act on flex).
        #[arg(long, default_value = "flex")]
        device: String,
        /// Parent directory of the run directory.
        #[arg(long, default_value = "runs")]
        out: PathBuf,
        /// Threads stepping the environments.
        #[arg(long)]
        workers: Option<usize>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
        /// Snapshots include the replay memory (off-policy algorithms), so training can go on
        /// from the same data.
        #[arg(long)]
        save_buffer: bool,
        /// The dataset of an offline algorithm (bc, bcq): a Minari dataset directory.
        #[arg(long)]
        dataset: Option<PathBuf>,
        /// Wrap an online algorithm in the Intrinsic Curiosity Module (settings: the preset's
        /// `icm` table, then --set icm.<key>=<value>).
        #[arg(long)]
        icm: bool,
        /// Start from the networks of the run in this directory (its best snapshot, else its
        /// latest): policy, critics and observation statistics; optimisers, schedules and
        /// counters start fresh. Same algorithm and spaces.
        #[arg(long, value_name = "RUN_DIR")]
        init_from: Option<PathBuf>,
        /// Check everything (settings, environment, memory) and print the `config.toml` the
        /// run would have; train nothing, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Go on training a run from its latest snapshot (with the replay memory if it was saved).
    Resume {
        /// The run directory.
        run_dir: PathBuf,
        /// New total of environment steps (the run's budget otherwise).
        #[arg(long, allow_negative_numbers = true)]
        steps: Option<i64>,
        /// New total of gradient updates (offline runs are budgeted so).
        #[arg(long, allow_negative_numbers = true)]
        updates: Option<i64>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Reload a run's snapshot and evaluate its deterministic policy.
    Eval {
        /// The run directory.
        run_dir: PathBuf,
        /// Episodes to run.
        #[arg(long, default_value_t = 10)]
        episodes: usize,
        /// Seed of the evaluation environments.
        #[arg(long, default_value_t = 1_000_000)]
        seed: u64,
        /// Each episode on its own environment, episode i reset with seed + i (Gymnasium's
        /// `reset(seed=seed + i)`: the initial states another library sees with those seeds).
        #[arg(long)]
        per_episode_seeds: bool,
    },
    /// Write a run's deterministic policy for runtimes without burn: ONNX (raw observation in,
    /// the action the environment takes out; normalisation and action scaling inside), or
    /// safetensors weights with a JSON description (what the `cinder-policy` crate runs).
    Export {
        /// The run directory (or one of its snapshot directories).
        run_dir: PathBuf,
        /// `onnx` or `safetensors`.
        #[arg(long, default_value = "onnx")]
        format: String,
        /// The file to write (default: `policy.<format>` in the run directory).
        #[arg(long)]
        out: Option<PathBuf>,
        /// ONNX of a discrete policy: a second input `action_mask` (bool [batch, n]); actions
        /// it marks false are never chosen.
        #[arg(long)]
        masked: bool,
    },
    /// Roll a trained run's policy out (with exploration noise) into a Minari dataset.
    Collect {
        /// The run directory.
        run_dir: PathBuf,
        /// Transitions to collect.
        #[arg(long, allow_negative_numbers = true)]
        steps: i64,
        /// ε-greedy noise (discrete actions): probability of a random action.
        #[arg(long, conflicts_with = "noise", allow_negative_numbers = true)]
        eps: Option<f64>,
        /// Gaussian noise (continuous actions): σ in units of half the action range.
        #[arg(long, allow_negative_numbers = true)]
        noise: Option<f64>,
        /// Seed of the environment and the noise.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// The new dataset directory (Minari layout, HDF5).
        #[arg(long)]
        out: PathBuf,
    },
    /// Inspect datasets.
    Dataset {
        #[command(subcommand)]
        command: DatasetCommand,
    },
    /// List every registered environment with its spaces and time limit.
    Envs,
}

#[derive(Subcommand)]
enum DatasetCommand {
    /// Print a dataset's size, episodes, spaces and return statistics.
    Info {
        /// A Minari dataset directory (HDF5 or Arrow).
        path: PathBuf,
    },
}

fn run(cli: Cli) -> Result<(), RunError> {
    match cli.command {
        Command::Train {
            algo,
            env,
            env_kwargs,
            preset,
            overrides,
            seed,
            steps,
            device,
            out,
            workers,
            quiet,
            save_buffer,
            dataset,
            icm,
            init_from,
            dry_run,
        } => {
            let env = with_kwargs(env, &env_kwargs)?;
            let mut overrides = overrides;
            if save_buffer {
                overrides.push("save_buffer=true".into());
            }
            if let Some(path) = dataset {
                // Stored absolute, so that eval and resume work from any directory.
                let path = std::path::absolute(&path).unwrap_or(path);
                let text = toml::Value::String(path.display().to_string());
                overrides.push(format!("dataset={text}"));
            }
            let request = TrainRequest {
                algo,
                env,
                preset,
                overrides,
                seed,
                steps: parse_steps(steps)?,
                device,
                out: out.clone(),
                workers,
                icm,
                progress_bar: !quiet,
            };
            let mut prepared = prepare(&request)?;
            if let Some(from) = &init_from {
                prepared.warm_start(from)?;
            }
            if dry_run {
                let text = prepared.config().to_toml().map_err(RunError::Failed)?;
                use std::io::Write;
                let _ = write!(std::io::stdout().lock(), "{text}");
                return Ok(());
            }
            let (_, summary) = execute(prepared, &out, request.progress_bar)?;
            print_summary(&summary);
        }
        Command::Resume {
            run_dir,
            steps,
            updates,
            quiet,
        } => {
            let updates = parse_count("--updates", updates)?;
            let summary = resume(&run_dir, parse_steps(steps)?, updates, !quiet)?;
            print_summary(&summary);
        }
        Command::Eval {
            run_dir,
            episodes,
            seed,
            per_episode_seeds,
        } => {
            let seeds = match per_episode_seeds {
                true => EpisodeSeeds::PerEpisode,
                false => EpisodeSeeds::PerEnvironment,
            };
            let eval = evaluate_run(&run_dir, episodes, seed, seeds)?;
            println!(
                "mean return {:.2} ± {:.2} over {} episodes",
                eval.mean,
                eval.std,
                eval.returns.len()
            );
        }
        Command::Export {
            run_dir,
            format,
            out,
            masked,
        } => {
            let written = export_run(&run_dir, &format, out.as_deref(), masked)?;
            println!("wrote {}", written.display());
        }
        Command::Collect {
            run_dir,
            steps,
            eps,
            noise,
            seed,
            out,
        } => {
            let steps = parse_count("--steps", Some(steps))?.unwrap_or(0);
            let noise = match (eps, noise) {
                (Some(e), _) => Noise::Epsilon(e),
                (None, Some(s)) => Noise::Gaussian(s),
                (None, None) => Noise::None,
            };
            let request = CollectRequest {
                run_dir,
                steps,
                noise,
                seed,
                out,
            };
            let (episodes, transitions) = collect(&request)?;
            println!(
                "wrote {transitions} transitions in {episodes} episodes to {}",
                request.out.display()
            );
        }
        Command::Dataset {
            command: DatasetCommand::Info { path },
        } => print_dataset_info(&path)?,
        Command::Envs => print_envs(),
    }
    Ok(())
}

/// `--steps`, which must not be negative.
fn parse_steps(steps: Option<i64>) -> Result<Option<usize>, RunError> {
    parse_count("--steps", steps)
}

/// A count given as `flag`, which must not be negative.
fn parse_count(flag: &str, value: Option<i64>) -> Result<Option<usize>, RunError> {
    value
        .map(|v| {
            usize::try_from(v)
                .map_err(|_| RunError::Input(format!("{flag} must be a positive number, got {v}")))
        })
        .transpose()
}

/// `cinder dataset info`: what a dataset holds.
fn print_dataset_info(path: &Path) -> Result<(), RunError> {
    let input = |e: &dyn std::fmt::Display| RunError::Input(e.to_string());
    let dataset = minari::load(path).map_err(|e| input(&e))?;
    let format = minari::data_format(path).map_err(|e| input(&e))?;
    let stats = dataset.return_stats();
    let p = &dataset.provenance;
    let or_unknown = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let seeded = dataset.episodes.iter().filter(|e| e.seed.is_some()).count();
    println!("dataset      {}", path.display());
    println!("id           {}", or_unknown(&p.dataset_id));
    println!(
        "format       {format} (written by {})",
        or_unknown(&p.writer)
    );
    println!("environment  {}", or_unknown(&dataset.env_id));
    println!("policy       {}", or_unknown(&p.algorithm_name));
    println!(
        "size         {} transitions in {} episodes ({} terminated, {} truncated; {} with a \
         known seed)",
        dataset.num_steps(),
        dataset.episodes.len(),
        stats.terminated,
        stats.truncated,
        seeded
    );
    println!("observations {}", dataset.observation_space);
    println!("actions      {}", dataset.action_space);
    println!(
        "returns      mean {:.2} ± {:.2}, min {:.2}, max {:.2}; mean length {:.1}",
        stats.mean, stats.std, stats.min, stats.max, stats.mean_length
    );
    Ok(())
}

/// The run's summary on stdout. A reader that stops early (`cinder train … | head -1`) is no
/// error: the run is saved, so a closed pipe is ignored rather than a panic.
fn print_summary(summary: &RunSummary) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stdout().lock(),
        "{} on {}: {} steps, {} updates in {:.1} s ({:.0} steps/s); eval {:.1} ± {:.1} over \
         {} episodes\nrun directory: {}\nevaluate: {}\ngo on: {}",
        summary.algo,
        summary.env,
        summary.total_steps,
        summary.total_updates,
        summary.wall_seconds,
        summary.steps_per_second,
        summary.eval_mean,
        summary.eval_std,
        summary.eval_episodes,
        summary.run_dir.display(),
        summary.eval_command,
        summary.resume_command,
    );
}

/// The parser, with the algorithm registry listed under `cinder train --help`.
fn parse() -> Result<Cli, clap::Error> {
    let command = Cli::command().mut_subcommand("train", |train| {
        train.after_help(format!("Algorithms:\n{}", registry::help()))
    });
    Cli::from_arg_matches(&command.try_get_matches()?)
}

/// `env` with `--env-kwargs` pairs as its query (`gym:Id?key=value&...`); the registry reads
/// and canonicalises it. Only a `gym:` id takes keyword arguments.
fn with_kwargs(env: String, kwargs: &[String]) -> Result<String, RunError> {
    if kwargs.is_empty() {
        return Ok(env);
    }
    if !env.starts_with("gym:") {
        return Err(RunError::Input(format!(
            "--env-kwargs is for gym:<id> environments; {env} takes no keyword arguments"
        )));
    }
    if let Some(bad) = kwargs
        .iter()
        .find(|kv| !kv.contains('=') || kv.contains(['&', '?']))
    {
        return Err(RunError::Input(format!(
            "--env-kwargs {bad}: expected KEY=VALUE (without `&` or `?`)"
        )));
    }
    let separator = if env.contains('?') { '&' } else { '?' };
    Ok(format!("{env}{separator}{}", kwargs.join("&")))
}

/// The `cinder` command line with the built-in environments.
pub fn main() -> ExitCode {
    main_with(UserEnvs::new())
}

/// The `cinder` command line with `envs` registered beside the built-in environments: every
/// command (`train --env`, presets, `resume`, `eval`, `collect`, `envs`) knows their ids.
///
/// ```no_run
/// use cinder::cli::{UserEnvs, main_with};
/// use cinder::envs::{CartPole, EnvSpec};
///
/// fn main() -> std::process::ExitCode {
///     // A user's environment; here the built-in CartPole under another id.
///     main_with(UserEnvs::new().env(EnvSpec::new("MyCartPole-v0", 200, CartPole::new)))
/// }
/// ```
pub fn main_with(envs: UserEnvs) -> ExitCode {
    if let Err(e) = envs.register() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's first line names the problem; the usage lines after it are noise here.
            let rendered = e.to_string();
            eprintln!(
                "{}",
                rendered.lines().next().unwrap_or("error: bad arguments")
            );
            return ExitCode::from(2);
        }
    };
    match with_fast_cpu(|| run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(RunError::Input(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(RunError::Failed(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}
