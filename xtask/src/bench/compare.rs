//! `cargo xtask bench compare`: Cinder's presets beside Stable-Baselines3 with the RL Zoo's
//! settings (`docs/bench/sb3_train.py`), one after the other on the same machine.
//!
//! Two ways to score the final policies: `--protocol zoo` (each library's own evaluation:
//! Cinder's 10 episodes on its evaluation seeds, SB3's `evaluate_policy` over 10 episodes of
//! one environment seeded once), and `--protocol sb3`, which scores both on the same 20
//! deterministic episodes, episode i reset with seed 10,000 + i (`cinder eval
//! --per-episode-seeds`, the script's `--protocol sb3`), and then compares the libraries over
//! the seeds: mean ± std, Welch's t and a bootstrap interval of the difference.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};

use super::stats::{bootstrap_difference, mean_std, welch};
use super::{
    Bench, Binary, GYM, OFFPOLICY, ONPOLICY, Selection, SelectionArgs, release_binary, train_run,
};

/// The benchmarks `bench compare` runs beside Stable-Baselines3 (rows of [`ONPOLICY`] and
/// [`OFFPOLICY`]; `docs/bench/sb3_train.py` knows the Zoo's settings of each).
const COMPARE: &[&str] = &[
    "ppo-cartpole",
    "a2c-cartpole",
    "dql-cartpole",
    "sac-pendulum",
    "ddpg-pendulum",
    "td3-pendulum",
];

/// The Python that runs the SB3 side: `CINDER_BENCH_PYTHON`, else `python3`.
const PYTHON_VAR: &str = "CINDER_BENCH_PYTHON";

/// torch's CPU threads on the SB3 side: `CINDER_BENCH_TORCH_THREADS`, else 2 (one, for
/// evaluations measured while something else holds a core: torch's threads spin when they
/// share one).
const THREADS_VAR: &str = "CINDER_BENCH_TORCH_THREADS";

/// [`THREADS_VAR`]'s value.
fn torch_threads() -> Result<usize> {
    match std::env::var(THREADS_VAR) {
        Err(_) => Ok(2),
        Ok(value) => value
            .parse()
            .ok()
            .filter(|&n| n > 0)
            .with_context(|| format!("{THREADS_VAR}={value}: expected a positive number")),
    }
}

/// The seeded protocol's episodes and the reset seed of the first (as in `sb3_train.py`).
const SEEDED_EPISODES: usize = 20;
const SEEDED_FIRST: u64 = 10_000;

/// Bootstrap resamples of the difference of the libraries' means.
const RESAMPLES: usize = 10_000;

/// How the final policies are scored.
#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum Protocol {
    /// Each library's own evaluation (10 episodes).
    Zoo,
    /// Both on the same 20 episodes, episode i reset with seed 10,000 + i.
    Sb3,
}

/// `bench compare`'s flags.
#[derive(Args)]
pub struct CompareArgs {
    #[command(flatten)]
    selection: SelectionArgs,
    /// How the final policies are scored.
    #[arg(long, value_enum, default_value = "zoo")]
    protocol: Protocol,
}

/// Runs each [`COMPARE`] benchmark (and each slow [`GYM`] one that `--only` names) in Cinder
/// and then, when Python has `stable_baselines3`, with SB3 (`docs/bench/sb3_train.py`), one
/// after the other, and prints wall seconds of each whole process, final evaluations and the
/// ratio Cinder / SB3.
pub fn run(compare: &CompareArgs) -> Result<()> {
    let (args, protocol) = (&compare.selection, compare.protocol);
    let slow: Vec<&str> = GYM.iter().map(|b| b.name).collect();
    let selection = Selection::new(args, &[0], &[COMPARE, &slow].concat())?;
    let named = |name: &str| (args.only.as_ref()).is_some_and(|o| o.split(',').any(|n| n == name));
    let with_gym = slow.iter().any(|name| named(name));
    let build = if with_gym {
        Binary::WithGym
    } else {
        Binary::Default
    };
    let (binary, out) = release_binary(build)?;
    let python = std::env::var(PYTHON_VAR).unwrap_or_else(|_| "python3".to_string());
    let script = Path::new("docs/bench/sb3_train.py");
    if !script.exists() {
        bail!(
            "{} not found: run `cargo xtask` from the workspace root",
            script.display()
        );
    }
    let sb3 = Command::new(&python)
        .args([
            "-c",
            "import stable_baselines3; print(stable_baselines3.__version__)",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    println!("\n{}", machine_line());
    match &sb3 {
        Some(version) => println!(
            "Stable-Baselines3 {version} ({python}, {} torch threads)",
            torch_threads()?
        ),
        None => println!(
            "no Stable-Baselines3 in `{python}` (set {PYTHON_VAR} to a Python that has it): Cinder alone"
        ),
    }
    println!(
        "\n| benchmark | seed | Cinder wall s | Cinder eval | SB3 wall s | SB3 eval | Cinder / SB3 |"
    );
    println!("|---|---|---|---|---|---|---|");
    let benches = ONPOLICY
        .iter()
        .chain(OFFPOLICY)
        .filter(|b| COMPARE.contains(&b.name));
    let slow_named = GYM.iter().filter(|b| named(b.name));
    let mut totals = Vec::new();
    let mut evals = Vec::new();
    for bench in benches
        .chain(slow_named)
        .filter(|b| selection.includes(b.name))
    {
        let (mut cinder_total, mut sb3_total) = (0.0, 0.0);
        let (mut cinder_evals, mut sb3_evals) = (Vec::new(), Vec::new());
        for &seed in &selection.seeds {
            let run = train_run(&binary, &out, bench.name, bench.algo, bench.env, seed, &[])?;
            let cinder = run.process_seconds;
            cinder_total += cinder;
            let cinder_eval = match protocol {
                Protocol::Zoo => run.number("eval_mean"),
                Protocol::Sb3 => seeded_eval(&binary, &run.dir)?,
            };
            cinder_evals.push(cinder_eval);
            let (sb3_wall, sb3_eval, ratio) = match sb3 {
                Some(_) => {
                    let (seconds, eval) = sb3_run(&python, script, bench, seed, protocol)?;
                    sb3_total += seconds;
                    sb3_evals.push(eval);
                    (
                        format!("{seconds:.1}"),
                        format!("{eval:.1}"),
                        format!("{:.2}", cinder / seconds),
                    )
                }
                None => ("-".into(), "-".into(), "-".into()),
            };
            println!(
                "| {} | {seed} | {cinder:.1} | {cinder_eval:.1} | {sb3_wall} | {sb3_eval} | {ratio} |",
                bench.name,
            );
        }
        totals.push((bench.name, cinder_total, sb3_total));
        evals.push((bench.name, cinder_evals, sb3_evals));
    }
    if sb3.is_some() {
        println!("\n| benchmark | Cinder / SB3, all seeds' wall time |");
        println!("|---|---|");
        for (name, cinder, sb3) in totals {
            println!("| {name} | {:.2} |", cinder / sb3);
        }
    }
    if protocol == Protocol::Sb3 && sb3.is_some() {
        quality_table(&evals);
    }
    Ok(())
}

/// The libraries' final evaluations over the seeds: mean ± std each, the difference of the
/// means with its 95 % bootstrap interval, Welch's t (degrees of freedom), and which library
/// the interval favours (none where it holds 0).
fn quality_table(evals: &[(&str, Vec<f64>, Vec<f64>)]) {
    println!(
        "\n{SEEDED_EPISODES} deterministic episodes per run, episode i reset with seed \
         {SEEDED_FIRST} + i, both libraries"
    );
    println!(
        "\n| benchmark | seeds | Cinder mean ± std | SB3 mean ± std | Cinder − SB3 | 95 % bootstrap interval | Welch t (df) | interval says |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (name, cinder, sb3) in evals {
        if sb3.len() != cinder.len() || cinder.is_empty() {
            continue;
        }
        let ((cm, cs), (sm, ss)) = (mean_std(cinder), mean_std(sb3));
        let (lo, hi) = bootstrap_difference(cinder, sb3, RESAMPLES);
        let t = welch(cinder, sb3).map_or("-".to_string(), |(t, df)| format!("{t:.2} ({df:.1})"));
        let verdict = if hi < 0.0 {
            "Cinder lower"
        } else if lo > 0.0 {
            "Cinder higher"
        } else {
            "no difference shown"
        };
        println!(
            "| {name} | {} | {cm:.1} ± {cs:.1} | {sm:.1} ± {ss:.1} | {:.1} | [{lo:.1}, {hi:.1}] | {t} | {verdict} |",
            cinder.len(),
            cm - sm,
        );
    }
}

/// The seeded protocol's mean return of the run in `dir` (`cinder eval --per-episode-seeds`).
fn seeded_eval(binary: &Path, dir: &Path) -> Result<f64> {
    let output = Command::new(binary)
        .arg("eval")
        .arg(dir)
        .args(["--episodes", &SEEDED_EPISODES.to_string()])
        .args(["--seed", &SEEDED_FIRST.to_string(), "--per-episode-seeds"])
        .output()
        .with_context(|| format!("could not start {}", binary.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "cinder eval {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    stdout
        .trim()
        .strip_prefix("mean return ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|mean| mean.parse().ok())
        .with_context(|| format!("cinder eval printed no mean return: {stdout}"))
}

/// One SB3 run of `bench`: the whole process's wall seconds and the final evaluation mean
/// (scored as `protocol` says).
fn sb3_run(
    python: &str,
    script: &Path,
    bench: &Bench,
    seed: u64,
    protocol: Protocol,
) -> Result<(f64, f64)> {
    let protocol = match protocol {
        Protocol::Zoo => "zoo",
        Protocol::Sb3 => "sb3",
    };
    let start = std::time::Instant::now();
    let output = Command::new(python)
        .arg(script)
        .args([bench.algo, bench.env, "--seed", &seed.to_string()])
        .args(["--protocol", protocol])
        .args(["--threads", &torch_threads()?.to_string()])
        .output()
        .with_context(|| format!("could not start {python}"))?;
    let seconds = start.elapsed().as_secs_f64();
    if !output.status.success() {
        bail!(
            "SB3 {} seed {seed} failed ({}): {}",
            bench.name,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let line = String::from_utf8_lossy(&output.stdout);
    let result: serde_json::Value = serde_json::from_str(line.trim())
        .with_context(|| format!("SB3 {} printed no JSON line: {line}", bench.name))?;
    Ok((seconds, result["eval_mean"].as_f64().unwrap_or(f64::NAN)))
}

/// The CPU model, its core count and vector extensions, and the commit: the facts a timing
/// needs beside it.
fn machine_line() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |key: &str| {
        cpuinfo
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    };
    let flags = field("flags").unwrap_or_default();
    let extensions: Vec<&str> = ["avx2", "avx512f"]
        .into_iter()
        .filter(|f| flags.split(' ').any(|x| x == *f))
        .collect();
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!(
        "machine: {} ({} cores, {}); commit {commit}",
        field("model name").unwrap_or_else(|| "unknown CPU".into()),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        if extensions.is_empty() {
            "no AVX2".to_string()
        } else {
            extensions.join(", ")
        }
    )
}
