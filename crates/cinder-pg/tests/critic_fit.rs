//! The critic's settings against their formulas on small rollouts: Pyrado's separate value fit
//! (`GAE.update`: targets from the value function as it was, `num_epoch` Adam steps on the
//! MSE, then advantages from the fitted function), Monte-Carlo value targets, the running
//! standardizer and the halved value loss.

use burn::module::Module;
use burn::tensor::Device;
use cinder_agent::{PolicyActor, PolicyConfig, Setup};
use cinder_core::seeding::rng_from_seed;
use cinder_core::{RunningMeanStd, VecEnv};
use cinder_data::{Budget, Rollout, Sampler};
use cinder_envs::make;
use cinder_nn::device::{device_stream_turn, test_device};
use cinder_nn::tensors::{matrix, read_floats, vector};
use cinder_nn::{Activation, NetConfig, adam, descend};
use cinder_pg::{
    A2c, A2cConfig, CriticFit, Gae, GaeConfig, OnPolicyLearner, Standardizer, ValueLoss,
    ValueTarget,
};

fn setup_and_rollout(seed: u64, steps: usize) -> (Setup, Rollout) {
    let device = test_device();
    device.seed(seed);
    let envs = VecEnv::from_fn(1, |_| make("CartPole-v1")).unwrap();
    let setup = Setup::new(&envs, &device, &device, seed);
    let policy = A2c::new(A2cConfig::default(), &setup).unwrap();
    let envs = VecEnv::from_fn(2, |_| make("CartPole-v1")).unwrap();
    let space = envs.action_space().clone();
    let mut actor = PolicyActor::new(policy.policy(), &space, &Device::flex(), seed);
    let rollout = Sampler::new(envs, Some(seed))
        .collect(&mut actor, Budget::MinSteps(steps))
        .unwrap();
    (setup, rollout)
}

fn critic(config: GaeConfig, setup: &Setup) -> Gae {
    let config = GaeConfig {
        net: NetConfig::new(&[8], Activation::Tanh),
        lr: 1e-2,
        ..config
    };
    Gae::new(config, setup).unwrap()
}

fn close(a: &[f32], b: &[f32], tol: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "{what}[{i}]: {x} vs {y}"
        );
    }
}

/// `(x − mean) / (std + 1e-8)`, population std.
fn standardized(x: &[f32]) -> Vec<f32> {
    let n = x.len() as f64;
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = x
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    x.iter()
        .map(|&v| ((f64::from(v) - mean) / (var.sqrt() + 1e-8)) as f32)
        .collect()
}

#[test]
fn a_separate_fit_is_pyrados_gae_update() {
    let _turn = device_stream_turn();
    let (setup, rollout) = setup_and_rollout(3, 96);
    let n = rollout.len();
    for (value_loss, weight) in [(ValueLoss::Mse, 1.0), (ValueLoss::HalfMse, 0.5)] {
        let config = GaeConfig {
            gamma: 0.98,
            lambda: 0.9,
            // One minibatch of the whole rollout: the fit is `num_epoch` full-batch steps.
            fit: CriticFit::Separate {
                num_epoch: 4,
                batch_size: n,
            },
            value_loss,
            ..GaeConfig::default()
        };
        let mut critic = critic(config, &setup);
        // The targets from the value function before the fit, and the fit by hand.
        let targets = critic.gae(&rollout).unwrap().returns;
        let device = setup.device.clone().autodiff();
        let observations = matrix(&rollout.observations, n, &device);
        let target_tensor = vector(&targets, &device);
        let (mut vfcn, mut optim) = (critic.value_function().clone(), adam());
        for _ in 0..4 {
            let values = vfcn.forward(observations.clone()).flatten(0, 1);
            let loss = (values - target_tensor.clone())
                .powi_scalar(2)
                .mean()
                .mul_scalar(weight);
            let mut grads = loss.backward();
            vfcn = descend(vfcn, &mut grads, &mut optim, 1e-2, None).unwrap();
        }
        let fitted = read_floats(vfcn.valid().forward(observations.inner())).unwrap();

        let mut rng = rng_from_seed(0);
        let estimated = critic.estimate(&rollout, 0.0, &mut rng).unwrap();
        let values_after = critic.values(&rollout.observations, n).unwrap();
        close(&values_after, &fitted, 1e-5, "fitted V");
        assert!(estimated.fit_loss.unwrap().is_finite());
        // Advantages from the fitted value function, standardised.
        let finals = rollout.final_indices.len();
        let final_values = critic.values(&rollout.final_observations, finals).unwrap();
        let last_values = critic
            .values(&rollout.last_observations, rollout.num_envs)
            .unwrap();
        let (advantages, _) = rollout.advantages(&fitted, &final_values, &last_values, 0.98, 0.9);
        close(
            &estimated.estimates.advantages,
            &standardized(&advantages),
            1e-4,
            "advantages",
        );
    }
}

#[test]
fn monte_carlo_targets_are_discounted_rewards_to_the_episode_end() {
    let _turn = device_stream_turn();
    let (setup, rollout) = setup_and_rollout(5, 128);
    let gamma = 0.97;
    let config = GaeConfig {
        gamma,
        lambda: 0.8,
        value_target: ValueTarget::MonteCarlo,
        ..GaeConfig::default()
    };
    let mut critic = critic(config, &setup);
    let returns = critic.gae(&rollout).unwrap().returns;
    assert!(rollout.terminated.iter().any(|&t| t), "no episode ended");
    let (envs, steps) = (rollout.num_envs, rollout.steps());
    let last_values = critic.values(&rollout.last_observations, envs).unwrap();
    let mut expected = vec![0.0f64; rollout.len()];
    for (i, &last) in last_values.iter().enumerate() {
        let mut next = f64::from(last);
        for t in (0..steps).rev() {
            let k = t * envs + i;
            let bootstrap = if rollout.terminated[k] {
                0.0
            } else if rollout.truncated[k] {
                let j = rollout.final_indices.iter().position(|&f| f == k).unwrap();
                let obs = &rollout.final_observations[j * 4..(j + 1) * 4];
                f64::from(critic.values(obs, 1).unwrap()[0])
            } else {
                next
            };
            expected[k] = f64::from(rollout.rewards[k]) + gamma * bootstrap;
            next = expected[k];
        }
    }
    let expected: Vec<f32> = expected.iter().map(|&g| g as f32).collect();
    close(&returns, &expected, 1e-4, "returns");
}

#[test]
fn the_running_standardizer_uses_every_advantage_so_far() {
    let _turn = device_stream_turn();
    let (setup, first) = setup_and_rollout(7, 64);
    let (_, second) = setup_and_rollout(8, 64);
    let config = GaeConfig {
        standardizer: Standardizer::Running,
        ..GaeConfig::default()
    };
    // The same critic (same initial weights) without standardisation: the raw advantages.
    setup.device.seed(42);
    let mut plain = critic(
        GaeConfig {
            standardize_adv: false,
            ..GaeConfig::default()
        },
        &setup,
    );
    setup.device.seed(42);
    let mut running = critic(config, &setup);
    let mut stats = RunningMeanStd::new(1);
    for rollout in [&first, &second] {
        let advantages = plain.gae(rollout).unwrap().advantages;
        stats.update(&advantages);
        let (mean, std) = (stats.mean[0], stats.var[0].sqrt());
        let expected: Vec<f32> = advantages
            .iter()
            .map(|&a| ((f64::from(a) - mean) / (std + 1e-8)) as f32)
            .collect();
        close(
            &running.gae(rollout).unwrap().advantages,
            &expected,
            1e-5,
            "running standardised advantages",
        );
    }
}

#[test]
fn a_halved_value_loss_is_a_halved_value_weight() {
    let _turn = device_stream_turn();
    let (setup, rollout) = setup_and_rollout(9, 64);
    let update = |value_loss, vfcn_coeff| {
        setup.device.seed(11);
        let config = A2cConfig {
            vfcn_coeff,
            critic: GaeConfig {
                value_loss,
                ..GaeConfig::default()
            },
            policy: PolicyConfig::default(),
            ..A2cConfig::default()
        };
        let mut a2c = A2c::new(config, &setup).unwrap();
        a2c.update(&rollout, 0.0).unwrap();
        a2c.critic()
            .values(&rollout.observations, rollout.len())
            .unwrap()
    };
    assert_eq!(update(ValueLoss::HalfMse, 1.0), update(ValueLoss::Mse, 0.5));
}
