//! `cargo xtask bench compare`: Cinder's presets beside Stable-Baselines3 with the RL Zoo's
//! settings (`docs/bench/sb3_train.py`), one after the other on the same machine.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

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

/// Runs each [`COMPARE`] benchmark (and each slow [`GYM`] one that `--only` names) in Cinder
/// and then, when Python has `stable_baselines3`, with SB3 (`docs/bench/sb3_train.py`), one
/// after the other, and prints wall seconds of each whole process, final evaluations and the
/// ratio Cinder / SB3.
pub fn run(args: &SelectionArgs) -> Result<()> {
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
        Some(version) => println!("Stable-Baselines3 {version} ({python}, 2 torch threads)"),
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
    for bench in benches
        .chain(slow_named)
        .filter(|b| selection.includes(b.name))
    {
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
fn sb3_run(python: &str, script: &Path, bench: &Bench, seed: u64) -> Result<(f64, f64)> {
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
