//! The `custom-env` binary: the whole `cinder` command line with `PointReach-v0` registered.
//! A short SAC run trains from the crate's presets, `eval` reloads it, `resume` goes on from
//! its snapshot, `envs` lists the id beside the built-in ones, and an unknown id names both.

use std::process::{Command, Output};

fn custom_env(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_custom-env"))
        .args(args)
        .output()
        .expect("the custom-env binary runs")
}

/// The run directory a successful `train` printed.
fn run_dir(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("run directory: "))
        .expect("the run directory is printed");
    line.to_string()
}

#[test]
fn the_cli_trains_evaluates_and_resumes_a_registered_env() {
    let envs = custom_env(&["envs"]);
    let listing = String::from_utf8_lossy(&envs.stdout);
    assert!(listing.contains("PointReach-v0"), "{listing}");
    assert!(listing.contains("CartPole-v1"), "{listing}");

    let out = tempfile::tempdir().unwrap();
    let runs = out.path().join("runs");
    let train = custom_env(&[
        "train",
        "sac",
        "--env",
        "PointReach-v0",
        "--steps",
        "600",
        "--set",
        "num_init_memory_steps=300",
        "--set",
        "eval_every=200",
        "--set",
        "eval_episodes=2",
        "--set",
        "batch_size=32",
        "--out",
        runs.to_str().unwrap(),
        "--quiet",
    ]);
    let dir = run_dir(&train);
    let config = std::fs::read_to_string(format!("{dir}/config.toml")).unwrap();
    let compact: String = config.split_whitespace().collect();
    assert!(
        compact.contains("hidden=[64,64,]"),
        "the crate's preset is used: {config}"
    );

    let eval = custom_env(&["eval", &dir, "--episodes", "2"]);
    assert!(
        eval.status.success(),
        "{}",
        String::from_utf8_lossy(&eval.stderr)
    );
    let resumed = custom_env(&["resume", &dir, "--steps", "800", "--quiet"]);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );

    let unknown = custom_env(&["train", "sac", "--env", "PointReach-v9", "--quiet"]);
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert_eq!(unknown.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("PointReach-v0") && stderr.contains("CartPole-v1"),
        "{stderr}"
    );
}

#[test]
fn learning_masked_ppo_finds_the_way_through_the_maze() {
    // An invalid move is an error in GridMask-v0: the run completes only if every action the
    // policy took (sampling, evaluation) was valid.
    let out = tempfile::tempdir().unwrap();
    let runs = out.path().join("runs");
    let train = custom_env(&[
        "train",
        "ppo",
        "--env",
        "GridMask-v0",
        "--seed",
        "3",
        "--out",
        runs.to_str().unwrap(),
        "--quiet",
    ]);
    let dir = run_dir(&train);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/summary.json")).unwrap())
            .unwrap();
    let eval = summary["eval_mean"].as_f64().unwrap();
    // The shortest way takes 8 moves; a random valid walk rarely arrives within 50.
    assert!(eval >= -20.0, "masked PPO scored {eval}");
}
