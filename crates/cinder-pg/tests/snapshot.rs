//! Snapshots: save → write → read → load gives identical deterministic actions and an
//! identical next update (optimiser state included); corrupt or mismatched snapshots are
//! errors naming the file.

use burn::module::Module;
use burn::tensor::Device;
use cinder_agent::{PolicyActor, PolicyConfig, Setup};
use cinder_core::{ActMode, Actor, VecEnv};
use cinder_data::{Budget, Rollout, Sampler};
use cinder_envs::make;
use cinder_nn::device::{device_stream_turn, test_device};
use cinder_nn::tensors::{matrix, read_floats};
use cinder_nn::{Activation, NetConfig};
use cinder_pg::{
    A2c, A2cConfig, GaeConfig, OnPolicy, OnPolicyLearner, Ppo, Ppo2, Ppo2Config, PpoConfig,
};
use cinder_train::snapshot::{SnapshotMeta, read_snapshot, write_snapshot};
use cinder_train::{Algorithm, Snapshot};

type Make = fn(&Setup, PolicyConfig, GaeConfig) -> Box<dyn OnPolicyLearner>;

/// PPO with one minibatch per epoch, two epochs, a large learning rate (PPO2's base too).
fn ppo_config(policy: PolicyConfig, critic: GaeConfig) -> PpoConfig {
    PpoConfig {
        batch_size: 1 << 20,
        num_epoch: 2,
        lr: 1e-2,
        policy,
        critic,
        ..PpoConfig::default()
    }
}

const LEARNERS: [(&str, Make); 3] = [
    ("ppo", |setup, policy, critic| {
        Box::new(Ppo::new(ppo_config(policy, critic), setup).unwrap())
    }),
    ("ppo2", |setup, policy, critic| {
        let ppo = ppo_config(policy, critic);
        let config = Ppo2Config {
            ppo,
            vfcn_coeff: 0.5,
        };
        Box::new(Ppo2::new(config, setup).unwrap())
    }),
    ("a2c", |setup, policy, critic| {
        let config = A2cConfig {
            batch_size: 1 << 20,
            lr: 1e-2,
            policy,
            critic,
            ..A2cConfig::default()
        };
        Box::new(A2c::new(config, setup).unwrap())
    }),
];

fn learner(
    make_learner: Make,
    id: &str,
    seed: u64,
    hidden: Vec<usize>,
) -> Box<dyn OnPolicyLearner> {
    let device = test_device();
    device.seed(seed);
    let envs = VecEnv::from_fn(1, |_| make(id)).unwrap();
    let critic = GaeConfig {
        net: NetConfig::new(&hidden, Activation::Tanh),
        ..GaeConfig::default()
    };
    let policy = PolicyConfig {
        net: NetConfig::new(&hidden, Activation::Tanh),
        ..PolicyConfig::default()
    };
    make_learner(&Setup::new(&envs, &device, &device, 0), policy, critic)
}

fn rollout(id: &str, learner: &dyn OnPolicyLearner, seed: u64) -> Rollout {
    let envs = VecEnv::from_fn(4, |_| make(id)).unwrap();
    let space = envs.action_space().clone();
    let mut actor = PolicyActor::new(learner.policy(), &space, &Device::flex(), seed);
    Sampler::new(envs, Some(seed))
        .collect(&mut actor, Budget::MinSteps(64))
        .unwrap()
}

/// Log-probabilities of the greedy actions (the mode) for 4 observations, and the actions.
fn greedy_log_probs_and_actions(learner: &dyn OnPolicyLearner, obs: &[f32]) -> (Vec<f32>, String) {
    let device = Device::flex();
    let policy = learner.policy().valid().to_device(&device);
    let dist = policy.distribution(matrix(obs, 4, &device));
    let mode = dist.mode();
    let log_probs = read_floats(dist.log_prob(&mode)).unwrap();
    (log_probs, format!("{:?}", mode.to_batch().unwrap()))
}

/// The metadata of a snapshot after one iteration of `total_steps`.
fn first_iteration(total_steps: usize) -> SnapshotMeta {
    SnapshotMeta {
        iteration: 1,
        total_steps,
        eval_mean: 0.0,
        ..SnapshotMeta::default()
    }
}

fn round_trip(snapshot: &Snapshot) -> Snapshot {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latest");
    let meta = first_iteration(64);
    write_snapshot(&path, snapshot, meta.clone()).unwrap();
    // Overwriting keeps exactly one complete snapshot.
    write_snapshot(&path, snapshot, meta).unwrap();
    read_snapshot(&path).unwrap().0
}

fn close(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-4 * (1.0 + x.abs()))
}

#[test]
fn restored_learners_act_and_continue_identically() {
    let _turn = device_stream_turn();
    for id in ["CartPole-v1", "Pendulum-v1"] {
        for (name, make_learner) in LEARNERS {
            let mut original = learner(make_learner, id, 1, vec![32, 32]);
            let first = rollout(id, original.as_ref(), 0);
            original.update(&first, 0.0).unwrap();
            let mut snapshot = Snapshot::new();
            original.save(&mut snapshot).unwrap();
            let snapshot = round_trip(&snapshot);

            let mut restored = learner(make_learner, id, 99, vec![32, 32]);
            let obs = first.observations[..4 * first.observation_dim].to_vec();
            let (fresh, _) = greedy_log_probs_and_actions(restored.as_ref(), &obs);
            restored.load(&snapshot).unwrap();
            let (a, actions_a) = greedy_log_probs_and_actions(original.as_ref(), &obs);
            let (b, actions_b) = greedy_log_probs_and_actions(restored.as_ref(), &obs);
            assert_eq!(actions_a, actions_b, "{name} {id}: greedy actions differ");
            assert_eq!(a, b, "{name} {id}: log-probs differ");
            assert_ne!(a, fresh, "{name} {id}: the fresh learner already matched");

            // The next update (Adam / RMSprop moments included) is the same.
            let second = rollout(id, original.as_ref(), 1);
            original.update(&second, 0.5).unwrap();
            restored.update(&second, 0.5).unwrap();
            let (a, _) = greedy_log_probs_and_actions(original.as_ref(), &obs);
            let (b, _) = greedy_log_probs_and_actions(restored.as_ref(), &obs);
            assert!(
                close(&a, &b),
                "{name} {id}: after one more update {a:?} vs {b:?}"
            );
        }
    }
}

#[test]
fn corrupt_and_mismatched_snapshots_are_errors_naming_the_file() {
    let _turn = device_stream_turn();
    let (_, make_learner) = LEARNERS[0];
    let original = learner(make_learner, "CartPole-v1", 1, vec![32, 32]);
    let mut snapshot = Snapshot::new();
    original.save(&mut snapshot).unwrap();

    // A flipped byte on disk is caught by the checksum.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latest");
    write_snapshot(&path, &snapshot, first_iteration(1)).unwrap();
    let file = path.join("policy.bpk");
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&file, bytes).unwrap();
    let err = read_snapshot(&path).unwrap_err().to_string();
    assert!(err.contains("policy.bpk"), "{err}");

    // Another architecture: the file is named, nothing panics.
    let mut other = learner(make_learner, "CartPole-v1", 1, vec![16]);
    let err = other.load(&snapshot).unwrap_err().to_string();
    assert!(
        err.contains("policy.bpk") || err.contains("critic.bpk"),
        "{err}"
    );

    // Garbage instead of a burnpack record.
    let mut garbage = snapshot.clone();
    garbage.insert("policy.bpk", b"not a burnpack file".to_vec());
    let mut fresh = learner(make_learner, "CartPole-v1", 1, vec![32, 32]);
    let err = fresh.load(&garbage).unwrap_err().to_string();
    assert!(err.contains("policy.bpk"), "{err}");

    // A missing file.
    let empty = Snapshot::new();
    let err = fresh.load(&empty).unwrap_err().to_string();
    assert!(err.contains("missing file"), "{err}");
}

#[test]
fn on_policy_algorithm_restores_its_actors() {
    let _turn = device_stream_turn();
    let make_algo = |seed| {
        let device = test_device();
        device.seed(seed);
        let envs = VecEnv::from_fn(2, |_| make("CartPole-v1")).unwrap();
        let setup = Setup::new(&envs, &device, &Device::flex(), seed);
        let ppo = Ppo::new(PpoConfig::default(), &setup).unwrap();
        OnPolicy::new(ppo, envs, Budget::MinSteps(64), &setup).unwrap()
    };
    let mut a = make_algo(3);
    a.iterate(0.0).unwrap();
    let mut b = make_algo(4);
    b.restore(&a.snapshot().unwrap()).unwrap();
    let obs: Vec<f32> = (0..40).map(|i| (i as f32 * 0.37).sin() * 0.2).collect();
    assert_eq!(
        a.act(&obs, 10, ActMode::Greedy).unwrap(),
        b.act(&obs, 10, ActMode::Greedy).unwrap()
    );
}
