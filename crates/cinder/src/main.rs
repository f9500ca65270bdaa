//! `cinder`: train and evaluate reinforcement-learning agents from the command line.
//!
//! ```text
//! cinder train ppo --env CartPole-v1            # shipped preset, runs/ppo-CartPole-v1-<time>/
//! cinder train a2c --env CartPole-v1 --set lr=1e-3 --seed 3 --device wgpu
//! cinder eval runs/ppo-CartPole-v1-<time> --episodes 20
//! cinder resume runs/sac-Pendulum-v1-<time> --steps 40000   # go on from the latest snapshot
//! ```
//!
//! Bad input (unknown algorithm, environment or setting, a value of the wrong type or range)
//! prints one line and exits with code 2, leaving no run directory; a run that fails (a NaN
//! loss) exits with code 1 and keeps its last good snapshot.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use cinder::registry;
use cinder::run::{RunError, RunSummary, TrainRequest, evaluate_run, execute, prepare, resume};

/// burn's CPU backends allocate a fresh buffer for every tensor operation. With glibc's
/// allocator, buffers of 128 KiB and more (a 256×256 layer) are mapped and unmapped each
/// time, and the page faults cost a third of an SAC update; mimalloc reuses them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        /// Environment id, e.g. CartPole-v1.
        #[arg(long)]
        env: String,
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
    },
    /// Go on training a run from its latest snapshot (with the replay memory if it was saved).
    Resume {
        /// The run directory.
        run_dir: PathBuf,
        /// New total of environment steps (the run's budget otherwise).
        #[arg(long, allow_negative_numbers = true)]
        steps: Option<i64>,
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
    },
}

fn run(cli: Cli) -> Result<(), RunError> {
    match cli.command {
        Command::Train {
            algo,
            env,
            preset,
            overrides,
            seed,
            steps,
            device,
            out,
            workers,
            quiet,
            save_buffer,
        } => {
            let mut overrides = overrides;
            if save_buffer {
                overrides.push("save_buffer=true".into());
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
                progress_bar: !quiet,
            };
            let prepared = prepare(&request)?;
            let (dir, summary) = execute(prepared, &out, request.progress_bar)?;
            print_summary(&summary, &dir);
        }
        Command::Resume {
            run_dir,
            steps,
            quiet,
        } => {
            let summary = resume(&run_dir, parse_steps(steps)?, !quiet)?;
            print_summary(&summary, &run_dir);
        }
        Command::Eval {
            run_dir,
            episodes,
            seed,
        } => {
            let eval = evaluate_run(&run_dir, episodes, seed)?;
            println!(
                "mean return {:.2} ± {:.2} over {} episodes",
                eval.mean,
                eval.std,
                eval.returns.len()
            );
        }
    }
    Ok(())
}

/// `--steps`, which must not be negative.
fn parse_steps(steps: Option<i64>) -> Result<Option<usize>, RunError> {
    steps
        .map(|s| {
            usize::try_from(s)
                .map_err(|_| RunError::Input(format!("--steps must be a positive number, got {s}")))
        })
        .transpose()
}

fn print_summary(summary: &RunSummary, dir: &Path) {
    println!(
        "{} on {}: {} steps in {:.1} s ({:.0} steps/s); eval {:.1} ± {:.1} over {} \
         episodes\nrun directory: {}",
        summary.algo,
        summary.env,
        summary.total_steps,
        summary.wall_seconds,
        summary.steps_per_second,
        summary.eval_mean,
        summary.eval_std,
        summary.eval_episodes,
        dir.display()
    );
}

/// The parser, with the algorithm registry listed under `cinder train --help`.
fn parse() -> Result<Cli, clap::Error> {
    let command = Cli::command().mut_subcommand("train", |train| {
        train.after_help(format!("Algorithms:\n{}", registry::help()))
    });
    Cli::from_arg_matches(&command.try_get_matches()?)
}

fn main() -> ExitCode {
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
    match run(cli) {
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
