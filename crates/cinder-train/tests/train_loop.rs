//! The training loop with a scripted algorithm: stopping rules, evaluation counts, every log
//! sink's files (CSV rows, TensorBoard records with valid checksums, PNG), snapshot modes and
//! the NaN stop that keeps the last good snapshot, resuming from a snapshot, and an offline
//! algorithm that takes no environment steps and is budgeted in gradient updates.

use std::path::Path;

use cinder_core::{
    ActMode, Acted, ActionBatch, Actor, Env, EnvError, EpisodeRecord, Space, VecEnv,
};
use cinder_train::snapshot::read_snapshot;
use cinder_train::snapshot::{SnapshotMeta, write_snapshot};
use cinder_train::tensorboard::masked_crc;
use cinder_train::{
    Algorithm, Every, Iteration, Metric, RunCounters, RunLogger, Snapshot, SnapshotMode,
    StopReason, TrainConfig, TrainError, TrainSummary, XAxis, evaluate, train,
};

/// An env whose episodes last `len` steps and pay the action as reward each step.
struct Counter {
    len: usize,
    t: usize,
}

impl Env for Counter {
    fn id(&self) -> &str {
        "Counter"
    }
    fn observation_space(&self) -> &Space {
        static SPACE: std::sync::OnceLock<Space> = std::sync::OnceLock::new();
        SPACE.get_or_init(|| Space::Box(cinder_core::BoxSpace::new(vec![0.0], vec![1e6]).unwrap()))
    }
    fn action_space(&self) -> &Space {
        static SPACE: std::sync::OnceLock<Space> = std::sync::OnceLock::new();
        SPACE.get_or_init(|| Space::Discrete(cinder_core::Discrete::new(3).unwrap()))
    }
    fn reset_into(&mut self, _seed: Option<u64>, obs: &mut [f32]) {
        self.t = 0;
        obs[0] = 0.0;
    }
    fn step_into(
        &mut self,
        action: cinder_core::Action<'_>,
        obs: &mut [f32],
    ) -> Result<cinder_core::StepOutcome, EnvError> {
        let cinder_core::Action::Discrete(a) = action else {
            panic!("discrete env")
        };
        self.t += 1;
        obs[0] = self.t as f32;
        Ok(cinder_core::StepOutcome {
            reward: a as f64,
            terminated: self.t >= self.len,
            truncated: false,
        })
    }
}

/// An algorithm that "learns" by raising its greedy action each iteration, taking `steps`
/// environment steps and making `updates` gradient updates per iteration; one metric turns
/// NaN at `nan_at`.
struct Scripted {
    action: usize,
    iterations: usize,
    nan_at: Option<usize>,
    progress: Vec<f64>,
    steps: usize,
    updates: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("scripted failure")]
struct Never;

impl Actor for Scripted {
    type Error = Never;

    fn act(&mut self, _obs: &[f32], n: usize, mode: ActMode) -> Result<Acted, Never> {
        assert_eq!(mode, ActMode::Greedy, "the loop evaluates greedily");
        Ok(Acted::actions(ActionBatch::Discrete(vec![self.action; n])))
    }
}

impl Algorithm for Scripted {
    fn iterate(&mut self, progress: f64) -> Result<Iteration, Never> {
        self.iterations += 1;
        self.progress.push(progress);
        self.action = (self.action + 1).min(2);
        let loss = if self.nan_at == Some(self.iterations) {
            f64::NAN
        } else {
            1.0 / self.iterations as f64
        };
        // An offline learner finishes no training episodes.
        let episodes = if self.steps > 0 {
            vec![EpisodeRecord {
                env_index: 0,
                episode_return: self.iterations as f64,
                length: 10,
                terminated: true,
            }]
        } else {
            Vec::new()
        };
        Ok(Iteration {
            steps: self.steps,
            updates: self.updates,
            episodes,
            metrics: vec![Metric::new("loss", loss), Metric::new("lr", 0.1)],
        })
    }

    fn snapshot(&self) -> Result<Snapshot, Never> {
        let mut s = Snapshot::new();
        s.insert("state.bin", vec![self.action as u8, self.iterations as u8]);
        Ok(s)
    }

    fn restore(&mut self, snapshot: &Snapshot) -> Result<(), Never> {
        let bytes = snapshot.file("state.bin").unwrap();
        self.action = bytes[0] as usize;
        self.iterations = bytes[1] as usize;
        Ok(())
    }
}

fn scripted(nan_at: Option<usize>) -> Scripted {
    Scripted {
        action: 0,
        iterations: 0,
        nan_at,
        progress: Vec::new(),
        steps: 100,
        updates: 4,
    }
}

/// A fresh run directory and its logger.
fn run_dir() -> (tempfile::TempDir, RunLogger) {
    let dir = tempfile::tempdir().unwrap();
    let logger = RunLogger::create(dir.path(), serde_json::Value::Null, false).unwrap();
    (dir, logger)
}

/// Training `algorithm` with `config` is refused as an invalid config naming `name`.
fn assert_refused<A: Algorithm>(algorithm: &mut A, config: &TrainConfig, name: &str) {
    let err = train(
        algorithm,
        &mut counter_envs(1),
        config,
        &mut RunLogger::quiet(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, TrainError::InvalidConfig { name: n, .. } if *n == name),
        "{err}"
    );
}

fn counter_envs(n: usize) -> VecEnv {
    VecEnv::from_fn(
        n,
        |_| Ok(Box::new(Counter { len: 5, t: 0 }) as Box<dyn Env>),
    )
    .unwrap()
}

/// Reads a TFRecord file, checking both checksums of every record; returns the payloads.
fn tf_records(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    let mut records = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let len_bytes = &bytes[at..at + 8];
        let len = u64::from_le_bytes(len_bytes.try_into().unwrap()) as usize;
        let len_crc = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap());
        assert_eq!(len_crc, masked_crc(len_bytes));
        let payload = &bytes[at + 12..at + 12 + len];
        let crc = u32::from_le_bytes(bytes[at + 12 + len..at + 16 + len].try_into().unwrap());
        assert_eq!(crc, masked_crc(payload));
        records.push(payload.to_vec());
        at += 16 + len;
    }
    records
}

/// Trains `algorithm` on `envs` without logging.
fn quiet_run(mut algorithm: Scripted, mut envs: VecEnv, config: &TrainConfig) -> TrainSummary {
    train(&mut algorithm, &mut envs, config, &mut RunLogger::quiet()).unwrap()
}

#[test]
fn evaluation_splits_episodes_across_envs_and_is_deterministic() {
    let mut algo = scripted(None);
    algo.action = 2;
    let mut envs = counter_envs(3);
    let eval = evaluate(&mut algo, &mut envs, 7, 0).unwrap();
    assert_eq!(eval.returns, vec![10.0; 7]);
    assert_eq!(eval.lengths, vec![5; 7]);
    assert_eq!((eval.mean, eval.std), (10.0, 0.0));
}

#[test]
fn loop_stops_at_total_steps_and_writes_every_sink() {
    let dir = tempfile::tempdir().unwrap();
    let mut logger =
        RunLogger::create(dir.path(), serde_json::json!({"algo": "scripted"}), false).unwrap();
    let config = TrainConfig {
        total_steps: Some(1_000),
        eval_every: Every::Iterations(3),
        eval_episodes: 4,
        snapshot_mode: SnapshotMode::Latest,
        ..TrainConfig::default()
    };
    let mut algo = scripted(None);
    let summary = train(&mut algo, &mut counter_envs(2), &config, &mut logger).unwrap();
    assert_eq!(summary.iterations, 10);
    assert_eq!(summary.total_steps, 1_000);
    assert_eq!(summary.stop_reason, StopReason::TotalSteps);
    assert_eq!(summary.final_eval.returns.len(), 4);
    assert_eq!(summary.final_eval.mean, 10.0);
    // Schedules see the budget used before each iteration.
    assert_eq!(algo.progress[0], 0.0);
    assert!((algo.progress[9] - 0.9).abs() < 1e-12);

    let csv = std::fs::read_to_string(dir.path().join("progress.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 11, "{csv}");
    assert!(lines[0].starts_with("iteration,total_steps,total_updates,total_episodes,"));
    assert!(lines[0].ends_with(",loss,lr,eval_mean,eval_std"));
    let header: Vec<&str> = lines[0].split(',').collect();
    let third: Vec<&str> = lines[3].split(',').collect();
    assert_eq!(header.len(), third.len());
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    assert_eq!(third[col("total_steps")], "300");
    assert_eq!(third[col("total_updates")], "12");
    assert_eq!(third[col("return_mean")], "3");
    assert_eq!(third[col("eval_mean")], "10"); // evaluated after iteration 3
    assert_eq!(lines[2].split(',').nth(col("eval_mean")).unwrap(), "");

    let events: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("events.out.tfevents.")
        })
        .collect();
    assert_eq!(events.len(), 1);
    let records = tf_records(&events[0]);
    assert_eq!(records.len(), 11); // version record + one per iteration
    assert!(records[0].windows(13).any(|w| w == b"brain.Event:2"));
    assert!(
        records[1]
            .windows(15)
            .any(|w| w == b"train/loss\x15\0\0\x80\x3f"),
        "loss 1.0 as f32"
    );

    let png = std::fs::read(dir.path().join("learning_curve.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    let (snapshot, meta) = read_snapshot(&dir.path().join("snapshots/latest")).unwrap();
    assert_eq!(meta.iteration, 10);
    assert_eq!(meta.run["algo"], "scripted");
    assert_eq!(snapshot.file("state.bin").unwrap(), &[2, 10]);
}

#[test]
fn loop_stops_at_max_iter_or_threshold() {
    let config = TrainConfig {
        max_iter: Some(4),
        total_steps: None,
        eval_every: Every::Iterations(0),
        ..TrainConfig::default()
    };
    let summary = quiet_run(scripted(None), counter_envs(1), &config);
    assert_eq!(
        (summary.iterations, summary.stop_reason),
        (4, StopReason::MaxIter)
    );

    // Greedy action 1 (iteration 1) scores 5, action 2 (from iteration 2) scores 10.
    let config = TrainConfig {
        total_steps: Some(1_000_000),
        eval_every: Every::Iterations(1),
        return_threshold: Some(9.5),
        ..TrainConfig::default()
    };
    let summary = quiet_run(scripted(None), counter_envs(2), &config);
    assert_eq!(
        (summary.iterations, summary.stop_reason),
        (2, StopReason::ReturnThreshold)
    );
}

#[test]
fn nan_metric_stops_naming_the_iteration_and_keeps_the_last_good_snapshot() {
    let (dir, mut logger) = run_dir();
    let config = TrainConfig {
        total_steps: Some(10_000),
        eval_every: Every::Iterations(2),
        snapshot_mode: SnapshotMode::Latest,
        ..TrainConfig::default()
    };
    let err = train(
        &mut scripted(Some(5)),
        &mut counter_envs(1),
        &config,
        &mut logger,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            TrainError::NonFinite {
                iteration: 5,
                name: "loss",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("iteration 5"), "{err}");
    let (snapshot, meta) = read_snapshot(&dir.path().join("snapshots/latest")).unwrap();
    assert_eq!(meta.iteration, 4);
    let mut restored = scripted(None);
    restored.restore(&snapshot).unwrap();
    assert_eq!(restored.iterations, 4);
}

#[test]
fn best_mode_writes_only_improvements() {
    let (dir, mut logger) = run_dir();
    let config = TrainConfig {
        max_iter: Some(6),
        total_steps: None,
        eval_every: Every::Iterations(1),
        snapshot_mode: SnapshotMode::Best,
        ..TrainConfig::default()
    };
    train(
        &mut scripted(None),
        &mut counter_envs(1),
        &config,
        &mut logger,
    )
    .unwrap();
    assert!(!dir.path().join("snapshots/latest").exists());
    let (_, meta) = read_snapshot(&dir.path().join("snapshots/best")).unwrap();
    assert_eq!(
        meta.iteration, 2,
        "returns stop improving after iteration 2"
    );
}

#[test]
fn loop_settings_that_cannot_work_are_errors() {
    for (config, name) in [
        (
            TrainConfig {
                max_iter: None,
                total_steps: None,
                ..TrainConfig::default()
            },
            "max_iter",
        ),
        (
            TrainConfig {
                total_steps: Some(0),
                ..TrainConfig::default()
            },
            "total_steps",
        ),
        (
            TrainConfig {
                max_updates: Some(0),
                ..TrainConfig::default()
            },
            "max_updates",
        ),
        (
            TrainConfig {
                eval_episodes: 0,
                ..TrainConfig::default()
            },
            "eval_episodes",
        ),
    ] {
        assert_refused(&mut scripted(None), &config, name);
    }
}

#[test]
fn a_resumed_run_goes_on_from_its_snapshot_counters_and_log() {
    let dir = tempfile::tempdir().unwrap();
    let config = TrainConfig {
        total_steps: Some(1_000),
        eval_every: Every::Iterations(3),
        snapshot_mode: SnapshotMode::Latest,
        ..TrainConfig::default()
    };
    // The first attempt dies at iteration 8, after the snapshot of iteration 6.
    let mut logger = RunLogger::create(dir.path(), serde_json::Value::Null, false).unwrap();
    let mut algo = scripted(Some(8));
    train(&mut algo, &mut counter_envs(1), &config, &mut logger).unwrap_err();
    let (snapshot, meta) = read_snapshot(&dir.path().join("snapshots/latest")).unwrap();
    assert_eq!(
        (meta.iteration, meta.total_steps, meta.total_episodes),
        (6, 600, 6)
    );
    assert!(meta.wall_seconds > 0.0);
    let csv = std::fs::read_to_string(dir.path().join("progress.csv")).unwrap();
    assert_eq!(csv.lines().count(), 8, "header and iterations 1-7");

    let start = RunCounters::from_snapshot(&meta);
    let mut resumed = scripted(None);
    resumed.restore(&snapshot).unwrap();
    let mut logger =
        RunLogger::resume(dir.path(), meta.iteration, serde_json::Value::Null, false).unwrap();
    let summary = train(
        &mut resumed,
        &mut counter_envs(1),
        &TrainConfig {
            start,
            ..config.clone()
        },
        &mut logger,
    )
    .unwrap();
    assert_eq!(
        (
            summary.iterations,
            summary.total_steps,
            summary.total_episodes
        ),
        (10, 1_000, 10)
    );
    assert!(summary.wall_seconds >= meta.wall_seconds);
    assert!(
        (resumed.progress[0] - 0.6).abs() < 1e-12,
        "schedules resume"
    );

    // Iteration 7 of the dead attempt is replaced; the header is written once.
    let csv = std::fs::read_to_string(dir.path().join("progress.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 11, "{csv}");
    assert!(lines[0].starts_with("iteration,"));
    for (i, line) in lines[1..].iter().enumerate() {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields[0], (i + 1).to_string(), "{csv}");
        assert_eq!(fields[1], ((i + 1) * 100).to_string(), "{csv}");
        assert_eq!(fields[2], ((i + 1) * 4).to_string(), "{csv}");
        assert_eq!(fields[3], (i + 1).to_string(), "{csv}");
    }
    let event_files = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().starts_with("events.out.tfevents.")
        })
        .count();
    assert_eq!(event_files, 2, "the resumed part writes a new event file");
    let (_, meta) = read_snapshot(&dir.path().join("snapshots/latest")).unwrap();
    assert_eq!((meta.iteration, meta.total_episodes), (10, 10));

    // A budget the snapshot has already used up is an error, not one more iteration.
    let spent = TrainConfig {
        total_steps: Some(600),
        start,
        ..config
    };
    assert_refused(&mut resumed, &spent, "total_steps");
}

/// Reads the `step` field (protobuf field 2, a varint) of a TensorBoard `Event` record.
fn event_step(record: &[u8]) -> u64 {
    // wall_time (field 1, 8 bytes) comes first, then tag 0x10 and the varint.
    assert_eq!(record[0], 0x09);
    assert_eq!(record[9], 0x10);
    let (mut value, mut shift) = (0u64, 0);
    for &byte in &record[10..] {
        value |= u64::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            break;
        }
    }
    value
}

#[test]
fn an_offline_algorithm_stops_on_updates_and_logs_against_them() {
    let (dir, mut logger) = run_dir();
    let config = TrainConfig {
        total_steps: None,
        max_updates: Some(55),
        eval_every: Every::Iterations(2),
        x_axis: XAxis::Updates,
        ..TrainConfig::default()
    };
    let mut algo = Scripted {
        steps: 0,
        updates: 10,
        ..scripted(None)
    };
    let summary = train(&mut algo, &mut counter_envs(1), &config, &mut logger).unwrap();
    assert_eq!(
        (
            summary.iterations,
            summary.total_steps,
            summary.total_updates
        ),
        (6, 0, 60)
    );
    assert_eq!(summary.stop_reason, StopReason::MaxUpdates);
    assert_eq!(summary.final_eval.mean, 10.0, "the final evaluation ran");
    assert!(
        (algo.progress[3] - 30.0 / 55.0).abs() < 1e-12,
        "progress in updates"
    );

    let csv = std::fs::read_to_string(dir.path().join("progress.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 7, "{csv}");
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let last: Vec<&str> = lines[6].split(',').collect();
    assert_eq!(last[col("total_updates")], "60");
    assert_eq!(last[col("total_steps")], "0");
    assert_eq!(last[col("return_mean")], "", "no training episodes");
    assert_eq!(last[col("eval_mean")], "10");

    let events = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("events.out.tfevents."))
        .unwrap();
    let steps: Vec<u64> = tf_records(&events)[1..]
        .iter()
        .map(|r| event_step(r))
        .collect();
    assert_eq!(
        steps,
        [10, 20, 30, 40, 50, 60],
        "TensorBoard counts updates"
    );
    let png = std::fs::read(dir.path().join("learning_curve.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let (_, meta) = read_snapshot(&dir.path().join("snapshots/latest")).unwrap();
    assert_eq!((meta.iteration, meta.total_updates), (6, 60));

    // Resuming with the update budget already spent is an error.
    let spent = TrainConfig {
        start: RunCounters::from_snapshot(&meta),
        max_updates: Some(60),
        ..config
    };
    assert_refused(&mut algo, &spent, "max_updates");
}

#[test]
fn namespaced_snapshot_files_round_trip_through_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let mut inner = Snapshot::new();
    inner.insert("policy.bpk", vec![1, 2, 3]);
    let mut snapshot = Snapshot::new();
    snapshot.insert("icm.bpk", vec![7]);
    snapshot.nest("particle-3", inner.clone());
    let target = dir.path().join("latest");
    write_snapshot(&target, &snapshot, SnapshotMeta::default()).unwrap();
    assert!(target.join("particle-3/policy.bpk").is_file());
    let (read, _) = read_snapshot(&target).unwrap();
    assert_eq!(read, snapshot);
    assert_eq!(read.scope("particle-3"), inner);

    // A name that would leave the directory is refused on writing and on reading.
    let mut evil = Snapshot::new();
    evil.insert("../escape.bin", vec![0]);
    let err = write_snapshot(&dir.path().join("evil"), &evil, SnapshotMeta::default());
    assert!(matches!(err, Err(TrainError::BadSnapshot { .. })));
    let meta_path = target.join("meta.json");
    let text = std::fs::read_to_string(&meta_path).unwrap();
    std::fs::write(&meta_path, text.replace("icm.bpk", "../icm.bpk")).unwrap();
    let err = read_snapshot(&target).unwrap_err();
    assert!(err.to_string().contains("not allowed"), "{err}");
}
