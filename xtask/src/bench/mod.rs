//! `cargo xtask bench`: environment and sampler throughput (criterion benches), and training
//! benchmarks run with the release `cinder` binary and its presets, printed as markdown
//! tables (wall time, evaluation per seed, bars, IQM and success rate over seeds).
//!
//! - `onpolicy` / `offpolicy [--seeds 0,1,2] [--only NAME,...]`: A2C, PPO, PPO2; DQL, SAC,
//!   DDPG, TD3.
//! - `offline` ([`offline`]): datasets collected from trained runs, then BC and BCQ.
//! - `explore` ([`explore`]): ICM (PPO, DQL) and SVPG beside independent particles.
//! - `compare` ([`compare`]): beside Stable-Baselines3 on the same machine; `--protocol sb3`
//!   scores both on the same seeded episodes and compares the libraries over seeds
//!   ([`stats`]).
//! - `gym`: Gymnasium's LunarLander and Hopper through the bridge (slow; `--features gym`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

use crate::cargo;

mod compare;
mod explore;
mod offline;
mod stats;

/// Which benchmark.
#[derive(Subcommand)]
pub enum Which {
    /// Environment steps per second.
    Envs,
    /// Sampler steps per second with a 64-64 policy, 1 and 8 environments.
    Acting,
    /// GFLOP/s of the 256-row matrix products DDPG's and SAC's updates are made of.
    Products,
    /// Train A2C, PPO and PPO2 on their benchmark tasks.
    Onpolicy(SelectionArgs),
    /// Train DQL, SAC, DDPG and TD3 on their benchmark tasks.
    Offpolicy(SelectionArgs),
    /// Collect datasets from trained runs, then train BC and BCQ on them.
    Offline(SelectionArgs),
    /// ICM (PPO, DQL) and SVPG.
    Explore(SelectionArgs),
    /// Cinder beside Stable-Baselines3 on the same machine (seed 0 unless --seeds); the slow
    /// Gymnasium rows only when --only names them.
    Compare(compare::CompareArgs),
    /// Train PPO and DQL on Gymnasium's LunarLander-v3 and SAC, TD3 and DDPG on Hopper-v5
    /// through the bridge (slow: hours on two cores; needs Python with gymnasium[box2d] and
    /// mujoco, the venv named by VIRTUAL_ENV).
    Gym(SelectionArgs),
}

/// The `--seeds` and `--only` flags of a training benchmark.
#[derive(Args)]
pub struct SelectionArgs {
    /// Seeds: `0,1,2`, `0-9` or both (`0-4,10`).
    #[arg(long)]
    seeds: Option<String>,
    /// Benchmarks to run, by name (comma-separated).
    #[arg(long)]
    only: Option<String>,
}

pub fn run(which: Which) -> Result<()> {
    match which {
        Which::Envs => cargo(
            &[
                "bench",
                "--package",
                "cinder-envs",
                "--bench",
                "env_throughput",
            ],
            &[],
        ),
        Which::Acting => cargo(
            &["bench", "--package", "cinder-pg", "--bench", "acting"],
            &[],
        ),
        Which::Products => cargo(
            &["bench", "--package", "cinder-nn", "--bench", "products"],
            &[],
        ),
        Which::Onpolicy(args) => train_benchmarks(ONPOLICY, &args),
        Which::Offpolicy(args) => train_benchmarks(OFFPOLICY, &args),
        Which::Gym(args) => {
            let (binary, out) = release_binary(Binary::WithGym)?;
            train_table(&binary, &out, GYM, &args, |_| Vec::new())
        }
        Which::Offline(args) => offline::run(&args),
        Which::Explore(args) => explore::run(&args),
        Which::Compare(args) => compare::run(&args),
    }
}

/// One training benchmark, run with its shipped preset (budgets and hyper-parameters live
/// there).
pub(crate) struct Bench {
    /// Row name (and run directory under `bench-runs`).
    pub name: &'static str,
    /// Algorithm id.
    pub algo: &'static str,
    /// Environment id.
    pub env: &'static str,
    /// Pass bar of the mean deterministic return (`-inf`: none).
    bar: f64,
    /// The dataset an offline algorithm learns from (a name of [`DATASETS`]).
    dataset: Option<&'static str>,
    /// Extra `cinder train` arguments.
    args: &'static [&'static str],
}

impl Bench {
    /// A benchmark of `algo` on `env` with pass bar `bar`.
    const fn new(name: &'static str, algo: &'static str, env: &'static str, bar: f64) -> Self {
        Self {
            name,
            algo,
            env,
            bar,
            dataset: None,
            args: &[],
        }
    }

    /// Learning from `dataset`.
    const fn on(self, dataset: &'static str) -> Self {
        Self {
            dataset: Some(dataset),
            ..self
        }
    }

    /// With extra `cinder train` arguments.
    const fn with(self, args: &'static [&'static str]) -> Self {
        Self { args, ..self }
    }
}

pub(crate) const NO_BAR: f64 = f64::NEG_INFINITY;

/// The on-policy benchmarks.
const ONPOLICY: &[Bench] = &[
    Bench::new("ppo-cartpole", "ppo", "CartPole-v1", 475.0),
    Bench::new("ppo2-cartpole", "ppo2", "CartPole-v1", 475.0),
    Bench::new("a2c-cartpole", "a2c", "CartPole-v1", 475.0),
    Bench::new("ppo-pendulum", "ppo", "Pendulum-v1", -250.0),
];

/// The off-policy benchmarks.
const OFFPOLICY: &[Bench] = &[
    Bench::new("dql-cartpole", "dql", "CartPole-v1", 475.0),
    Bench::new("sac-pendulum", "sac", "Pendulum-v1", -200.0),
    Bench::new("ddpg-pendulum", "ddpg", "Pendulum-v1", -200.0),
    Bench::new("td3-pendulum", "td3", "Pendulum-v1", -200.0),
];

/// Gymnasium's own environments through the bridge, at the Zoo's budgets (LunarLander) and
/// 300k steps (Hopper): the slow rows, which classic control is too easy to stand in for.
pub(crate) const GYM: &[Bench] = &[
    Bench::new("ppo-lunarlander", "ppo", "gym:LunarLander-v3", 200.0),
    Bench::new("dql-lunarlander", "dql", "gym:LunarLander-v3", NO_BAR),
    Bench::new("sac-hopper", "sac", "gym:Hopper-v5", NO_BAR),
    Bench::new("td3-hopper", "td3", "gym:Hopper-v5", NO_BAR),
    Bench::new("ddpg-hopper", "ddpg", "gym:Hopper-v5", NO_BAR),
];

/// The rows of a run's `progress.csv`, each as column → value (empty cells left out).
fn progress_rows(run: &Path) -> Result<Vec<std::collections::HashMap<String, f64>>> {
    let text = std::fs::read_to_string(run.join("progress.csv"))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .context("empty progress.csv")?
        .split(',')
        .collect();
    Ok(lines
        .map(|line| {
            header
                .iter()
                .zip(line.split(','))
                .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
                .collect()
        })
        .collect())
}

/// Runs `binary args… dir` and checks it succeeded.
fn run_cinder(binary: &Path, args: &[&str], dir: &Path) -> Result<()> {
    let status = Command::new(binary)
        .args(args)
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .status()
        .with_context(|| format!("could not start {}", binary.display()))?;
    if !status.success() {
        bail!("{} {args:?} failed ({status})", binary.display());
    }
    Ok(())
}

/// The one run directory inside `dir`.
fn only_entry(dir: &Path) -> Result<PathBuf> {
    Ok(std::fs::read_dir(dir)?
        .next()
        .context("no run directory")??
        .path())
}

/// Gradient updates a run made: the `total_updates` column of the last row of its
/// `progress.csv`.
fn updates_of(run: &Path) -> Result<f64> {
    progress_rows(run)?
        .last()
        .and_then(|row| row.get("total_updates").copied())
        .context("progress.csv has no total_updates in its last row")
}

/// Which build of the `cinder` binary a benchmark runs.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Binary {
    /// With Minari datasets and ONNX export (`--features minari,onnx`).
    Default,
    /// And the Gymnasium bridge (`--features minari,onnx,gym`).
    WithGym,
}

/// A `cinder` binary to run instead of building one: `CINDER_BENCH_BINARY` (it must have the
/// features the benchmark needs, e.g. a binary built earlier with `gym`, or another commit's).
const BINARY_VAR: &str = "CINDER_BENCH_BINARY";

/// Builds the release `cinder` binary (unless `CINDER_BENCH_BINARY` names one); returns it and
/// the directory benchmark runs go to.
fn release_binary(binary: Binary) -> Result<(PathBuf, PathBuf)> {
    let target =
        PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_string()));
    let out = target.join("bench-runs");
    if let Some(given) = std::env::var_os(BINARY_VAR) {
        let given = PathBuf::from(given);
        if !given.is_file() {
            bail!("{BINARY_VAR}={} is not a file", given.display());
        }
        println!(
            "running {} ({BINARY_VAR}), not a fresh build",
            given.display()
        );
        return Ok((given, out));
    }
    // Datasets for the offline benchmarks; ONNX so that a benchmark run exports as users do.
    let features = match binary {
        Binary::Default => "minari,onnx",
        Binary::WithGym => "minari,onnx,gym",
    };
    let args = [
        "build",
        "--release",
        "--package",
        "cinder",
        "--bin",
        "cinder",
        "--features",
        features,
    ];
    cargo(&args, &[])?;
    Ok((target.join("release").join("cinder"), out))
}

/// Trains every benchmark of `table` (filtered by `--only`) for each seed with the release
/// binary and prints one markdown row per run.
fn train_benchmarks(table: &[Bench], args: &SelectionArgs) -> Result<()> {
    let (binary, out) = release_binary(Binary::Default)?;
    train_table(&binary, &out, table, args, |_| Vec::new())
}

/// The runs of [`train_benchmarks`]; `dataset_args` gives the extra arguments of a benchmark
/// with a dataset.
fn train_table(
    binary: &Path,
    out: &Path,
    table: &[Bench],
    args: &SelectionArgs,
    dataset_args: impl Fn(&str) -> Vec<String>,
) -> Result<()> {
    let known: Vec<&str> = table.iter().map(|b| b.name).collect();
    let selection = Selection::new(args, &[0, 1, 2], &known)?;
    println!(
        "\n| benchmark | seed | steps | wall s | steps/s | updates/s | eval mean ± std | bar | pass |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut outcomes = Vec::new();
    for Bench {
        name,
        algo,
        env,
        bar,
        dataset,
        args: extra,
    } in table
    {
        if !selection.includes(name) {
            continue;
        }
        let mut means = Vec::new();
        for seed in &selection.seeds {
            let extra: Vec<String> = dataset
                .map(&dataset_args)
                .unwrap_or_default()
                .into_iter()
                .chain(extra.iter().map(|a| a.to_string()))
                .collect();
            let run = train_run(binary, out, name, algo, env, *seed, &extra)?;
            let mean = run.number("eval_mean");
            let updates = updates_of(&run.dir)? / run.number("wall_seconds");
            let (bar, pass) = if bar.is_finite() {
                (bar.to_string(), if mean >= *bar { "yes" } else { "no" })
            } else {
                ("-".to_string(), "-")
            };
            println!(
                "| {name} | {seed} | {} | {:.1} | {:.0} | {updates:.0} | {mean:.1} ± {:.1} | {bar} | {pass} |",
                run.number("total_steps"),
                run.number("wall_seconds"),
                run.number("steps_per_second"),
                run.number("eval_std"),
            );
            means.push(mean);
        }
        if !means.is_empty() {
            outcomes.push((*name, *bar, means));
        }
    }
    println!("\n| benchmark | seeds | IQM of the final evaluations | success rate |");
    println!("|---|---|---|---|");
    for (name, bar, means) in outcomes {
        let success = if bar.is_finite() {
            let met = means.iter().filter(|m| **m >= bar).count();
            format!("{met}/{} (bar {bar})", means.len())
        } else {
            "-".to_string()
        };
        println!(
            "| {name} | {} | {:.1} | {success} |",
            means.len(),
            interquartile_mean(&means)
        );
    }
    Ok(())
}

/// A finished `cinder train` run: its directory, its `summary.json` and the wall time of the
/// whole process.
struct TrainRun {
    dir: PathBuf,
    summary: serde_json::Value,
    process_seconds: f64,
}

impl TrainRun {
    /// A number of `summary.json` (NaN where missing).
    fn number(&self, key: &str) -> f64 {
        self.summary[key].as_f64().unwrap_or(f64::NAN)
    }
}

/// Runs `cinder train algo --env env --seed seed --quiet extra…` into a fresh
/// `out/<name>-seed<seed>` and reads the run's summary.
fn train_run(
    binary: &Path,
    out: &Path,
    name: &str,
    algo: &str,
    env: &str,
    seed: u64,
    extra: &[String],
) -> Result<TrainRun> {
    let dir = out.join(format!("{name}-seed{seed}"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let start = std::time::Instant::now();
    let status = Command::new(binary)
        .args([
            "train",
            algo,
            "--env",
            env,
            "--seed",
            &seed.to_string(),
            "--quiet",
        ])
        .args(extra)
        .arg("--out")
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .status()
        .with_context(|| format!("could not start {}", binary.display()))?;
    let process_seconds = start.elapsed().as_secs_f64();
    if !status.success() {
        bail!("{name} seed {seed} failed ({status})");
    }
    let dir = only_entry(&dir)?;
    let summary = serde_json::from_slice(&std::fs::read(dir.join("summary.json"))?)?;
    Ok(TrainRun {
        dir,
        summary,
        process_seconds,
    })
}

/// `0,1,2` or `0-9` (or both: `0-4,10`).
fn parse_seeds(text: &str) -> Result<Vec<u64>> {
    let mut seeds = Vec::new();
    for part in text.split(',').map(str::trim) {
        let number = |s: &str| s.parse::<u64>().with_context(|| format!("bad seed `{s}`"));
        match part.split_once('-') {
            Some((a, b)) => seeds.extend(number(a)?..=number(b)?),
            None => seeds.push(number(part)?),
        }
    }
    Ok(seeds)
}

/// The mean of the middle half (Agarwal et al. 2021, "Deep RL at the Edge of the Statistical
/// Precipice"): the lowest and highest quarter of the values (rounded down) are left out.
fn interquartile_mean(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let cut = sorted.len() / 4;
    let middle = &sorted[cut..sorted.len() - cut];
    middle.iter().sum::<f64>() / middle.len().max(1) as f64
}
/// The `--seeds` and `--only` flags of a training benchmark.
struct Selection {
    seeds: Vec<u64>,
    only: Option<Vec<String>>,
}

impl Selection {
    /// The flags of `args`; `seeds` where `--seeds` is absent. `--only` may name only
    /// benchmarks of `known`.
    fn new(args: &SelectionArgs, seeds: &[u64], known: &[&str]) -> Result<Self> {
        let seeds = match &args.seeds {
            Some(text) => parse_seeds(text)?,
            None => seeds.to_vec(),
        };
        let only = match &args.only {
            None => None,
            Some(text) => {
                let names: Vec<String> = text.split(',').map(str::to_string).collect();
                if let Some(unknown) = names.iter().find(|n| !known.contains(&n.as_str())) {
                    bail!(
                        "unknown benchmark `{unknown}` in --only; known: {}",
                        known.join(", ")
                    );
                }
                Some(names)
            }
        };
        Ok(Self { seeds, only })
    }

    /// Whether `--only` (if given) names the benchmark `name`.
    fn includes(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|n| n == name))
    }
}
