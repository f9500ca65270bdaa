//! One PPO update on every device of the matrix, for discrete and continuous actions: the
//! statistics are finite and in range, the policy moves, and acting on the CPU while learning
//! on the test device works.

use burn::tensor::Device;
use cinder_core::VecEnv;
use cinder_data::{Actor, Budget, Sampler};
use cinder_envs::make;
use cinder_nn::device::test_device;
use cinder_pg::{Gae, GaeConfig, PgError, PolicyActor, Ppo, PpoConfig};

fn one_update(id: &str) -> (Vec<f32>, Vec<f32>) {
    let learn = test_device();
    learn.seed(1);
    let act = Device::flex();
    let envs = VecEnv::from_fn(4, |_| make(id)).unwrap();
    let (obs_space, act_space) = (
        envs.observation_space().clone(),
        envs.action_space().clone(),
    );
    let mut sampler = Sampler::new(envs, Some(0));
    let critic = Gae::new(GaeConfig::default(), &obs_space, &learn).unwrap();
    let config = PpoConfig {
        num_epoch: 2,
        batch_size: 32,
        lr: 1e-2,
        ..PpoConfig::default()
    };
    let mut ppo = Ppo::new(config, critic, &obs_space, &act_space, &learn, 0).unwrap();
    let mut actor = PolicyActor::new(ppo.policy(), &act, false);
    let rollout = sampler.collect(&mut actor, Budget::MinSteps(128)).unwrap();
    let stats = ppo.update(&rollout).unwrap();
    assert!(
        stats.policy_loss.is_finite() && stats.value_loss.is_finite(),
        "{stats:?}"
    );
    assert!(stats.entropy > 0.0, "{stats:?}");
    assert!((0.0..=1.0).contains(&stats.clip_fraction), "{stats:?}");

    // The greedy action's log-probabilities before and after the update differ.
    let obs = &rollout.observations[..4 * obs_space.flat_dim()];
    let before = actor.act(obs, 4).unwrap().log_probs;
    actor.sync(ppo.policy());
    let after = actor.act(obs, 4).unwrap().log_probs;
    (before, after)
}

#[test]
fn ppo_updates_a_discrete_policy() {
    let (before, after) = one_update("CartPole-v1");
    assert_ne!(before, after);
}

#[test]
fn ppo_updates_a_gaussian_policy() {
    let (before, after) = one_update("Pendulum-v1");
    assert_ne!(before, after);
}

#[test]
fn bad_hyper_parameters_are_errors_naming_them() {
    let device = test_device();
    let space = make("CartPole-v1").unwrap().observation_space().clone();
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
                batch_size: 0,
                ..GaeConfig::default()
            },
            "batch_size",
        ),
    ] {
        let err = Gae::new(config, &space, &device).err().unwrap();
        assert!(
            matches!(&err, PgError::InvalidParameter { name: n, .. } if *n == name),
            "{err}"
        );
    }
    let critic = Gae::new(GaeConfig::default(), &space, &device).unwrap();
    let actions = make("CartPole-v1").unwrap().action_space().clone();
    let bad = PpoConfig {
        eps_clip: 0.0,
        ..PpoConfig::default()
    };
    let err = Ppo::new(bad, critic, &space, &actions, &device, 0)
        .err()
        .unwrap();
    assert!(err.to_string().contains("eps_clip"), "{err}");
}
