//! `cargo xtask bench offline`: datasets collected from trained runs (kept between runs under
//! `bench-runs/`), then BC and BCQ trained on them.

use std::process::Command;

use anyhow::{Context, Result, bail};

use super::{
    Bench, Binary, NO_BAR, SelectionArgs, only_entry, release_binary, run_cinder, train_table,
};

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

/// Trains the source runs (once; kept under `bench-runs/offline-sources`), collects the
/// datasets (kept under `bench-runs/datasets`) and trains the offline benchmarks.
pub fn run(args: &SelectionArgs) -> Result<()> {
    let (binary, out) = release_binary(Binary::Default)?;
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
