//! The deploy program: no burn in its dependency tree, and it runs an exported policy.

use std::process::Command;

use cinder_policy::{Dense, Graph, Head};

#[test]
fn burn_is_not_a_dependency() {
    // The paths `cargo test` names at run time: the compile-time ones go stale when a clone
    // reuses test binaries another clone built in a shared target directory.
    let at_run_time = |name: &str, built: &str| std::env::var(name).unwrap_or(built.into());
    let out = Command::new(at_run_time("CARGO", env!("CARGO")))
        .args(["tree", "-p", "deploy", "--prefix", "none", "--offline"])
        .current_dir(at_run_time(
            "CARGO_MANIFEST_DIR",
            env!("CARGO_MANIFEST_DIR"),
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(tree.contains("cinder-policy"), "{tree}");
    let burn: Vec<&str> = tree.lines().filter(|l| l.starts_with("burn")).collect();
    assert!(burn.is_empty(), "burn in deploy's tree: {burn:?}");
}

#[test]
fn an_exported_policy_balances_the_pole() {
    // Push right when θ + θ̇ > 0: scores [0, θ + θ̇] of the observation [x, ẋ, θ, θ̇].
    let graph = Graph {
        observation_dim: 4,
        normalize: None,
        layers: vec![Dense {
            inputs: 4,
            outputs: 2,
            weight: vec![0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0],
            bias: vec![0.0, 0.0],
            activation: None,
        }],
        head: Head::Argmax { imitator: None },
        algo: "hand-made".into(),
        env: "CartPole-v1".into(),
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.safetensors");
    graph.save(&path).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_deploy"))
        .arg(&path)
        .args(["--episodes", "3"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mean: f64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("mean return "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no mean in {stdout}"));
    // A random policy lasts ~22 steps.
    assert!(mean > 100.0, "{stdout}");

    // A damaged file is one line on stderr and a failure, not a panic.
    std::fs::write(&path, b"not a policy").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_deploy"))
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.starts_with("deploy: not a Cinder policy file"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
