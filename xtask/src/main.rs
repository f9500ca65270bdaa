//! `cargo xtask`: Cinder's task runner.
//!
//! - `cargo xtask test [--device flex|ndarray|wgpu|all] [-- <test binary args>]`: the test
//!   matrix. The workspace is compiled once with every backend (`--all-features`: the crates
//!   default to flex alone); each leg reruns the same test
//!   binaries with `CINDER_TEST_DEVICE` set, which `cinder_nn::device::test_device()` reads.
//!   Learning smoke tests (`learning_*`) run on the flex leg only.
//! - `cargo xtask ci`: `cargo fmt --check`, `cargo clippy --all-targets -D warnings`, then the
//!   test matrix on all devices.
//! - `cargo xtask bench envs`: environment throughput (release), printed as a markdown table.
//! - `cargo xtask bench acting`: steps/s of the sampler with a 64-64 policy, 1 and 8 envs.
//! - `cargo xtask bench onpolicy [--seeds 0,1,2] [--only ppo-cartpole,...]`: trains each
//!   on-policy benchmark with the release `cinder` binary and its presets, and prints wall time
//!   and deterministic evaluation per seed as a markdown table.
//! - `cargo xtask bench offpolicy [--seeds 0,1,2] [--only dql-cartpole,...]`: the same for DQL,
//!   DDPG and SAC, with the gradient updates per second of wall time.
//! - `cargo xtask bench offline [--seeds 0,1,2] [--only bcq-cartpole,...]`: trains the DQL
//!   CartPole and SAC Pendulum presets (seed 0; kept between runs), collects datasets from them
//!   with `cinder collect`, then trains BC and BCQ on those datasets, as above.
//! - `cargo xtask bench explore [--seeds 0,1,2] [--only ppo-icm-cartpole,...]`: PPO and DQL
//!   with ICM, PPO with and without ICM on MountainCar, SVPG and its identity-kernel twin; then
//!   for each SVPG run the particles' final returns and the mean pairwise parameter distance
//!   over training.
//! - `cargo xtask bench compare [--seeds 0] [--only ppo-cartpole,...]`: PPO, A2C, DQL, SAC and
//!   DDPG with Cinder's presets, each followed by the same task in Stable-Baselines3 with the RL
//!   Zoo's settings (`docs/bench/sb3_train.py`, when `CINDER_BENCH_PYTHON` or `python3` has
//!   `stable_baselines3`); wall time of each whole process, final evaluations, and the ratio.

use std::process::Command;

use anyhow::{Context, Result, bail};

const DEVICES: [&str; 3] = ["flex", "ndarray", "wgpu"];
const TEST_DEVICE_VAR: &str = "CINDER_TEST_DEVICE";
const USAGE: &str = "usage: cargo xtask <command>
  test [--device flex|ndarray|wgpu|all] [-- <test args>]         run the test matrix (default: all)
  ci                                                               fmt check, clippy, all devices
  bench envs                                                       env steps/s (release)
  bench acting                                                     sampler steps/s (release)
  bench onpolicy [--seeds 0-9|0,1,2] [--only NAME,...]             train A2C/PPO/PPO2 (release)
  bench offpolicy [--seeds 0,1,2] [--only NAME,...]                train DQL/DDPG/SAC (release)
  bench offline [--seeds 0,1,2] [--only NAME,...]                  collect datasets, train BC/BCQ
  bench explore [--seeds 0,1,2] [--only NAME,...]                  ICM (PPO, DQL), SVPG
  bench compare [--seeds 0] [--only NAME,...]                      beside Stable-Baselines3";

fn main() {
    if let Err(e) = run(std::env::args().skip(1).collect()) {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}

fn run(args: Vec<String>) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("ci") => ci(),
        Some("bench") => bench(&args[1..]),
        Some("-h" | "--help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command `{other}`\n{USAGE}"),
    }
}

/// Runs `cargo` with `args` (and extra environment), failing on a non-zero exit.
fn cargo(args: &[&str], envs: &[(&str, &str)]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    println!("\n$ {} cargo {}", format_envs(envs), args.join(" "));
    let status = Command::new(cargo)
        .args(args)
        .envs(envs.iter().copied())
        .status()
        .with_context(|| format!("could not start cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

fn format_envs(envs: &[(&str, &str)]) -> String {
    envs.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn test(args: &[String]) -> Result<()> {
    let (own, passthrough) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let devices = match own {
        [] => DEVICES.to_vec(),
        [flag, device] if flag == "--device" => parse_devices(device)?,
        _ => bail!("unexpected arguments {own:?}\n{USAGE}"),
    };
    run_matrix(&devices, passthrough)
}

fn parse_devices(name: &str) -> Result<Vec<&'static str>> {
    if name == "all" {
        return Ok(DEVICES.to_vec());
    }
    DEVICES
        .iter()
        .find(|d| **d == name)
        .map(|d| vec![*d])
        .with_context(|| format!("unknown device `{name}`; known: flex, ndarray, wgpu, all"))
}

/// Learning smoke tests are named `learning_*` and run on the flex leg only: their thresholds
/// hold for flex's random streams, and thousands of updates on lavapipe would take minutes.
const LEARNING_TESTS: &str = "learning_";

fn run_matrix(devices: &[&str], passthrough: &[String]) -> Result<()> {
    let mut failed = Vec::new();
    for device in devices {
        let mut args = vec![
            "test",
            "--workspace",
            "--all-features",
            "--lib",
            "--bins",
            "--tests",
            "--examples",
            "--",
        ];
        if *device != "flex" {
            args.extend(["--skip", LEARNING_TESTS]);
        }
        args.extend(passthrough.iter().map(String::as_str));
        if let Err(e) = cargo(&args, &[(TEST_DEVICE_VAR, device)]) {
            eprintln!("device {device}: {e:#}");
            failed.push(*device);
        }
    }
    // Doc tests do not touch a device: once is enough.
    cargo(&["test", "--workspace", "--all-features", "--doc"], &[])?;
    if !failed.is_empty() {
        bail!("tests failed on: {}", failed.join(", "));
    }
    println!("\nall tests passed on: {}", devices.join(", "));
    Ok(())
}

fn ci() -> Result<()> {
    cargo(&["fmt", "--all", "--check"], &[])?;
    cargo(
        &[
            "clippy",
            "--workspace",
            "--all-features",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    run_matrix(&DEVICES, &[])
}

fn bench(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("acting") => cargo(
            &["bench", "--package", "cinder-pg", "--bench", "acting"],
            &[],
        ),
        Some("onpolicy") => train_benchmarks(ONPOLICY, &args[1..]),
        Some("offpolicy") => train_benchmarks(OFFPOLICY, &args[1..]),
        Some("offline") => offline_benchmarks(&args[1..]),
        Some("explore") => explore_benchmarks(&args[1..]),
        Some("compare") => compare_benchmarks(&args[1..]),
        Some("envs") => cargo(
            &[
                "bench",
                "--package",
                "cinder-envs",
                "--bench",
                "env_throughput",
            ],
            &[],
        ),
        Some(other) => {
            bail!(
                "unknown benchmark `{other}`; known: envs, acting, onpolicy, offpolicy, offline, explore, compare"
            )
        }
        None => {
            bail!(
                "which benchmark? known: envs, acting, onpolicy, offpolicy, offline, explore, compare\n{USAGE}"
            )
        }
    }
}

/// One training benchmark, run with its shipped preset (budgets and hyper-parameters live
/// there).
struct Bench {
    /// Row name (and run directory under `bench-runs`).
    name: &'static str,
    /// Algorithm id.
    algo: &'static str,
    /// Environment id.
    env: &'static str,
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

const NO_BAR: f64 = f64::NEG_INFINITY;

/// ICM on, stopping at the first evaluation of at least 195 (Tianshou's `stop_fn`).
const REACH_195: &[&str] = &["--icm", "--set", "return_threshold=195"];

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
];

/// The offline benchmarks. The noisy and half-trained datasets have no bar: they show what BCQ
/// buys over cloning.
const OFFLINE: &[Bench] = &[
    Bench::new("bcq-cartpole", "bcq", "CartPole-v1", 475.0).on("cartpole-eps0.2"),
    Bench::new("bc-cartpole", "bc", "CartPole-v1", 475.0).on("cartpole-eps0.2"),
    Bench::new("bc-pendulum", "bc", "Pendulum-v1", -200.0).on("pendulum-noise0.1"),
    Bench::new("bcq-cartpole-noisy", "bcq", "CartPole-v1", NO_BAR).on("cartpole-eps0.5"),
    Bench::new("bc-cartpole-noisy", "bc", "CartPole-v1", NO_BAR).on("cartpole-eps0.5"),
    Bench::new("bcq-cartpole-half", "bcq", "CartPole-v1", NO_BAR).on("cartpole-half"),
    Bench::new("bc-cartpole-half", "bc", "CartPole-v1", NO_BAR).on("cartpole-half"),
];

/// The exploration benchmarks: Tianshou's ICM bars on CartPole (reach 195: like Tianshou's
/// tests, a run stops at the first evaluation that does), PPO with and without curiosity on
/// MountainCar (the bar: -150 within the preset's 500,000 steps), and SVPG beside the
/// same particles made independent: identity kernel, no restarts from the best.
const EXPLORE: &[Bench] = &[
    Bench::new("ppo-icm-cartpole", "ppo", "CartPole-v1", 195.0).with(REACH_195),
    Bench::new("dql-icm-cartpole", "dql", "CartPole-v1", 195.0).with(REACH_195),
    Bench::new("ppo-icm-mountaincar", "ppo", "MountainCar-v0", -150.0).with(&["--icm"]),
    Bench::new("ppo-mountaincar", "ppo", "MountainCar-v0", NO_BAR),
    Bench::new("svpg-cartpole", "svpg", "CartPole-v1", 475.0),
    Bench::new("svpg-identity-cartpole", "svpg", "CartPole-v1", NO_BAR).with(&[
        "--set",
        "kernel=identity",
        "--set",
        "horizon=0",
    ]),
];

/// The offline benchmarks' datasets: name, source run (its directory name and the `cinder
/// train` arguments of a preset trained with seed 0), `cinder collect` noise flag and value,
/// transitions (Tianshou's gather scripts: 20,000 transitions at ε = 0.2).
type DatasetSpec = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
    usize,
);
const DATASETS: &[DatasetSpec] = &[
    (
        "cartpole-eps0.2",
        "dql-cartpole",
        DQL_CARTPOLE,
        "--eps",
        "0.2",
        20_000,
    ),
    (
        "cartpole-eps0.5",
        "dql-cartpole",
        DQL_CARTPOLE,
        "--eps",
        "0.5",
        20_000,
    ),
    (
        "cartpole-half",
        "dql-cartpole-8k",
        DQL_CARTPOLE_8K,
        "--eps",
        "0.2",
        20_000,
    ),
    (
        "pendulum-noise0.1",
        "sac-pendulum",
        SAC_PENDULUM,
        "--noise",
        "0.1",
        20_000,
    ),
];
const DQL_CARTPOLE: &[&str] = &["train", "dql", "--env", "CartPole-v1"];
/// A half-trained DQL: 8,000 of the preset's 50,000 steps.
const DQL_CARTPOLE_8K: &[&str] = &["train", "dql", "--env", "CartPole-v1", "--steps", "8000"];
const SAC_PENDULUM: &[&str] = &["train", "sac", "--env", "Pendulum-v1"];

/// The benchmarks `bench compare` runs beside Stable-Baselines3 (rows of [`ONPOLICY`] and
/// [`OFFPOLICY`]; `docs/bench/sb3_train.py` knows the Zoo's settings of each).
const COMPARE: &[&str] = &[
    "ppo-cartpole",
    "a2c-cartpole",
    "dql-cartpole",
    "sac-pendulum",
    "ddpg-pendulum",
];

/// The Python that runs the SB3 side: `CINDER_BENCH_PYTHON`, else `python3`.
const PYTHON_VAR: &str = "CINDER_BENCH_PYTHON";

/// Runs each [`COMPARE`] benchmark in Cinder and then, when Python has `stable_baselines3`,
/// with SB3 (`docs/bench/sb3_train.py`), one after the other, and prints wall seconds of each
/// whole process, final evaluations and the ratio Cinder / SB3.
fn compare_benchmarks(args: &[String]) -> Result<()> {
    let selection = Selection::parse(args, &[0], COMPARE)?;
    let (binary, out) = release_binary()?;
    let python = std::env::var(PYTHON_VAR).unwrap_or_else(|_| "python3".to_string());
    let script = std::path::Path::new("docs/bench/sb3_train.py");
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
        Some(version) => println!("Stable-Baselines3 {version} ({python}, 2 torch threads)"),
        None => println!(
            "no Stable-Baselines3 in `{python}` (set {PYTHON_VAR} to a Python that has it): Cinder alone"
        ),
    }
    println!(
        "\n| benchmark | seed | Cinder wall s | Cinder eval | SB3 wall s | SB3 eval | Cinder / SB3 |"
    );
    println!("|---|---|---|---|---|---|---|");
    let benches = ONPOLICY.iter().chain(OFFPOLICY);
    let mut totals = Vec::new();
    for bench in benches.filter(|b| COMPARE.contains(&b.name) && selection.includes(b.name)) {
        let (mut cinder_total, mut sb3_total) = (0.0, 0.0);
        for &seed in &selection.seeds {
            let run = train_run(&binary, &out, bench.name, bench.algo, bench.env, seed, &[])?;
            let cinder = run.process_seconds;
            cinder_total += cinder;
            let (sb3_wall, sb3_eval, ratio) = match sb3 {
                Some(_) => {
                    let (seconds, eval) = sb3_run(&python, script, bench, seed)?;
                    sb3_total += seconds;
                    (
                        format!("{seconds:.1}"),
                        format!("{eval:.1}"),
                        format!("{:.2}", cinder / seconds),
                    )
                }
                None => ("-".into(), "-".into(), "-".into()),
            };
            println!(
                "| {} | {seed} | {cinder:.1} | {:.1} | {sb3_wall} | {sb3_eval} | {ratio} |",
                bench.name,
                run.number("eval_mean"),
            );
        }
        totals.push((bench.name, cinder_total, sb3_total));
    }
    if sb3.is_some() {
        println!("\n| benchmark | Cinder / SB3, all seeds' wall time |");
        println!("|---|---|");
        for (name, cinder, sb3) in totals {
            println!("| {name} | {:.2} |", cinder / sb3);
        }
    }
    Ok(())
}

/// One SB3 run of `bench`: the whole process's wall seconds and the final evaluation mean.
fn sb3_run(python: &str, script: &std::path::Path, bench: &Bench, seed: u64) -> Result<(f64, f64)> {
    let start = std::time::Instant::now();
    let output = Command::new(python)
        .arg(script)
        .args([bench.algo, bench.env, "--seed", &seed.to_string()])
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

/// Trains the source runs (once; kept under `bench-runs/offline-sources`), collects the
/// datasets (kept under `bench-runs/datasets`) and trains the offline benchmarks.
fn offline_benchmarks(args: &[String]) -> Result<()> {
    let (binary, out) = release_binary()?;
    let sources = out.join("offline-sources");
    let datasets = out.join("datasets");
    for (name, source, train, flag, value, steps) in DATASETS {
        let path = datasets.join(format!("{name}-v0"));
        if path.join("data/metadata.json").exists() {
            continue;
        }
        let source = sources.join(source);
        if !source.exists() {
            let args = [*train, &["--seed", "0", "--quiet", "--out"]].concat();
            run_cinder(&binary, &args, &source)?;
        }
        let run = only_entry(&source)?;
        let steps = steps.to_string();
        let mut collect = Command::new(&binary);
        collect
            .arg("collect")
            .arg(&run)
            .args(["--steps", &steps, flag, value, "--seed", "0", "--out"])
            .arg(&path);
        let status = collect.status().context("could not start cinder collect")?;
        if !status.success() {
            bail!("collecting {name} failed ({status})");
        }
    }
    let absolute = std::path::absolute(&datasets)?;
    train_table(&binary, &out, OFFLINE, args, |dataset| {
        vec![
            "--dataset".into(),
            absolute.join(format!("{dataset}-v0")).display().to_string(),
        ]
    })
}

/// The exploration benchmarks, then for every SVPG run its particles' returns and the mean
/// pairwise distance of their parameters at each quarter of training.
fn explore_benchmarks(args: &[String]) -> Result<()> {
    let (binary, out) = release_binary()?;
    train_table(&binary, &out, EXPLORE, args, |_| Vec::new())?;
    println!("\n| SVPG run | final particle returns | mean pairwise distance at 25/50/75/100% |");
    println!("|---|---|---|");
    for bench in EXPLORE.iter().filter(|b| b.algo == "svpg") {
        let prefix = format!("{}-seed", bench.name);
        let mut dirs: Vec<_> = std::fs::read_dir(&out)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.strip_prefix(&prefix)
                        .is_some_and(|s| s.parse::<u64>().is_ok())
                })
            })
            .collect();
        dirs.sort();
        for dir in dirs {
            let run = only_entry(&dir)?;
            let rows = progress_rows(&run)?;
            let last = rows.last().context("progress.csv has no rows")?;
            let returns: Vec<String> = (0..)
                .map_while(|i| last.get(&format!("particle_{i}_return")))
                .map(|r| format!("{r:.0}"))
                .collect();
            let distances: Vec<String> = [1, 2, 3, 4]
                .iter()
                .map(|q| {
                    let row = &rows[(rows.len() * q / 4).saturating_sub(1)];
                    format!(
                        "{:.2}",
                        row.get("mean_pairwise_distance")
                            .copied()
                            .unwrap_or(f64::NAN)
                    )
                })
                .collect();
            println!(
                "| {} | {} | {} |",
                dir.file_name().unwrap_or_default().to_string_lossy(),
                returns.join(" "),
                distances.join(" / ")
            );
        }
    }
    Ok(())
}

/// The rows of a run's `progress.csv`, each as column → value (empty cells left out).
fn progress_rows(run: &std::path::Path) -> Result<Vec<std::collections::HashMap<String, f64>>> {
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
fn run_cinder(binary: &std::path::Path, args: &[&str], dir: &std::path::Path) -> Result<()> {
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
fn only_entry(dir: &std::path::Path) -> Result<std::path::PathBuf> {
    Ok(std::fs::read_dir(dir)?
        .next()
        .context("no run directory")??
        .path())
}

/// Gradient updates a run made: the `total_updates` column of the last row of its
/// `progress.csv`.
fn updates_of(run: &std::path::Path) -> Result<f64> {
    progress_rows(run)?
        .last()
        .and_then(|row| row.get("total_updates").copied())
        .context("progress.csv has no total_updates in its last row")
}

/// Builds the release `cinder` binary; returns it and the directory benchmark runs go to.
fn release_binary() -> Result<(std::path::PathBuf, std::path::PathBuf)> {
    cargo(
        &[
            "build",
            "--release",
            "--package",
            "cinder",
            "--bin",
            "cinder",
        ],
        &[],
    )?;
    let target = std::path::PathBuf::from(
        std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_string()),
    );
    Ok((
        target.join("release").join("cinder"),
        target.join("bench-runs"),
    ))
}

/// Trains every benchmark of `table` (filtered by `--only`) for each seed with the release
/// binary and prints one markdown row per run.
fn train_benchmarks(table: &[Bench], args: &[String]) -> Result<()> {
    let (binary, out) = release_binary()?;
    train_table(&binary, &out, table, args, |_| Vec::new())
}

/// The runs of [`train_benchmarks`]; `dataset_args` gives the extra arguments of a benchmark
/// with a dataset.
fn train_table(
    binary: &std::path::Path,
    out: &std::path::Path,
    table: &[Bench],
    args: &[String],
    dataset_args: impl Fn(&str) -> Vec<String>,
) -> Result<()> {
    let known: Vec<&str> = table.iter().map(|b| b.name).collect();
    let selection = Selection::parse(args, &[0, 1, 2], &known)?;
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

/// The `--seeds` and `--only` flags of a training benchmark.
struct Selection {
    seeds: Vec<u64>,
    only: Option<Vec<String>>,
}

impl Selection {
    /// Reads the flags; `seeds` where `--seeds` is absent. `--only` may name only benchmarks
    /// of `known`.
    fn parse(args: &[String], seeds: &[u64], known: &[&str]) -> Result<Self> {
        let mut selection = Self {
            seeds: seeds.to_vec(),
            only: None,
        };
        let mut rest = args.iter();
        while let Some(flag) = rest.next() {
            let value = rest
                .next()
                .with_context(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--seeds" => selection.seeds = parse_seeds(value)?,
                "--only" => {
                    let names: Vec<String> = value.split(',').map(str::to_string).collect();
                    if let Some(unknown) = names.iter().find(|n| !known.contains(&n.as_str())) {
                        bail!(
                            "unknown benchmark `{unknown}` in --only; known: {}",
                            known.join(", ")
                        );
                    }
                    selection.only = Some(names);
                }
                other => bail!("unknown flag `{other}`\n{USAGE}"),
            }
        }
        Ok(selection)
    }

    /// Whether `--only` (if given) names the benchmark `name`.
    fn includes(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|n| n == name))
    }
}

/// A finished `cinder train` run: its directory, its `summary.json` and the wall time of the
/// whole process.
struct TrainRun {
    dir: std::path::PathBuf,
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
    binary: &std::path::Path,
    out: &std::path::Path,
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
