//! The `cinder` binary end to end: a short training run writes every file of a run directory
//! and `cinder eval` reloads it; `cinder resume` goes on from a snapshot (with or without the
//! replay memory); bad input is one line on stderr, exit code 2 and no run directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cinder(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cinder"))
        .args(args)
        .output()
        .expect("the cinder binary runs")
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(read) => read.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// Runs `cinder train` with `args` into a fresh directory and checks it fails as bad input
/// whose message mentions `expected`, leaving nothing behind.
fn rejects(args: &[&str], expected: &str) {
    let out = tempfile::tempdir().unwrap();
    let runs = out.path().join("runs");
    let mut full = vec!["train"];
    full.extend_from_slice(args);
    full.extend(["--out", runs.to_str().unwrap(), "--quiet"]);
    let output = cinder(&full);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{args:?}: not one line: {stderr}"
    );
    assert!(
        stderr.contains(expected),
        "{args:?}: `{expected}` not in: {stderr}"
    );
    assert!(
        entries(&runs).is_empty(),
        "{args:?} left {:?}",
        entries(&runs)
    );
}

#[test]
fn bad_input_is_one_line_exit_2_and_no_run_directory() {
    rejects(
        &["dqn", "--env", "CartPole-v1"],
        "unknown algorithm `dqn`; known: a2c, ppo, ppo2, dql, ddpg, sac",
    );
    rejects(&["ppo", "--env", "CartPole-v9"], "CartPole-v1");
    // Keyword arguments are for Gymnasium ids only, and must be KEY=VALUE.
    rejects(
        &["ppo", "--env", "CartPole-v1", "--env-kwargs", "g=9"],
        "--env-kwargs is for gym:<id> environments",
    );
    rejects(
        &["ppo", "--env", "gym:CartPole-v1", "--env-kwargs", "novalue"],
        "expected KEY=VALUE",
    );
    #[cfg(not(feature = "gym"))]
    rejects(
        &["ppo", "--env", "gym:CartPole-v1"],
        "gym:<id> needs Cinder built with the `gym` feature",
    );
    rejects(
        &["ppo", "--env", "CartPole-v1", "--set", "lerning_rate=1"],
        "unknown setting `lerning_rate` for ppo; valid: ",
    );
    rejects(
        &["a2c", "--env", "CartPole-v1", "--set", "eps_clip=0.1"],
        "unknown setting `eps_clip` for a2c",
    );
    rejects(
        &["ppo", "--env", "CartPole-v1", "--set", "gamma=abc"],
        "gamma",
    );
    rejects(
        &["ppo", "--env", "CartPole-v1", "--set", "gamma=1.5"],
        "gamma",
    );
    rejects(
        &["ppo2", "--env", "CartPole-v1", "--set", "eps_clip=0"],
        "eps_clip",
    );
    rejects(
        &["ppo", "--env", "CartPole-v1", "--set", "n_envs=0"],
        "n_envs",
    );
    rejects(
        &["ppo", "--env", "CartPole-v1", "--set", "lr_schedule=cosine"],
        "lr_schedule",
    );
    rejects(
        &["ppo", "--env", "CartPole-v1", "--set", "gamma"],
        "key=value",
    );
    rejects(
        &["ppo", "--env", "CartPole-v1", "--set", "snapshot_mode=bst"],
        "invalid setting `snapshot_mode` = \"bst\"",
    );
    rejects(
        &["ppo", "--env", "CartPole-v1", "--set", "x_axis=episodes"],
        "invalid setting `x_axis`",
    );
    rejects(
        &["ppo", "--env", "CartPole-v1", "--set", "n_steps=-3"],
        "`n_steps` = -3: expected a non-negative integer",
    );
    rejects(
        &[
            "ppo",
            "--env",
            "CartPole-v1",
            "--set",
            "hidden=[64, \"wide\"]",
        ],
        "invalid setting `hidden`",
    );
    rejects(
        &["dql", "--env", "CartPole-v1", "--set", "memory_size=0"],
        "memory_size",
    );
    rejects(
        &["dql", "--env", "CartPole-v1", "--set", "batch_size=200000"],
        "`batch_size` = 200000",
    );
    rejects(
        &["sac", "--env", "Pendulum-v1", "--set", "tau=1.5"],
        "`tau` = 1.5",
    );
    rejects(
        &[
            "ddpg",
            "--env",
            "Pendulum-v1",
            "--set",
            "exploration_noise=pink",
        ],
        "exploration_noise",
    );
    rejects(
        &["dql", "--env", "CartPole-v1", "--set", "eps_clip=0.1"],
        "unknown setting `eps_clip` for dql",
    );
    rejects(&["sac", "--env", "CartPole-v1"], "box");
    rejects(&["ppo", "--env", "CartPole-v1", "--steps", "-5"], "--steps");
    rejects(
        &["ppo", "--env", "CartPole-v1", "--steps", "0"],
        "total_steps",
    );
    rejects(&["ppo", "--env", "CartPole-v1", "--seed", "abc"], "--seed");
    // Sizes beyond the machine's memory are refused before anything is allocated.
    for (args, setting) in [
        (
            &["dql", "--set", "memory_size=10000000000000"][..],
            "`memory_size`",
        ),
        (
            &["ppo", "--set", "hidden=[100000000,100000000]"],
            "`hidden`",
        ),
        (
            &["ppo", "--set", "critic_hidden=[100000000,100000000]"],
            "`critic_hidden`",
        ),
        (&["ppo", "--set", "n_envs=1000000000000"], "n_envs"),
        (
            &[
                "ppo",
                "--set",
                "n_envs=4294967296",
                "--set",
                "n_steps=4294967296",
            ],
            "`n_envs × n_steps",
        ),
        (
            &["ppo", "--set", "eval_episodes=100000000000000"],
            "`eval_episodes`",
        ),
        (
            &["svpg", "--set", "num_particles=1000000000000"],
            "`num_particles × ",
        ),
        (
            &["ppo", "--icm", "--set", "icm.feature_dim=10000000000"],
            "`icm.feature_dim / icm.hidden`",
        ),
        (
            &["ppo", "--set", "num_workers=100000"],
            "`num_workers` = 100000",
        ),
        (
            &["ppo", "--set", "n_steps=100000000000000000000000"],
            "`n_steps`",
        ),
    ] {
        let mut full = vec![args[0], "--env", "CartPole-v1"];
        full.extend_from_slice(&args[1..]);
        rejects(&full, setting);
    }
    rejects(&["ppo", "--env", "CartPole-v1", "--device", "tpu"], "tpu");
    rejects(
        &[
            "ppo",
            "--env",
            "CartPole-v1",
            "--preset",
            "/nonexistent/preset.toml",
        ],
        "preset",
    );
}

#[test]
fn train_writes_a_complete_run_directory_and_eval_reloads_it() {
    let out = tempfile::tempdir().unwrap();
    let runs = out.path().join("runs");
    let output = cinder(&[
        "train",
        "ppo",
        "--env",
        "CartPole-v1",
        "--steps",
        "2048",
        "--seed",
        "3",
        "--set",
        "eval_every=4",
        "--set",
        "eval_episodes=3",
        "--out",
        runs.to_str().unwrap(),
        "--quiet",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let dirs = entries(&runs);
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let dir = &dirs[0];
    assert!(
        dir.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("ppo-CartPole-v1-")
    );

    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(
        config.contains("algo = \"ppo\"") && config.contains("seed = 3"),
        "{config}"
    );
    assert!(
        config.contains("total_steps = 2048") && config.contains("gamma = 0.98"),
        "{config}"
    );
    let csv = std::fs::read_to_string(dir.join("progress.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 8, "{csv}"); // 2048 steps / 256 per iteration
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains("policy_loss,value_loss,entropy")
    );
    assert!(entries(dir).iter().any(|p| {
        p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("events.out.tfevents.")
    }));
    assert!(
        std::fs::metadata(dir.join("learning_curve.png"))
            .unwrap()
            .len()
            > 1000
    );
    assert!(dir.join("snapshots/latest/policy.bpk").exists());
    assert!(dir.join("snapshots/latest/meta.json").exists());

    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    for key in [
        "algo",
        "env",
        "seed",
        "device",
        "total_steps",
        "wall_seconds",
        "steps_per_second",
        "eval_mean",
        "eval_std",
        "eval_episodes",
    ] {
        assert!(
            summary.get(key).is_some(),
            "summary.json lacks {key}: {summary}"
        );
    }
    assert_eq!(summary["total_steps"], 2048);
    assert_eq!(summary["eval_episodes"], 3);

    // The snapshot of the final evaluation reproduces its mean exactly (same seed, envs, policy).
    let output = cinder(&["eval", dir.to_str().unwrap(), "--episodes", "3"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = format!("mean return {:.2}", summary["eval_mean"].as_f64().unwrap());
    assert!(stdout.contains(&expected), "{stdout} vs {expected}");

    // A corrupt snapshot is bad input naming the file.
    let policy = dir.join("snapshots/latest/policy.bpk");
    let mut bytes = std::fs::read(&policy).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&policy, bytes).unwrap();
    let output = cinder(&["eval", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("policy.bpk"), "{stderr}");

    let output = cinder(&["eval", out.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
}

/// A short SAC run on Pendulum into `runs` (extra `args` appended); returns its directory.
fn short_sac_run(runs: &Path, args: &[&str]) -> PathBuf {
    short_replay_run(runs, "sac", args)
}

/// A 200-step run of `algo` on Pendulum-v1 with small networks, evaluated every 50 steps.
fn short_replay_run(runs: &Path, algo: &str, args: &[&str]) -> PathBuf {
    let mut full = vec![
        "train",
        algo,
        "--env",
        "Pendulum-v1",
        "--steps",
        "200",
        "--set",
        "num_init_memory_steps=64",
        "--set",
        "batch_size=32",
        "--set",
        "hidden=[16, 16]",
        "--set",
        "eval_every=50",
        "--set",
        "eval_episodes=2",
        "--out",
        runs.to_str().unwrap(),
        "--quiet",
    ];
    full.extend_from_slice(args);
    let before = entries(runs);
    let output = cinder(&full);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    entries(runs)
        .into_iter()
        .find(|dir| !before.contains(dir))
        .expect("a new run directory")
}

/// Column `name` of every row of the run's `progress.csv`.
fn csv_column(dir: &Path, name: &str) -> Vec<f64> {
    let csv = std::fs::read_to_string(dir.join("progress.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == name).unwrap();
    lines
        .map(|line| line.split(',').nth(col).unwrap().parse().unwrap())
        .collect()
}

#[test]
fn off_policy_runs_save_their_replay_memory_when_asked_and_resume_from_it() {
    let out = tempfile::tempdir().unwrap();
    let runs = out.path().join("runs");
    let dir = &short_sac_run(&runs, &["--save-buffer"]);
    for file in [
        "policy.bpk",
        "critics.bpk",
        "log_alpha.bpk",
        "replay.bin",
        "meta.json",
    ] {
        assert!(
            dir.join("snapshots/latest").join(file).exists(),
            "snapshot lacks {file}"
        );
    }
    let csv = std::fs::read_to_string(dir.join("progress.csv")).unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains("critic_loss,policy_loss,entropy_coeff,entropy,q_mean"),
        "{csv}"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    let output = cinder(&["eval", dir.to_str().unwrap(), "--episodes", "2"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let expected = format!("mean return {:.2}", summary["eval_mean"].as_f64().unwrap());
    assert!(stdout.contains(&expected), "{stdout} vs {expected}");

    // The budget is spent: resuming needs a larger one.
    let output = cinder(&["resume", dir.to_str().unwrap(), "--quiet"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("already taken 200 steps"), "{stderr}");

    // Going on to 300 steps keeps the 200 stored transitions and adds to them.
    let iterations = csv_column(dir, "iteration").len();
    let output = cinder(&["resume", dir.to_str().unwrap(), "--steps", "300", "--quiet"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let replay_size = csv_column(dir, "replay_size");
    assert_eq!(replay_size[iterations - 1], 200.0);
    assert_eq!(replay_size[iterations], 201.0, "the memory came back");
    assert_eq!(*replay_size.last().unwrap(), 300.0);
    let rows = csv_column(dir, "iteration");
    assert!(
        rows.iter().enumerate().all(|(i, &it)| it == (i + 1) as f64),
        "iterations run on without gaps or repeats"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["total_steps"], 300);
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(config.contains("total_steps = 300"), "{config}");
}

#[test]
fn a_resume_without_a_saved_memory_refills_it_and_bad_resumes_are_input_errors() {
    let out = tempfile::tempdir().unwrap();
    let runs = out.path().join("runs");
    let dir = &short_sac_run(&runs, &[]);
    assert!(!dir.join("snapshots/latest/replay.bin").exists());
    let iterations = csv_column(dir, "iteration").len();
    let output = cinder(&["resume", dir.to_str().unwrap(), "--steps", "300", "--quiet"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let replay_size = csv_column(dir, "replay_size");
    assert_eq!(replay_size[iterations - 1], 200.0);
    assert_eq!(
        replay_size[iterations], 65.0,
        "64 refill steps then one exploring step"
    );

    // No run directory, no snapshot, a corrupt snapshot: exit 2, files untouched.
    let csv_before = std::fs::read(dir.join("progress.csv")).unwrap();
    let output = cinder(&["resume", out.path().to_str().unwrap(), "--steps", "400"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is this a run directory?"), "{stderr}");
    std::fs::write(dir.join("snapshots/latest/policy.bpk"), b"garbage").unwrap();
    let output = cinder(&["resume", dir.to_str().unwrap(), "--steps", "400"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("policy.bpk"), "{stderr}");
    std::fs::remove_dir_all(dir.join("snapshots")).unwrap();
    let output = cinder(&["resume", dir.to_str().unwrap(), "--steps", "400"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no snapshot to resume from"), "{stderr}");
    assert_eq!(std::fs::read(dir.join("progress.csv")).unwrap(), csv_before);
    assert!(dir.join("summary.json").exists());
}

#[test]
fn train_help_lists_the_algorithm_registry() {
    let output = cinder(&["train", "--help"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    for line in [
        "ppo    on-policy",
        "a2c    on-policy",
        "dql    off-policy",
        "sac    off-policy",
    ] {
        assert!(stdout.contains(line), "`{line}` not in: {stdout}");
    }
}

#[test]
fn runs_stop_on_update_and_iteration_budgets() {
    let out = tempfile::tempdir().unwrap();
    let runs = out.path().join("runs");
    // SAC makes one update per step once 64 random transitions are stored.
    let dir = short_sac_run(
        &runs,
        &["--set", "max_updates=30", "--set", "x_axis=updates"],
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["stop_reason"], "max_updates", "{summary}");
    assert_eq!(summary["total_updates"], 30, "{summary}");
    assert_eq!(summary["total_steps"], 64 + 30, "{summary}");
    assert_eq!(csv_column(&dir, "total_updates").last(), Some(&30.0));
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(config.contains("max_updates = 30"), "{config}");
    assert!(config.contains("x_axis = \"updates\""), "{config}");

    let output = cinder(&[
        "train",
        "ppo",
        "--env",
        "CartPole-v1",
        "--set",
        "max_iter=2",
        "--set",
        "eval_episodes=2",
        "--out",
        runs.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ppo = entries(&runs)
        .into_iter()
        .find(|d| d.to_string_lossy().contains("ppo-"))
        .unwrap();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ppo.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["stop_reason"], "max_iter", "{summary}");
    assert_eq!(summary["iterations"], 2, "{summary}");
    // 8 envs × 32 steps, 256 per minibatch, 20 epochs: 20 updates per iteration.
    assert_eq!(summary["total_updates"], 40, "{summary}");
}

#[test]
fn eval_and_resume_check_config_toml_as_train_checks_its_input() {
    let out = tempfile::tempdir().unwrap();
    let runs = out.path().join("runs");
    let dir = short_sac_run(&runs, &[]);
    let config_path = dir.join("config.toml");
    let good = std::fs::read_to_string(&config_path).unwrap();
    assert!(good.contains("algo = \"sac\""), "{good}");
    assert!(good.contains("[settings]"), "{good}");
    for (edit, expected) in [
        (
            good.replace("\ngamma = 0.99", "\ngamma = 1.5"),
            "`gamma` = 1.5",
        ),
        (
            good.replace("[settings]", "[settings]\nbogus = 1"),
            "unknown setting `bogus` for sac",
        ),
        (
            good.replace("algo = \"sac\"", "algo = \"dqn\""),
            "unknown algorithm `dqn`",
        ),
        (
            good.replace("tau = ", "tau_x = "),
            "unknown setting `tau_x`",
        ),
    ] {
        assert_ne!(edit, good, "the edit for `{expected}` changed nothing");
        std::fs::write(&config_path, &edit).unwrap();
        for command in [
            vec!["eval", dir.to_str().unwrap()],
            vec!["resume", dir.to_str().unwrap(), "--steps", "400", "--quiet"],
        ] {
            let output = cinder(&command);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{command:?}: {stderr}");
            assert!(
                stderr.contains(expected),
                "{command:?}: `{expected}` not in {stderr}"
            );
        }
    }
    std::fs::write(&config_path, &good).unwrap();
    let output = cinder(&["eval", dir.to_str().unwrap(), "--episodes", "2"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
#[cfg(feature = "minari")]
fn offline_runs_learn_from_a_collected_dataset_and_resume_in_updates() {
    let out = tempfile::tempdir().unwrap();
    let runs = out.path().join("runs");
    let ok = |args: &[&str]| {
        let output = cinder(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{args:?}: {stderr}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let fails = |args: &[&str], expected: &str| {
        let output = cinder(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: `{expected}` not in {stderr}"
        );
    };
    let source = runs.join("source");
    ok(&[
        "train",
        "dql",
        "--env",
        "CartPole-v1",
        "--steps",
        "1024",
        "--set",
        "hidden=[32, 32]",
        "--set",
        "eval_every=2",
        "--set",
        "eval_episodes=2",
        "--quiet",
        "--out",
        source.to_str().unwrap(),
    ]);
    let run = entries(&source).pop().unwrap();
    let dataset = out.path().join("cartpole-dql-v0");
    let printed = ok(&[
        "collect",
        run.to_str().unwrap(),
        "--steps",
        "600",
        "--eps",
        "0.3",
        "--seed",
        "4",
        "--out",
        dataset.to_str().unwrap(),
    ]);
    assert!(printed.contains("wrote 600 transitions"), "{printed}");
    assert!(dataset.join("data/main_data.hdf5").is_file());
    let info = ok(&["dataset", "info", dataset.to_str().unwrap()]);
    assert!(
        info.contains("600 transitions") && info.contains("CartPole-v1") && info.contains("hdf5"),
        "{info}"
    );
    // Nothing is overwritten, noise must fit the action space.
    fails(
        &[
            "collect",
            run.to_str().unwrap(),
            "--steps",
            "10",
            "--out",
            dataset.to_str().unwrap(),
        ],
        "already exists",
    );
    let other = out.path().join("other-v0");
    fails(
        &[
            "collect",
            run.to_str().unwrap(),
            "--steps",
            "1000000000000",
            "--out",
            other.to_str().unwrap(),
        ],
        "--steps must be between 1 and",
    );
    fails(
        &[
            "collect",
            run.to_str().unwrap(),
            "--steps",
            "10",
            "--noise",
            "0.1",
            "--out",
            other.to_str().unwrap(),
        ],
        "Gaussian noise needs continuous actions",
    );
    assert!(!other.exists());

    let offline = runs.join("offline");
    ok(&[
        "train",
        "bcq",
        "--env",
        "CartPole-v1",
        "--dataset",
        dataset.to_str().unwrap(),
        "--set",
        "max_updates=200",
        "--set",
        "num_updates_per_iter=100",
        "--set",
        "hidden=[16, 16]",
        "--set",
        "eval_episodes=2",
        "--quiet",
        "--out",
        offline.to_str().unwrap(),
    ]);
    let dir = entries(&offline).pop().unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["total_updates"], 200);
    assert_eq!(summary["total_steps"], 0);
    assert_eq!(summary["stop_reason"], "max_updates");
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(
        config.contains(&format!("dataset = \"{}\"", dataset.display())),
        "{config}"
    );
    assert_eq!(csv_column(&dir, "total_updates"), [100.0, 200.0]);
    ok(&["eval", dir.to_str().unwrap(), "--episodes", "2"]);
    fails(&["resume", dir.to_str().unwrap(), "--quiet"], "--updates");
    ok(&[
        "resume",
        dir.to_str().unwrap(),
        "--updates",
        "300",
        "--quiet",
    ]);
    assert_eq!(csv_column(&dir, "total_updates"), [100.0, 200.0, 300.0]);

    // A dataset of another environment, or none, is bad input that leaves no run behind.
    rejects(
        &[
            "bcq",
            "--env",
            "Acrobot-v1",
            "--dataset",
            dataset.to_str().unwrap(),
        ],
        "does not match",
    );
    rejects(&["bc", "--env", "CartPole-v1"], "--dataset");
    rejects(
        &[
            "bc",
            "--env",
            "CartPole-v1",
            "--dataset",
            out.path().join("missing").to_str().unwrap(),
        ],
        "no Minari dataset",
    );
    fails(
        &["dataset", "info", out.path().to_str().unwrap()],
        "no Minari dataset",
    );
}

/// `cinder train` of `args` into `runs`; returns the run directory.
fn train_into(runs: &Path, args: &[&str]) -> PathBuf {
    let before = entries(runs);
    let mut full = vec!["train"];
    full.extend_from_slice(args);
    full.extend(["--out", runs.to_str().unwrap(), "--quiet"]);
    let output = cinder(&full);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{args:?}: {stderr}");
    let new: Vec<PathBuf> = entries(runs)
        .into_iter()
        .filter(|d| !before.contains(d))
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    new[0].clone()
}

#[test]
fn icm_wraps_online_algorithms_from_the_command_line() {
    let out = tempfile::tempdir().unwrap();
    let runs = out.path().join("runs");
    let dir = train_into(
        &runs,
        &[
            "ppo",
            "--env",
            "CartPole-v1",
            "--icm",
            "--steps",
            "1024",
            "--set",
            "icm.reward_scale=0.5",
            "--set",
            "eval_every=2",
            "--set",
            "eval_episodes=2",
        ],
    );
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(
        config.contains("[settings.icm]") && config.contains("reward_scale = 0.5"),
        "{config}"
    );
    let curiosity = csv_column(&dir, "intrinsic_reward");
    assert!(
        !curiosity.is_empty() && curiosity.iter().all(|&r| r > 0.0),
        "{curiosity:?}"
    );
    assert!(!csv_column(&dir, "icm_forward_loss").is_empty());
    assert!(dir.join("snapshots/latest/icm/nets.bpk").exists());
    assert!(dir.join("snapshots/latest/policy.bpk").exists());
    let output = cinder(&[
        "resume",
        dir.to_str().unwrap(),
        "--steps",
        "2048",
        "--quiet",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(csv_column(&dir, "intrinsic_reward").len(), 8);

    // Off-policy, and a preset's icm table applies only with --icm.
    let dql = train_into(
        &runs,
        &[
            "dql",
            "--env",
            "CartPole-v1",
            "--icm",
            "--steps",
            "1500",
            "--set",
            "eval_every=100",
        ],
    );
    assert!(!csv_column(&dql, "icm_inverse_loss").is_empty());
    assert!(dql.join("snapshots/latest/icm/optim.bpk").exists());
    let plain = train_into(
        &runs,
        &["ppo", "--env", "MountainCar-v0", "--steps", "2048"],
    );
    let config = std::fs::read_to_string(plain.join("config.toml")).unwrap();
    assert!(!config.contains("icm"), "{config}");
    let curious = train_into(
        &runs,
        &["ppo", "--env", "MountainCar-v0", "--icm", "--steps", "2048"],
    );
    let config = std::fs::read_to_string(curious.join("config.toml")).unwrap();
    assert!(config.contains("reward_scale = 10.0"), "{config}");

    rejects(
        &[
            "ppo",
            "--env",
            "CartPole-v1",
            "--icm",
            "--set",
            "icm.forward_loss_weight=1.5",
        ],
        "icm.forward_loss_weight",
    );
    rejects(
        &["ppo", "--env", "CartPole-v1", "--set", "icm.curiosity=1"],
        "curiosity",
    );
    rejects(&["ppo", "--env", "CartPole-v1", "--set", "icm=3"], "`icm`");
    rejects(
        &[
            "bc",
            "--env",
            "CartPole-v1",
            "--icm",
            "--dataset",
            "/data/x",
        ],
        "unknown setting `icm` for bc",
    );
}

#[test]
fn svpg_trains_particles_and_checks_its_parameters() {
    let out = tempfile::tempdir().unwrap();
    let runs = out.path().join("runs");
    let dir = train_into(
        &runs,
        &[
            "svpg",
            "--env",
            "CartPole-v1",
            "--steps",
            "4000",
            "--set",
            "num_particles=3",
            "--set",
            "eval_every=10",
            "--set",
            "eval_episodes=2",
        ],
    );
    for column in [
        "particle_0_return",
        "particle_2_return",
        "best_return",
        "mean_pairwise_distance",
    ] {
        assert!(!csv_column(&dir, column).is_empty(), "{column}");
    }
    assert!(
        csv_column(&dir, "mean_pairwise_distance")
            .iter()
            .all(|&d| d > 0.0)
    );
    assert!(dir.join("snapshots/latest/particle-2/policy.bpk").exists());
    let output = cinder(&["eval", dir.to_str().unwrap(), "--episodes", "2"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ppo = train_into(
        &runs,
        &[
            "svpg",
            "--env",
            "CartPole-v1",
            "--steps",
            "2000",
            "--set",
            "particle=ppo",
            "--set",
            "num_particles=2",
            "--set",
            "n_steps=16",
            "--set",
            "batch_size=32",
        ],
    );
    assert!(
        ppo.join("snapshots/latest/particle-1/policy_optim.bpk")
            .exists()
    );

    rejects(
        &["svpg", "--env", "CartPole-v1", "--set", "num_particles=0"],
        "num_particles",
    );
    rejects(
        &["svpg", "--env", "CartPole-v1", "--set", "temperature=0"],
        "temperature",
    );
    rejects(
        &["svpg", "--env", "CartPole-v1", "--set", "temperature=nan"],
        "temperature",
    );
    rejects(
        &["svpg", "--env", "CartPole-v1", "--set", "particle=sac"],
        "particle",
    );
    rejects(
        &["svpg", "--env", "CartPole-v1", "--set", "kernel=linear"],
        "kernel",
    );
    rejects(
        &["svpg", "--env", "CartPole-v1", "--icm"],
        "unknown setting `icm` for svpg",
    );
}

#[test]
fn envs_lists_every_registered_environment_with_its_spaces() {
    let output = cinder(&["envs"]);
    assert!(output.status.success());
    let listing = String::from_utf8_lossy(&output.stdout);
    for id in cinder::envs::ids() {
        assert!(listing.contains(&id), "{id} missing from {listing}");
    }
    assert!(listing.contains("Discrete(2)"), "{listing}");
    assert!(listing.contains("time limit 500"), "{listing}");
}

#[test]
fn offline_runs_refuse_normalisation() {
    rejects(
        &[
            "bc",
            "--env",
            "CartPole-v1",
            "--dataset",
            "nowhere",
            "--set",
            "normalize_obs=true",
        ],
        "normalize_obs",
    );
}

#[test]
#[cfg(feature = "onnx")]
fn export_writes_onnx_and_safetensors_and_refuses_bad_input_in_one_line() {
    let out = tempfile::tempdir().unwrap();
    let runs = out.path().join("runs");
    let dir = train_into(&runs, &["ppo", "--env", "CartPole-v1", "--steps", "1024"]);
    let run = dir.to_str().unwrap();
    for format in ["onnx", "safetensors"] {
        let output = cinder(&["export", run, "--format", format]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{format}: {stdout}");
        let file = dir.join(format!("policy.{format}"));
        assert!(stdout.contains(file.to_str().unwrap()), "{stdout}");
        assert!(std::fs::metadata(&file).unwrap().len() > 1000, "{format}");
    }
    // From a snapshot directory, to a chosen file.
    let chosen = out.path().join("chosen.onnx");
    let snapshot = dir.join("snapshots/latest");
    let output = cinder(&[
        "export",
        snapshot.to_str().unwrap(),
        "--out",
        chosen.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    assert_eq!(
        std::fs::read(&chosen).unwrap(),
        std::fs::read(dir.join("policy.onnx")).unwrap()
    );
    let refused = |args: &[&str], expected: &str| {
        let output = cinder(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    };
    refused(
        &["export", run, "--format", "tflite"],
        "unknown export format `tflite`",
    );
    refused(
        &["export", runs.to_str().unwrap()],
        "neither a run directory",
    );
    std::fs::write(snapshot.join("policy.bpk"), b"truncated").unwrap();
    refused(&["export", run], "policy.bpk");
    refused(&["eval", run], "policy.bpk");
}

#[test]
fn dry_run_prints_the_config_a_preset_reproduces_and_writes_nothing() {
    let out = tempfile::tempdir().unwrap();
    let runs = out.path().join("runs");
    let runs_arg = runs.to_str().unwrap();
    let dry = |extra: &[&str]| {
        let mut args = vec!["train", "ppo", "--env", "CartPole-v1", "--dry-run"];
        args.extend_from_slice(extra);
        args.extend(["--out", runs_arg]);
        let output = cinder(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{extra:?}: {stderr}");
        let text = String::from_utf8(output.stdout).unwrap();
        text.parse::<toml::Table>().unwrap()
    };
    let config = dry(&["--set", "lr=5e-4", "--seed", "3", "--steps", "4096"]);
    assert_eq!(config["seed"].as_integer(), Some(3));
    assert_eq!(config["settings"]["lr"].as_float(), Some(5e-4));
    assert_eq!(config["settings"]["total_steps"].as_integer(), Some(4096));
    assert!(
        entries(&runs).is_empty(),
        "a dry run wrote {:?}",
        entries(&runs)
    );
    // The printed settings, as a preset table, give the same run (what sweeps hand back).
    let mut preset = toml::Table::new();
    preset.insert("CartPole-v1".into(), config["settings"].clone());
    let path = out.path().join("best.toml");
    std::fs::write(&path, toml::to_string(&preset).unwrap()).unwrap();
    let again = dry(&["--preset", path.to_str().unwrap(), "--seed", "3"]);
    assert_eq!(again, config);
    // A bad setting fails the dry run as it fails the run.
    rejects(
        &["ppo", "--env", "CartPole-v1", "--dry-run", "--set", "lr=-1"],
        "lr",
    );
    rejects(
        &[
            "ppo",
            "--env",
            "CartPole-v1",
            "--dry-run",
            "--set",
            "bogus=1",
        ],
        "unknown setting `bogus` for ppo",
    );
    // The seed libraries' variants are checked choices.
    for (algo, setting, expected) in [
        ("ppo", "value_fit=first", "expected with_policy or separate"),
        ("a2c", "value_loss=huber", "expected mse or half_mse"),
        (
            "ppo2",
            "value_target=mc",
            "expected td_lambda or monte_carlo",
        ),
        ("ppo", "standardizer=none", "expected batch or running"),
        ("ppo", "value_epochs=0", "value_epochs"),
        ("dql", "optimizer=sgd", "expected adam or rmsprop"),
    ] {
        rejects(&[algo, "--env", "CartPole-v1", "--set", setting], expected);
    }
}

#[test]
fn init_from_starts_a_new_run_from_another_runs_networks() {
    let out = tempfile::tempdir().unwrap();
    let runs = out.path().join("runs");
    let short = [
        "--steps",
        "1024",
        "--set",
        "n_envs=4",
        "--set",
        "eval_every=1",
    ];
    let mut first = vec!["ppo", "--env", "CartPole-v1", "--seed", "3"];
    first.extend_from_slice(&short);
    let source = train_into(&runs, &first);
    // Another seed, a learning rate too small to move the weights: its first evaluation is
    // the source's last (same evaluation episodes, the same greedy policy).
    let source_dir = source.to_str().unwrap();
    let mut warm = vec!["ppo", "--env", "CartPole-v1", "--seed", "4", "--init-from"];
    warm.push(source_dir);
    warm.extend_from_slice(&short);
    warm.extend(["--set", "lr=1e-12"]);
    let started = train_into(&runs, &warm);
    let last = *csv_column(&source, "eval_mean").last().unwrap();
    let first_eval = csv_column(&started, "eval_mean")[0];
    assert_eq!(first_eval, last);
    // Without it, the same seed and settings start elsewhere.
    let mut cold = vec!["ppo", "--env", "CartPole-v1", "--seed", "4"];
    cold.extend_from_slice(&short);
    cold.extend(["--set", "lr=1e-12"]);
    let cold = train_into(&runs, &cold);
    assert_ne!(csv_column(&cold, "eval_mean")[0], last);

    let from =
        |algo: &'static str, env: &'static str| vec![algo, "--env", env, "--init-from", source_dir];
    rejects(
        &from("sac", "Pendulum-v1"),
        "its algo is \"ppo\", this run's is \"sac\"",
    );
    rejects(&from("ppo", "Acrobot-v1"), "its observation_space is");
    let mut other_net = from("ppo", "CartPole-v1");
    other_net.extend(["--set", "hidden=[32]"]);
    rejects(&other_net, "policy.bpk does not fit this network");
    let mut normalised = from("ppo", "CartPole-v1");
    normalised.extend(["--set", "normalize_obs=true"]);
    rejects(&normalised, "normalization.json");
    let not_a_run = out.path().to_str().unwrap();
    rejects(
        &["ppo", "--env", "CartPole-v1", "--init-from", not_a_run],
        "no snapshot there",
    );
}

#[test]
fn eval_with_per_episode_seeds_starts_episode_i_from_seed_plus_i() {
    let out = tempfile::tempdir().unwrap();
    let runs = out.path().join("runs");
    let args = ["ppo", "--env", "CartPole-v1", "--steps", "2048"];
    let dir = train_into(&runs, &args);
    let run = dir.to_str().unwrap();
    let mean = |episodes: &str, seed: &str| -> f64 {
        let output = cinder(&[
            "eval",
            run,
            "--episodes",
            episodes,
            "--seed",
            seed,
            "--per-episode-seeds",
        ]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}");
        let value = stdout.trim().strip_prefix("mean return ").unwrap();
        value.split(' ').next().unwrap().parse().unwrap()
    };
    let one_each: f64 = ["7", "8", "9"].iter().map(|s| mean("1", s)).sum::<f64>() / 3.0;
    assert!((mean("3", "7") - one_each).abs() < 0.01, "{one_each}");
    let output = cinder(&["eval", run, "--episodes", "1001", "--per-episode-seeds"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("at most 1000"), "{stderr}");
}

#[test]
fn min_rollouts_gathers_whole_episodes_per_iteration() {
    let out = tempfile::tempdir().unwrap();
    let runs = out.path().join("runs");
    for algo in ["ppo", "a2c"] {
        let args = [
            algo,
            "--env",
            "CartPole-v1",
            "--steps",
            "1500",
            "--set",
            "n_envs=2",
            "--set",
            "min_rollouts=3",
        ];
        let dir = train_into(&runs, &args);
        let episodes = csv_column(&dir, "episodes");
        assert!(episodes.len() > 1, "{algo}: {episodes:?}");
        // Every iteration ends once 3 episodes have ended (2 environments: at most 4).
        assert!(
            episodes.iter().all(|&e| (3.0..=4.0).contains(&e)),
            "{algo}: {episodes:?}"
        );
        let losses = csv_column(&dir, "value_loss");
        assert!(losses.iter().all(|l| l.is_finite()), "{algo}: {losses:?}");
    }
    rejects(
        &[
            "ppo",
            "--env",
            "CartPole-v1",
            "--set",
            "min_rollouts=100000000000000",
        ],
        "`min_rollouts × the time limit",
    );
}

#[test]
fn critic_settings_follow_the_policys_unless_set() {
    let out = tempfile::tempdir().unwrap();
    let runs = out.path().join("runs");
    // progress.csv's learning columns (the clock's left out).
    let learned = |dir: &Path, columns: &[&str]| -> Vec<Vec<f64>> {
        columns.iter().map(|c| csv_column(dir, c)).collect()
    };
    let ppo = |extra: &[&str]| {
        let mut args = vec!["ppo", "--env", "CartPole-v1", "--steps", "512"];
        args.extend([
            "--set",
            "n_envs=2",
            "--set",
            "lr=1e-3",
            "--set",
            "eval_every=1",
        ]);
        args.extend_from_slice(extra);
        let dir = train_into(&runs, &args);
        learned(&dir, &["value_loss", "policy_loss", "eval_mean"])
    };
    let tied = ppo(&[]);
    // The policy's values written out are the defaults' meaning.
    let same = [
        "critic_lr=1e-3",
        "critic_hidden=[64, 64]",
        "critic_max_grad_norm=0.5",
    ];
    for setting in same {
        assert_eq!(ppo(&["--set", setting]), tied, "{setting}");
    }
    for setting in [
        "critic_lr=1e-2",
        "critic_hidden=[32]",
        "critic_max_grad_norm=0",
    ] {
        assert_ne!(ppo(&["--set", setting]), tied, "{setting}");
    }

    // SAC: the critics' clip alone off (Pyrado clips the policy only), a learning-rate
    // schedule every rate follows.
    let sac = |extra: &[&str]| {
        let mut args = vec!["--set", "max_grad_norm=5"];
        args.extend_from_slice(extra);
        let dir = short_sac_run(&runs, &args);
        learned(&dir, &["critic_loss", "policy_loss", "lr"])
    };
    let sac_tied = sac(&[]);
    assert_eq!(sac(&["--set", "critic_max_grad_norm=5"]), sac_tied);
    assert_ne!(sac(&["--set", "critic_max_grad_norm=0"]), sac_tied);
    let linear = sac(&["--set", "lr_schedule=\"linear\""]);
    let lr = &linear[2];
    assert!(lr.windows(2).all(|w| w[1] < w[0]), "a falling rate: {lr:?}");

    // DDPG: the schedule is new there.
    let ddpg = |extra: &[&str]| {
        let dir = short_replay_run(&runs, "ddpg", extra);
        learned(&dir, &["critic_loss", "policy_loss"])
    };
    assert_ne!(ddpg(&["--set", "lr_schedule=exponential:0.99"]), ddpg(&[]));

    rejects(
        &["ddpg", "--env", "Pendulum-v1", "--set", "critic_lr=-1"],
        "invalid setting `critic_lr` = -1",
    );
    rejects(
        &["ppo", "--env", "CartPole-v1", "--set", "critic_lr=nan"],
        "critic_lr",
    );
    rejects(
        &["td3", "--env", "Pendulum-v1", "--set", "critic_hidden=[0]"],
        "invalid setting `critic_hidden` = [0]",
    );
    rejects(
        &[
            "a2c",
            "--env",
            "CartPole-v1",
            "--set",
            "critic_max_grad_norm=nan",
        ],
        "critic_max_grad_norm",
    );
    rejects(
        &[
            "ddpg",
            "--env",
            "Pendulum-v1",
            "--set",
            "lr_schedule=cosine",
        ],
        "invalid setting `lr_schedule` = \"cosine\"",
    );
}
