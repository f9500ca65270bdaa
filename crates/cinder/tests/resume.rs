//! Bit-exact resume: a real `cinder train` process killed with SIGKILL between snapshots and
//! resumed with `cinder resume` writes the same `progress.csv` rows (time columns aside) and
//! the same final snapshot (weights, optimiser states, environments, generators) as the run
//! that was never interrupted. Without `--save-buffer` an off-policy run only goes on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn cinder(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cinder"))
        .args(args)
        .output()
        .expect("the cinder binary runs")
}

/// The columns that measure time, which differ between any two runs.
const TIME_COLUMNS: [&str; 3] = ["wall_seconds", "steps_per_second", "updates_per_second"];

/// Column `name` of every row of the run's `progress.csv`.
fn column(dir: &Path, name: &str) -> Vec<String> {
    let csv = std::fs::read_to_string(dir.join("progress.csv")).expect("progress.csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let at = header.iter().position(|h| *h == name).expect("column");
    lines
        .map(|line| line.split(',').nth(at).expect("field").to_string())
        .collect()
}

/// Every row of the run's `progress.csv` without its time columns.
fn rows(dir: &Path) -> Vec<Vec<String>> {
    let csv = std::fs::read_to_string(dir.join("progress.csv")).expect("progress.csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| !TIME_COLUMNS.contains(&header[i]))
        .collect();
    lines
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            keep.iter().map(|&i| fields[i].to_string()).collect()
        })
        .collect()
}

/// Every file of the run's latest snapshot but `meta.json` (which records wall time).
fn snapshot_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let root = dir.join("snapshots/latest");
    let mut files = BTreeMap::new();
    let mut pending = vec![root.clone()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("snapshot directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.file_name().is_some_and(|n| n != "meta.json") {
                let name = path
                    .strip_prefix(&root)
                    .expect("inside")
                    .display()
                    .to_string();
                files.insert(name, std::fs::read(&path).expect("readable"));
            }
        }
    }
    files
}

/// `cinder train` with `args` into `runs` (a fresh directory); returns the run directory.
fn train_args(args: &[&str], runs: &Path) -> Vec<String> {
    let mut full: Vec<String> = ["train"]
        .iter()
        .chain(args)
        .map(|s| s.to_string())
        .collect();
    full.extend(["--out".into(), runs.display().to_string(), "--quiet".into()]);
    full
}

fn only_run(runs: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(runs)
        .expect("runs directory")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

/// The iteration of the run's latest snapshot, once one is complete (`latest.old` if the
/// process was killed between the two renames that swap a new one in, as `cinder resume`
/// reads it).
fn snapshot_iteration(dir: &Path) -> Option<u64> {
    ["latest", "latest.old"].iter().find_map(|name| {
        let text = std::fs::read_to_string(dir.join("snapshots").join(name).join("meta.json"));
        let meta: serde_json::Value = serde_json::from_str(&text.ok()?).ok()?;
        meta["iteration"].as_u64()
    })
}

/// A run killed after its snapshot of iteration `kill_after` and resumed ends as the
/// uninterrupted one did.
fn assert_resume_is_identical(args: &[&str], kill_after: u64) {
    let (whole, resumed, _) = uninterrupted_and_resumed(args, kill_after);
    assert_same_run(&whole, &resumed);
}

/// Trains with `args` once without interruption, and once killed with SIGKILL some time after
/// its snapshot of iteration `kill_after` and resumed; returns both run directories and the
/// iteration the second one resumed from.
fn uninterrupted_and_resumed(args: &[&str], kill_after: u64) -> (PathBuf, PathBuf, usize) {
    let out = tempfile::tempdir().expect("temporary directory").keep();
    let (whole_runs, killed_runs) = (out.join("whole"), out.join("killed"));
    let full = train_args(args, &whole_runs);
    let full: Vec<&str> = full.iter().map(String::as_str).collect();
    let output = cinder(&full);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let whole = only_run(&whole_runs);

    let mut child = Command::new(env!("CARGO_BIN_EXE_cinder"))
        .args(train_args(args, &killed_runs))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the cinder binary starts");
    let started = Instant::now();
    let killed = loop {
        if std::fs::read_dir(&killed_runs).is_ok_and(|mut d| d.next().is_some())
            && snapshot_iteration(&only_run(&killed_runs)).is_some_and(|i| i >= kill_after)
        {
            // Part way to the next snapshot.
            std::thread::sleep(Duration::from_millis(150));
            break only_run(&killed_runs);
        }
        assert!(
            child.try_wait().expect("status").is_none(),
            "the run ended before its snapshot of iteration {kill_after}"
        );
        assert!(started.elapsed() < Duration::from_secs(600), "no snapshot");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(
        child.try_wait().expect("status").is_none(),
        "the run ended before it could be killed: lengthen it"
    );
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    assert!(!killed.join("summary.json").exists());
    let resumed_from = snapshot_iteration(&killed).expect("a snapshot survives the kill");
    let output = cinder(&["resume", killed.to_str().expect("utf-8"), "--quiet"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (whole, killed, resumed_from as usize)
}

/// The tensor bytes of a burnpack file: what follows its header and metadata (which records
/// burn's parameter ids, drawn at random for every process).
fn tensor_data(bytes: &[u8]) -> &[u8] {
    let metadata = u32::from_le_bytes(bytes[6..10].try_into().expect("four bytes")) as usize;
    &bytes[(10 + metadata).div_ceil(256) * 256..]
}

fn assert_same_run(whole: &Path, resumed: &Path) {
    let (a, b) = (rows(whole), rows(resumed));
    assert_eq!(a.len(), b.len(), "number of rows");
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "progress.csv row {}", i + 1);
    }
    let (a, b) = (snapshot_files(whole), snapshot_files(resumed));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "snapshot files"
    );
    for (name, bytes) in &a {
        let same = if name.ends_with("optim.bpk") {
            // Optimiser states are keyed by the random parameter ids (so ordered by them):
            // the same rows after the resume are what shows they came back.
            continue;
        } else if name.ends_with(".bpk") {
            tensor_data(bytes) == tensor_data(&b[name])
        } else {
            bytes == &b[name]
        };
        assert!(same, "final snapshot file {name} differs");
    }
}

#[test]
fn on_policy_run_killed_and_resumed_is_bit_identical() {
    // PPO samples its actions on the device and shuffles minibatches on the host.
    let args = [
        "ppo",
        "--env",
        "CartPole-v1",
        "--steps",
        "40960",
        "--set",
        "eval_every=4",
        "--set",
        "eval_episodes=2",
        "--set",
        "num_epoch=2",
        "--set",
        "n_envs=4",
        "--set",
        "hidden=[16, 16]",
        "--seed",
        "11",
    ];
    assert_resume_is_identical(&args, 8);
}

#[test]
fn normalised_runs_keep_their_statistics_and_resume_bit_identically() {
    // Observations and rewards normalised by statistics shared with the evaluation.
    let args = [
        "a2c",
        "--env",
        "Pendulum-v1",
        "--steps",
        "20480",
        "--set",
        "eval_every=4",
        "--set",
        "eval_episodes=2",
        "--set",
        "n_envs=4",
        "--set",
        "hidden=[16, 16]",
        "--set",
        "normalize_obs=true",
        "--set",
        "normalize_reward=true",
    ];
    let (whole, resumed, _) = uninterrupted_and_resumed(&args, 8);
    assert_same_run(&whole, &resumed);
    let files = snapshot_files(&whole);
    let saved = String::from_utf8(files["normalization.json"].clone()).unwrap();
    let stats: serde_json::Value = serde_json::from_str(&saved).unwrap();
    let count = stats["stats"]["observations"]["count"].as_f64().unwrap();
    assert!(
        count > 1000.0,
        "the statistics saw the run's observations: {count}"
    );
}

/// `algo` on Pendulum with small networks for `steps` steps, a snapshot every `every`
/// iterations, and `extra`.
fn short_pendulum(
    algo: &'static str,
    steps: &'static str,
    every: &'static str,
    extra: &[&'static str],
) -> Vec<&'static str> {
    let mut args = vec![
        algo,
        "--env",
        "Pendulum-v1",
        "--steps",
        steps,
        "--set",
        "num_init_memory_steps=200",
        "--set",
        "batch_size=32",
        "--set",
        "hidden=[16, 16]",
        "--set",
        every,
        "--set",
        "eval_episodes=1",
    ];
    args.extend_from_slice(extra);
    args
}

/// SAC on Pendulum with small networks for `steps` steps, a snapshot every 400, and `extra`.
fn short_sac(steps: &'static str, extra: &[&'static str]) -> Vec<&'static str> {
    short_pendulum("sac", steps, "eval_every=400", extra)
}

#[test]
fn off_policy_runs_killed_and_resumed_with_their_memory_are_bit_identical() {
    // SAC draws reparameterisation noise on the device; DQL explores with its host generator.
    let sac = short_sac("6000", &["--save-buffer"]);
    assert_resume_is_identical(&sac, 800);

    let dql = [
        "dql",
        "--env",
        "CartPole-v1",
        "--steps",
        "30720",
        "--set",
        "hidden=[16, 16]",
        "--set",
        "num_updates_per_iter=8",
        "--set",
        "eval_every=4",
        "--set",
        "eval_episodes=2",
        "--save-buffer",
    ];
    assert_resume_is_identical(&dql, 8);
}

#[test]
fn a_normalised_off_policy_run_killed_and_resumed_is_bit_identical() {
    // The memory keeps observations before normalisation and the environments keep both.
    let sac = short_sac("4000", &["--save-buffer", "--set", "normalize_obs=true"]);
    assert_resume_is_identical(&sac, 800);
}

#[test]
fn td3_run_killed_and_resumed_is_bit_identical() {
    // TD3 draws its target smoothing noise on the device, explores with Ornstein-Uhlenbeck
    // noise on the host and logs the latest delayed policy loss: snapshots fall between
    // policy updates (odd intervals) and must carry all three.
    let ou = [
        "--set",
        "exploration_noise=ou:0.15,0.5,1.0",
        "--save-buffer",
    ];
    let td3 = short_pendulum("td3", "6000", "eval_every=401", &ou);
    assert_resume_is_identical(&td3, 802);
}

#[test]
fn off_policy_run_resumed_without_its_memory_goes_on() {
    let sac = short_sac("2000", &[]);
    let (whole, resumed, from) = uninterrupted_and_resumed(&sac, 400);
    let (a, b) = (rows(&whole), rows(&resumed));
    assert_eq!(
        a[..from],
        b[..from],
        "rows up to the snapshot are kept as written"
    );
    let steps = |dir: &Path| column(dir, "total_steps").last().cloned();
    assert_eq!(
        steps(&resumed),
        steps(&whole),
        "the resumed run reaches the budget"
    );
    let (a, b) = (
        column(&whole, "replay_size"),
        column(&resumed, "replay_size"),
    );
    assert_eq!(a[from], (from + 201).to_string());
    assert_eq!(b[from], "201", "200 refill steps, then one exploring step");
}
