//! One update of every learner on every device of the matrix, for discrete and continuous
//! actions: the statistics are finite and in range, the policy moves, and acting on the CPU
//! while learning on the test device works. Bad hyper-parameters are errors naming them.

use burn::tensor::Device;
use cinder_agent::{AgentError, PolicyActor, Setup};
use cinder_core::{ActMode, Actor, VecEnv};
use cinder_data::{Budget, Sampler};
use cinder_envs::make;
use cinder_nn::device::{device_stream_turn, test_device};
use cinder_pg::{
    A2c, A2cConfig, Gae, GaeConfig, OnPolicyLearner, Ppo, Ppo2, Ppo2Config, PpoConfig,
};
use cinder_train::Metric;

fn metric(metrics: &[Metric], name: &str) -> f64 {
    metrics
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no metric {name} in {metrics:?}"))
        .value
}

/// Samples 128 steps of `id` with a fresh learner made by `make_learner`, updates once and
/// returns the metrics and the log-probabilities of actions sampled for fixed observations
/// before and after (same random draws: they differ because the policy moved).
fn one_update<L: OnPolicyLearner>(
    id: &str,
    make_learner: impl FnOnce(&Setup) -> L,
    expected_updates: usize,
) -> (Vec<Metric>, Vec<f32>, Vec<f32>) {
    let learn = test_device();
    learn.seed(1);
    let act = Device::flex();
    act.seed(1);
    let envs = VecEnv::from_fn(4, |_| make(id)).unwrap();
    let setup = Setup::new(&envs, &learn, &act, 0);
    let mut sampler = Sampler::new(envs, Some(0));
    let mut learner = make_learner(&setup);
    let mut actor = PolicyActor::new(learner.policy(), &setup.action_space, &act, 0);
    let rollout = sampler.collect(&mut actor, Budget::MinSteps(128)).unwrap();
    let obs = &rollout.observations[..4 * setup.observation_dim()];
    let before = explore_log_probs(&mut actor, obs);
    let update = learner.update(&rollout, 0.0).unwrap();
    let metrics = update.metrics;
    assert_eq!(
        update.updates, expected_updates,
        "gradient updates of one update"
    );
    for m in &metrics {
        assert!(m.value.is_finite(), "{metrics:?}");
    }
    assert!(metric(&metrics, "entropy") != 0.0, "{metrics:?}");
    assert!(metric(&metrics, "value_loss") >= 0.0, "{metrics:?}");
    actor.sync(learner.policy());
    let after = explore_log_probs(&mut actor, obs);
    (metrics, before, after)
}

/// Log-probabilities of sampled actions for `obs` (4 environments), from a fixed seed of the
/// acting device so that before and after differ only by the policy.
fn explore_log_probs(actor: &mut PolicyActor, obs: &[f32]) -> Vec<f32> {
    Device::flex().seed(7);
    actor
        .act(obs, 4, ActMode::Explore)
        .unwrap()
        .log_probs
        .unwrap()
}

fn ppo_config() -> PpoConfig {
    PpoConfig {
        num_epoch: 2,
        batch_size: 32,
        lr: 1e-2,
        ..PpoConfig::default()
    }
}

fn check_ppo(id: &str) {
    // 128 transitions, minibatches of 32, two epochs.
    let (metrics, before, after) =
        one_update(id, |setup| Ppo::new(ppo_config(), setup).unwrap(), 8);
    assert!((0.0..=1.0).contains(&metric(&metrics, "clip_fraction")));
    assert_ne!(before, after);
}

fn check_ppo2(id: &str) {
    let config = Ppo2Config {
        ppo: ppo_config(),
        vfcn_coeff: 0.5,
    };
    let (metrics, before, after) = one_update(id, |setup| Ppo2::new(config, setup).unwrap(), 8);
    assert!((0.0..=1.0).contains(&metric(&metrics, "clip_fraction")));
    assert_ne!(before, after);
}

fn check_a2c(id: &str) {
    let config = A2cConfig {
        batch_size: 64,
        lr: 1e-2,
        ..A2cConfig::default()
    };
    let (metrics, before, after) = one_update(id, |setup| A2c::new(config, setup).unwrap(), 2);
    assert_eq!(metric(&metrics, "lr"), 1e-2);
    assert_ne!(before, after);
}

#[test]
fn ppo_updates_discrete_and_gaussian_policies() {
    let _turn = device_stream_turn();
    check_ppo("CartPole-v1");
    check_ppo("Pendulum-v1");
}

#[test]
fn ppo2_updates_discrete_and_gaussian_policies() {
    let _turn = device_stream_turn();
    check_ppo2("CartPole-v1");
    check_ppo2("Pendulum-v1");
}

#[test]
fn a2c_updates_discrete_and_gaussian_policies() {
    let _turn = device_stream_turn();
    check_a2c("CartPole-v1");
    check_a2c("Pendulum-v1");
}

#[test]
fn bad_hyper_parameters_are_errors_naming_them() {
    let _turn = device_stream_turn();
    let device = test_device();
    let envs = VecEnv::from_fn(1, |_| make("CartPole-v1")).unwrap();
    let setup = Setup::new(&envs, &device, &device, 0);
    for (config, name) in [
        (
            GaeConfig {
                gamma: 1.5,
                ..GaeConfig::default()
            },
            "gamma",
        ),
        (
            GaeConfig {
                lambda: -0.1,
                ..GaeConfig::default()
            },
            "lambda",
        ),
        (
            GaeConfig {
                lr: 0.0,
                ..GaeConfig::default()
            },
            "lr",
        ),
    ] {
        let err = Gae::new(config, &setup).err().unwrap();
        assert!(
            matches!(&err, AgentError::InvalidParameter { name: n, .. } if *n == name),
            "{err}"
        );
    }
    let bad = PpoConfig {
        eps_clip: 0.0,
        ..PpoConfig::default()
    };
    let err = Ppo::new(bad.clone(), &setup).err().unwrap();
    assert!(err.to_string().contains("eps_clip"), "{err}");
    let bad2 = Ppo2Config {
        vfcn_coeff: -1.0,
        ..Ppo2Config::default()
    };
    let err = Ppo2::new(bad2, &setup).err().unwrap();
    assert!(err.to_string().contains("vfcn_coeff"), "{err}");
    let bad_a2c = A2cConfig {
        lr: -1.0,
        ..A2cConfig::default()
    };
    let err = A2c::new(bad_a2c, &setup).err().unwrap();
    assert!(err.to_string().contains("`lr`"), "{err}");
    let bad_batch = PpoConfig {
        batch_size: 0,
        ..PpoConfig::default()
    };
    let err = Ppo::new(bad_batch, &setup).err().unwrap();
    assert!(err.to_string().contains("`batch_size`"), "{err}");
}
