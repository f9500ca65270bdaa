//! BC and discrete BCQ: the BCQ action mask against closed-form cases, learning smoke tests on
//! datasets of a fixed controller with noise (thresholds far below "solved"), snapshots that
//! refuse another dataset.

mod common;

use common::{Balance, Swing, envs, swing};

use burn::tensor::{Tensor, TensorData};
use cinder_agent::Setup;
use cinder_core::{ActMode, ActionBatch, Actor};
use cinder_data::{Dataset, Noise, Noisy, record};
use cinder_nn::device::{device_stream_turn, test_device};
use cinder_offline::{
    Bc, BcConfig, Bcq, BcqConfig, Offline, OfflineConfig, ReplayLearner, allowed_by_imitator,
};
use cinder_train::{Algorithm, evaluate};

/// The learners' setup for environment `id` on the test device.
fn setup(id: &str, seed: u64) -> Setup {
    let device = test_device();
    Setup::new(&envs(id, 1), &device, &device, seed)
}

/// `steps` transitions of the balancing rule with ε-greedy noise.
fn cartpole_dataset(steps: usize, eps: f64) -> Dataset {
    let mut envs = envs("CartPole-v1", 2);
    let space = envs.action_space().clone();
    let mut expert = Balance;
    let mut noisy = Noisy::new(&mut expert, &space, Noise::Epsilon(eps), 3).unwrap();
    record(&mut noisy, &mut envs, steps, ActMode::Greedy, 11).unwrap()
}

fn offline(updates: usize) -> OfflineConfig {
    OfflineConfig {
        num_updates_per_iter: updates,
        estimation_step: 3,
        ..OfflineConfig::default()
    }
}

fn mean_return<A: Algorithm>(algorithm: &mut A, id: &str) -> f64 {
    evaluate(algorithm, &mut envs(id, 5), 10, 1_000)
        .unwrap()
        .mean
}

#[test]
fn bcq_allows_actions_at_least_tau_times_as_likely_as_the_best() {
    let device = test_device();
    // Probabilities ∝ (1, 0.5, 0.2) in row 0 and (0.25, 1, 0.7) in row 1.
    let logits: Vec<f32> = [1.0f32, 0.5, 0.2, 0.25, 1.0, 0.7]
        .iter()
        .map(|p| p.ln() + 3.0)
        .collect();
    let logits = Tensor::<2>::from_data(TensorData::new(logits, [2, 3]), &device);
    let allowed = |tau: f64| -> Vec<bool> {
        allowed_by_imitator(logits.clone(), tau)
            .into_data()
            .iter::<bool>()
            .collect()
    };
    let t = true;
    let f = false;
    assert_eq!(allowed(0.1), [t, t, t, t, t, t]);
    assert_eq!(allowed(0.3), [t, t, f, f, t, t]);
    assert_eq!(allowed(0.6), [t, f, f, f, t, t]);
    assert_eq!(allowed(0.8), [t, f, f, f, t, f]);
    // τ = 1 keeps the most likely action only; τ = 0 filters nothing (Tianshou's [0, 1)).
    assert_eq!(allowed(1.0), [t, f, f, f, t, f]);
    assert_eq!(allowed(0.0), [t, t, t, t, t, t]);
    let with_tau = |tau| BcqConfig {
        unlikely_action_threshold: tau,
        ..BcqConfig::default()
    };
    assert!(with_tau(0.0).validate().is_ok());
    for bad in [-0.1, 1.5, f64::NAN] {
        let error = with_tau(bad).validate().unwrap_err().to_string();
        assert!(error.contains("unlikely_action_threshold"), "{error}");
    }
}

#[test]
fn bcq_never_acts_against_the_masks_carried_in_the_observations() {
    let _turn = device_stream_turn();
    let config = BcqConfig {
        action_mask: true,
        eval_eps: 0.5,
        unlikely_action_threshold: 0.0,
        ..BcqConfig::default()
    };
    // CartPole's four observation values: the last two are the mask of its two actions.
    let mut bcq = Bcq::new(config, &setup("CartPole-v1", 3)).unwrap();
    let rows = 64;
    let obs: Vec<f32> = (0..rows)
        .flat_map(|i| {
            let only = (i % 2) as f32;
            [0.1 * i as f32, -0.2, 1.0 - only, only]
        })
        .collect();
    for mode in [ActMode::Greedy, ActMode::Explore, ActMode::Random] {
        let acted = bcq.act(&obs, rows, mode).unwrap();
        let ActionBatch::Discrete(actions) = acted.actions else {
            panic!("discrete actions")
        };
        let expected: Vec<usize> = (0..rows).map(|i| i % 2).collect();
        assert_eq!(actions, expected, "{mode:?}");
    }
    // No allowed action: an error naming the environment, not a panic.
    let error = bcq
        .act(&[0.0, 0.0, 0.0, 0.0], 1, ActMode::Greedy)
        .unwrap_err();
    assert!(error.to_string().contains("allows no action"), "{error}");
    assert!(bcq.graph().is_err(), "carried masks are not exportable");
}

#[test]
fn learning_bcq_on_cartpole_from_a_noisy_controller() {
    let _turn = device_stream_turn();
    let device = test_device();
    device.seed(10);
    let dataset = cartpole_dataset(6000, 0.2);
    let config = BcqConfig {
        target_update_freq: 200,
        ..BcqConfig::default()
    };
    let bcq = Bcq::new(config, &setup("CartPole-v1", 10)).unwrap();
    let mut algorithm =
        Offline::new(bcq, &dataset, offline(1500), &setup("CartPole-v1", 10)).unwrap();
    let iteration = algorithm.iterate(0.0).unwrap();
    assert_eq!((iteration.steps, iteration.updates), (0, 1500));
    let names: Vec<&str> = iteration.metrics.iter().map(|m| m.name).collect();
    assert_eq!(names, ["loss", "q_loss", "i_loss", "reg_loss", "q_mean"]);
    assert!(iteration.metrics.iter().all(|m| m.value.is_finite()));
    let score = mean_return(&mut algorithm, "CartPole-v1");
    assert!(score >= 150.0, "BCQ mean return {score}");
}

#[test]
fn learning_bc_clones_a_discrete_controller() {
    let _turn = device_stream_turn();
    let device = test_device();
    device.seed(11);
    let dataset = cartpole_dataset(6000, 0.2);
    let bc = Bc::new(BcConfig::default(), &setup("CartPole-v1", 11)).unwrap();
    let mut algorithm =
        Offline::new(bc, &dataset, offline(1500), &setup("CartPole-v1", 11)).unwrap();
    let iteration = algorithm.iterate(0.0).unwrap();
    // The NLL falls well below ln 2 (a uniform policy) yet stays above 0 (ε-noise).
    let loss = iteration.metrics[0].value;
    assert!(loss < 0.6 && loss > 0.05, "NLL {loss}");
    let score = mean_return(&mut algorithm, "CartPole-v1");
    assert!(score >= 150.0, "BC mean return {score}");
}

#[test]
fn learning_bc_clones_a_continuous_controller_in_env_units() {
    let _turn = device_stream_turn();
    let device = test_device();
    device.seed(12);
    let mut train_envs = envs("Pendulum-v1", 2);
    let dataset = record(&mut Swing, &mut train_envs, 4000, ActMode::Greedy, 12).unwrap();
    let bc = Bc::new(BcConfig::default(), &setup("Pendulum-v1", 12)).unwrap();
    let mut algorithm =
        Offline::new(bc, &dataset, offline(2000), &setup("Pendulum-v1", 12)).unwrap();
    let first = algorithm.iterate(0.0).unwrap().metrics[0].value;
    let second = algorithm.iterate(0.5).unwrap().metrics[0].value;
    assert!(second < first, "MSE {first} -> {second}");
    // On fresh states, the clone acts within 0.25 (RMS, of a range of 4) of the rule.
    let fresh = record(
        &mut Swing,
        &mut envs("Pendulum-v1", 1),
        400,
        ActMode::Greedy,
        99,
    )
    .unwrap();
    let obs: Vec<f32> = fresh
        .episodes
        .iter()
        .flat_map(|e| e.observations.clone())
        .collect();
    let rows = obs.len() / 3;
    let acted = algorithm.act(&obs, rows, ActMode::Greedy).unwrap().actions;
    let ActionBatch::Continuous(acted) = acted else {
        panic!("continuous actions")
    };
    let mse = obs
        .chunks_exact(3)
        .zip(&acted)
        .map(|(o, a)| (swing(o) - a).powi(2))
        .sum::<f32>()
        / rows as f32;
    assert!(mse.sqrt() < 0.25, "RMS error {}", mse.sqrt());
    assert!(acted.iter().all(|a| (-2.0..=2.0).contains(a)));
}

#[test]
fn snapshots_restore_and_refuse_another_dataset() {
    let _turn = device_stream_turn();
    let device = test_device();
    device.seed(13);
    let dataset = cartpole_dataset(500, 0.2);
    let new = || Bcq::new(BcqConfig::default(), &setup("CartPole-v1", 13)).unwrap();
    let mut trained =
        Offline::new(new(), &dataset, offline(50), &setup("CartPole-v1", 13)).unwrap();
    trained.iterate(0.0).unwrap();
    let snapshot = trained.snapshot().unwrap();

    let mut restored =
        Offline::new(new(), &dataset, offline(50), &setup("CartPole-v1", 14)).unwrap();
    restored.restore(&snapshot).unwrap();
    let obs = &dataset.episodes[0].observations;
    let rows = obs.len() / 4;
    let greedy = |a: &mut dyn Actor<Error = cinder_agent::AgentError>| {
        a.act(obs, rows, ActMode::Greedy).unwrap().actions
    };
    // eval_eps = 0.001 may flip an action; nearly all agree.
    let (a, b) = (greedy(&mut trained), greedy(&mut restored));
    let (ActionBatch::Discrete(a), ActionBatch::Discrete(b)) = (a, b) else {
        panic!("discrete actions")
    };
    let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
    assert!(same + 2 >= rows, "{same} of {rows}");
    let q = |a: &Offline<Bcq>| {
        let zeros = Tensor::<2>::zeros([1, 4], &device.clone().autodiff());
        a.learner().nets().q.forward(zeros).into_data()
    };
    assert_eq!(q(&trained), q(&restored));

    let other = cartpole_dataset(600, 0.2);
    let mut elsewhere =
        Offline::new(new(), &other, offline(50), &setup("CartPole-v1", 13)).unwrap();
    let err = elsewhere.restore(&snapshot).unwrap_err().to_string();
    assert!(err.contains("not the one this run learned from"), "{err}");
    // The learner's names line up with its statistics.
    assert_eq!(new().stat_names().len(), 5);
}
