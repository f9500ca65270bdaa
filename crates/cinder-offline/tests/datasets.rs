//! Datasets: Minari fixtures made by Python's `minari` load with the exact arrays it returns
//! (HDF5 and Arrow); a written dataset reads back equal; n-step targets from a dataset equal
//! those of the replay buffer filled online; bad files and bad values are errors naming the
//! file, episode and step.

mod common;

use common::{Balance, Swing, envs};

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use cinder_core::wrappers::TimeLimit;
use cinder_core::{ActMode, Acted, ActionBatch, Actor, Space, VecEnv};
use cinder_data::{Dataset, DatasetError, Lookahead, ReplayBuffer, Transitions, record};
use cinder_offline::minari;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(&manifest_dir()).join("tests/fixtures/minari")
}

fn floats(v: &Value) -> Vec<f64> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<f64>) {
        match v {
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Bool(b) => out.push(f64::from(u8::from(*b))),
            v => out.push(v.as_f64().unwrap()),
        }
    }
    walk(v, &mut out);
    out
}

#[test]
fn minari_fixtures_load_with_the_arrays_minari_returns() {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap())
            .unwrap();
    for (id, episodes) in expected.as_object().unwrap() {
        let dataset = minari::load(&fixtures().join(id)).unwrap_or_else(|e| panic!("{id}: {e}"));
        let episodes = episodes.as_array().unwrap();
        assert_eq!(dataset.episodes.len(), episodes.len(), "{id}");
        let cartpole = id.contains("cartpole");
        assert_eq!(
            dataset.env_id.as_deref(),
            Some(if cartpole {
                "CartPole-v1"
            } else {
                "Pendulum-v1"
            })
        );
        assert_eq!(dataset.provenance.dataset_id.as_deref(), Some(id.as_str()));
        match (&dataset.action_space, cartpole) {
            (Space::Discrete(d), true) => assert_eq!(d.n(), 2),
            (Space::Box(b), false) => assert_eq!((b.low(), b.high()), (&[-2.0][..], &[2.0][..])),
            (space, _) => panic!("{id}: action space {space}"),
        }
        for (episode, want) in dataset.episodes.iter().zip(episodes) {
            let obs: Vec<f64> = episode.observations.iter().map(|&v| f64::from(v)).collect();
            assert_eq!(obs, floats(&want["observations"]), "{id}");
            let actions: Vec<f64> = match &episode.actions {
                ActionBatch::Discrete(a) => a.iter().map(|&a| a as f64).collect(),
                ActionBatch::Continuous(a) => a.iter().map(|&a| f64::from(a)).collect(),
            };
            assert_eq!(actions, floats(&want["actions"]), "{id}");
            assert_eq!(episode.rewards, floats(&want["rewards"]), "{id}");
            let flags = |f: &[bool]| {
                f.iter()
                    .map(|&b| f64::from(u8::from(b)))
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                flags(&episode.terminations),
                floats(&want["terminations"]),
                "{id}"
            );
            assert_eq!(
                flags(&episode.truncations),
                floats(&want["truncations"]),
                "{id}"
            );
            assert_eq!(episode.seed, want["seed"].as_u64(), "{id}");
        }
        // The fixtures hold both ways an episode ends.
        let stats = dataset.return_stats();
        if cartpole {
            assert!(stats.terminated > 0 && stats.truncated > 0, "{stats:?}");
        }
    }
}

#[test]
fn a_written_dataset_reads_back_equal() {
    let dir = tempfile::tempdir().unwrap();
    for (id, discrete) in [("CartPole-v1", true), ("Pendulum-v1", false)] {
        let mut envs = envs(id, 2);
        let mut dataset = if discrete {
            record(&mut Balance, &mut envs, 700, ActMode::Greedy, 5).unwrap()
        } else {
            record(&mut Swing, &mut envs, 500, ActMode::Greedy, 5).unwrap()
        };
        dataset.env_id = Some(id.to_string());
        dataset.provenance.algorithm_name = Some("a fixed rule".into());
        let path = dir.path().join(format!("{id}-v0"));
        minari::save(&dataset, &path).unwrap();
        let read = minari::load(&path).unwrap();
        assert_eq!(read.episodes, dataset.episodes, "{id}");
        assert_eq!(read.observation_space, dataset.observation_space);
        assert_eq!(read.action_space, dataset.action_space);
        assert_eq!(read.env_id, dataset.env_id);
        assert_eq!(
            read.provenance.algorithm_name.as_deref(),
            Some("a fixed rule")
        );
        // The first episode of each environment has its seed; a later one does not.
        assert_eq!(read.episodes.iter().filter(|e| e.seed.is_some()).count(), 2);
        // Nothing is overwritten.
        let again = minari::save(&dataset, &path).unwrap_err().to_string();
        assert!(again.contains("already exists"), "{again}");
    }
}

/// A pole balanced by a weak rule (it often falls), episodes cut at 30 steps: both
/// terminations and truncations.
struct Lean;

impl Actor for Lean {
    type Error = std::convert::Infallible;

    fn act(&mut self, obs: &[f32], n: usize, _mode: ActMode) -> Result<Acted, Self::Error> {
        let actions = obs
            .chunks_exact(obs.len() / n)
            .map(|o| usize::from(o[2] > 0.0))
            .collect();
        Ok(Acted::actions(ActionBatch::Discrete(actions)))
    }
}

fn short_cartpoles(n: usize) -> VecEnv {
    VecEnv::from_fn(n, |_| {
        let env = TimeLimit::new(cinder_envs::make("CartPole-v1")?, 30)?;
        Ok(Box::new(env) as Box<dyn cinder_core::Env>)
    })
    .unwrap()
}

#[test]
fn n_step_targets_from_a_dataset_equal_the_replay_buffers() {
    // The same deterministic rollout, once recorded as episodes, once pushed lockstep into a
    // three-stream replay buffer as the off-policy loop does (seed 4: some episodes end by
    // termination, some by the time limit).
    let (n, steps) = (3, 900);
    let dataset = record(
        &mut Lean,
        &mut short_cartpoles(n),
        steps,
        ActMode::Greedy,
        4,
    )
    .unwrap();
    let from_dataset = dataset.to_replay(false).unwrap();

    let mut vec_env = short_cartpoles(n);
    let dim = vec_env.observation_dim();
    let mut online = ReplayBuffer::new(steps, n, dim, vec_env.action_space()).unwrap();
    let mut obs = vec_env.reset(Some(4)).to_vec();
    let mut next = vec![0.0; obs.len()];
    for _ in 0..steps / n {
        let actions = Lean.act(&obs, n, ActMode::Greedy).unwrap().actions;
        let step = vec_env.step(actions.as_actions()).unwrap();
        let transitions = Transitions::of_step(&obs, &actions, &step, &mut next);
        online.push(transitions).unwrap();
        obs.copy_from_slice(step.observations);
    }
    assert_eq!(online.len(), from_dataset.len());
    let time_limited = dataset
        .episodes
        .iter()
        .filter(|e| e.len() == 30 && e.truncations[29])
        .count();
    let stats = dataset.return_stats();
    assert!(stats.terminated > 0 && time_limited > 0, "{stats:?}");

    // Transitions are matched by their observation (unique in a continuous state space).
    let key = |o: &[f32]| o.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    let index: HashMap<Vec<u32>, usize> = (0..from_dataset.len())
        .map(|i| (key(from_dataset.transition(i).unwrap().observation), i))
        .collect();
    for estimation_step in [1, 3, 5] {
        let lookahead = Lookahead::new(estimation_step, 0.9).unwrap();
        let all: Vec<usize> = (0..online.len()).collect();
        let matched: Vec<usize> = all
            .iter()
            .map(|&i| index[&key(online.transition(i).unwrap().observation)])
            .collect();
        let a = online.gather(all, lookahead, vec![1.0; steps]).unwrap();
        let b = from_dataset
            .gather(matched, lookahead, vec![1.0; steps])
            .unwrap();
        assert_eq!(a.returns, b.returns, "n = {estimation_step}");
        assert_eq!(a.discounts, b.discounts, "n = {estimation_step}");
        assert_eq!(
            a.next_observations, b.next_observations,
            "n = {estimation_step}"
        );
        assert_eq!(a.actions, b.actions);
    }
}

/// A copy of the HDF5 CartPole fixture in a temporary directory.
fn fixture_copy(tmp: &Path) -> PathBuf {
    let source = fixtures().join("cinder/cartpole-hdf5-v0/data");
    let data = tmp.join("cartpole-v0/data");
    std::fs::create_dir_all(&data).unwrap();
    for file in ["metadata.json", "main_data.hdf5"] {
        std::fs::copy(source.join(file), data.join(file)).unwrap();
    }
    tmp.join("cartpole-v0")
}

#[test]
fn corrupt_files_are_errors_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_copy(tmp.path());
    let h5 = dir.join("data/main_data.hdf5");
    let bytes = std::fs::read(&h5).unwrap();
    std::fs::write(&h5, &bytes[..bytes.len() / 3]).unwrap();
    let err = minari::load(&dir).unwrap_err().to_string();
    assert!(err.contains("main_data.hdf5"), "{err}");

    std::fs::write(&h5, b"not an HDF5 file").unwrap();
    let err = minari::load(&dir).unwrap_err().to_string();
    assert!(err.contains("main_data.hdf5"), "{err}");

    let metadata = dir.join("data/metadata.json");
    std::fs::write(&metadata, "{\"total_episodes\": ").unwrap();
    let err = minari::load(&dir).unwrap_err().to_string();
    assert!(
        err.contains("metadata.json") && err.contains("JSON"),
        "{err}"
    );

    let err = minari::load(tmp.path()).unwrap_err().to_string();
    assert!(err.contains("no Minari dataset"), "{err}");
}

#[test]
fn metadata_that_disagrees_with_the_data_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_copy(tmp.path());
    let metadata = dir.join("data/metadata.json");
    let text = std::fs::read_to_string(&metadata).unwrap();
    let mut value: Value = serde_json::from_str(&text).unwrap();
    value["total_steps"] = 7.into();
    std::fs::write(&metadata, value.to_string()).unwrap();
    let err = minari::load(&dir).unwrap_err().to_string();
    assert!(err.contains("total_steps"), "{err}");

    value["total_episodes"] = 9.into();
    std::fs::write(&metadata, value.to_string()).unwrap();
    let err = minari::load(&dir).unwrap_err().to_string();
    assert!(
        err.contains("episode 5") && err.contains("episode_5"),
        "{err}"
    );

    value["action_space"] = "{\"type\": \"Dict\", \"spaces\": {}}".into();
    std::fs::write(&metadata, value.to_string()).unwrap();
    let err = minari::load(&dir).unwrap_err().to_string();
    assert!(err.contains("Dict spaces are not supported"), "{err}");
}

fn small_dataset() -> Dataset {
    record(
        &mut Balance,
        &mut envs("CartPole-v1", 1),
        60,
        ActMode::Greedy,
        1,
    )
    .unwrap()
}

#[test]
fn bad_values_name_the_episode_and_step() {
    let mut nan = small_dataset();
    nan.episodes[0].observations[4 * 7 + 2] = f32::NAN;
    let err = nan.validate().unwrap_err().to_string();
    assert!(
        err.contains("episode 0, step 7") && err.contains("NaN"),
        "{err}"
    );

    let mut outside = small_dataset();
    if let ActionBatch::Discrete(a) = &mut outside.episodes[0].actions {
        a[3] = 2;
    }
    let err = outside.validate().unwrap_err().to_string();
    assert!(
        err.contains("episode 0, step 3") && err.contains("outside"),
        "{err}"
    );

    let mut reward = small_dataset();
    reward.episodes[0].rewards[5] = f64::INFINITY;
    let err = reward.validate().unwrap_err().to_string();
    assert!(err.contains("episode 0, step 5"), "{err}");

    let mut early = small_dataset();
    early.episodes[0].terminations[1] = true;
    let err = early.validate().unwrap_err().to_string();
    assert!(err.contains("ends before its last step"), "{err}");

    let mut short = small_dataset();
    short.episodes[0].rewards.pop();
    let err = short.validate().unwrap_err().to_string();
    assert!(err.contains("episode 0"), "{err}");

    let mut empty = small_dataset();
    empty.episodes.clear();
    assert!(matches!(empty.validate(), Err(DatasetError::Empty)));
    // A dataset that does not validate is neither written nor sampled.
    let tmp = tempfile::tempdir().unwrap();
    assert!(minari::save(&nan, &tmp.path().join("nan-v0")).is_err());
    assert!(!tmp.path().join("nan-v0").exists());
    assert!(nan.to_replay(false).is_err());
}

#[test]
fn a_nan_inside_a_file_is_an_error_naming_file_episode_and_step() {
    let tmp = tempfile::tempdir().unwrap();
    let dataset = small_dataset();
    let path = tmp.path().join("cartpole-v0");
    minari::save(&dataset, &path).unwrap();
    // Rewrite episode 0's observations with a NaN at step 4 (a file Cinder would not write).
    let h5 = path.join("data/main_data.hdf5");
    let file = hdf5_pure::File::open_rw(&h5).unwrap();
    let mut obs = dataset.episodes[0].observations.clone();
    obs[4 * 4] = f32::NAN;
    let rows = (obs.len() / 4) as u64;
    let mut observations = file.dataset("episode_0/observations").unwrap();
    observations
        .write_staged(|b| {
            b.with_f32_data(&obs).with_shape(&[rows, 4]);
        })
        .unwrap();
    file.commit().unwrap();
    let err = minari::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("cartpole-v0") && err.contains("episode 0, step 4"),
        "{err}"
    );
}

#[test]
fn spaces_must_match_the_environment() {
    let dataset = small_dataset();
    let cartpole = envs("CartPole-v1", 1);
    dataset
        .check_spaces(cartpole.observation_space(), cartpole.action_space())
        .unwrap();
    for other in ["Acrobot-v1", "Pendulum-v1", "MountainCar-v0"] {
        let env = envs(other, 1);
        let err = dataset
            .check_spaces(env.observation_space(), env.action_space())
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not match"), "{other}: {err}");
    }
}

/// This package's directory: the one `cargo test` names at run time. (The compile-time
/// `env!("CARGO_MANIFEST_DIR")` goes stale when a clone reuses test binaries that another
/// clone built in a shared target directory.)
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into())
}
