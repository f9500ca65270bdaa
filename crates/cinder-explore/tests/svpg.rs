//! SVPG: with the identity kernel (and `N · T = 1`) every particle moves exactly like its base
//! learner alone, for A2C and for PPO's many minibatch steps; a run does not depend on the
//! particles' thread schedule; the RBF kernel couples them; snapshots hold every particle; bad
//! parameters are errors naming them.

use std::sync::MutexGuard;

use burn::tensor::Device;
use cinder_agent::{AgentError, OnPolicyAgent, OnPolicyLearner, PolicyActor, PolicyConfig, Setup};
use cinder_core::{Space, VecEnv};
use cinder_data::{Budget, Rollout, Sampler};
use cinder_envs::make;
use cinder_explore::svgd::Kernel;
use cinder_explore::{Svpg, SvpgConfig};
use cinder_nn::device::{device_stream_turn, test_device};
use cinder_nn::{Activation, NetConfig, flat_params};
use cinder_pg::{A2c, A2cConfig, GaeConfig, Ppo, PpoConfig};
use cinder_train::Algorithm;

fn device() -> (Device, MutexGuard<'static, ()>) {
    let guard = device_stream_turn();
    (test_device(), guard)
}

fn spaces() -> (Space, Space) {
    let env = make("CartPole-v1").unwrap();
    (env.observation_space().clone(), env.action_space().clone())
}

/// CartPole learners on `device` with `seed` (drawing their weights from it).
fn setup(seed: u64, device: &Device) -> Setup {
    device.seed(seed);
    let (obs, act) = spaces();
    Setup::of_spaces(&obs, &act, device, device, seed)
}

fn small() -> PolicyConfig {
    PolicyConfig {
        net: NetConfig::new(&[16], Activation::Tanh),
        ..PolicyConfig::default()
    }
}

fn critic() -> GaeConfig {
    GaeConfig {
        net: NetConfig::new(&[16], Activation::Tanh),
        ..GaeConfig::default()
    }
}

fn a2c(seed: u64, device: &Device) -> A2c {
    let config = A2cConfig {
        lr: 1e-2,
        policy: small(),
        critic: critic(),
        ..A2cConfig::default()
    };
    A2c::new(config, &setup(seed, device)).unwrap()
}

fn ppo(seed: u64, device: &Device) -> Ppo {
    let config = PpoConfig {
        num_epoch: 2,
        batch_size: 16,
        lr: 1e-2,
        policy: small(),
        critic: critic(),
        ..PpoConfig::default()
    };
    Ppo::new(config, &setup(seed, device)).unwrap()
}

fn particle<L: OnPolicyLearner>(learner: L, seed: u64, device: &Device) -> OnPolicyAgent<L> {
    let envs = VecEnv::from_fn(2, |_| make("CartPole-v1")).unwrap();
    let setup = Setup::new(&envs, device, device, seed);
    OnPolicyAgent::new(learner, envs, Budget::MinSteps(32), &setup).unwrap()
}

/// Rollouts of 32 steps of a fixed random policy, one per particle.
fn rollouts(n: usize, device: &Device) -> Vec<Rollout> {
    device.seed(99);
    let (_, act) = spaces();
    let policy = cinder_agent::Policy::new(&small(), 4, &act, &device.clone().autodiff()).unwrap();
    let mut actor = PolicyActor::new(&policy, &act, device, 99);
    (0..n)
        .map(|i| {
            let envs = VecEnv::from_fn(2, |_| make("CartPole-v1")).unwrap();
            Sampler::new(envs, Some(i as u64))
                .collect(&mut actor, Budget::MinSteps(32))
                .unwrap()
        })
        .collect()
}

/// `n` particles with the identity kernel and `T = 1 / n`, and the same learners alone,
/// updated three times on the same rollouts, end with bit-identical policies.
fn identity_kernel_matches_the_base_learner<L: OnPolicyLearner + Send>(
    make: fn(u64, &Device) -> L,
) {
    let (device, _turn) = device();
    let n = 4;
    let particles = (0..n)
        .map(|i| particle(make(10 + i as u64, &device), i as u64, &device))
        .collect();
    let config = SvpgConfig {
        num_particles: n,
        temperature: 1.0 / n as f64,
        horizon: 0,
        kernel: Kernel::Identity,
    };
    let mut svpg = Svpg::new(particles, config).unwrap();
    let mut alone: Vec<L> = (0..n).map(|i| make(10 + i as u64, &device)).collect();
    let rollouts = rollouts(n, &device);
    for _ in 0..3 {
        svpg.learn(&rollouts, 0.0).unwrap();
        for (learner, rollout) in alone.iter_mut().zip(&rollouts) {
            learner.update(rollout, 0.0).unwrap();
        }
    }
    let together = svpg.parameters().unwrap();
    for (i, learner) in alone.iter().enumerate() {
        let own = flat_params(learner.policy()).unwrap();
        assert_eq!(together[i], own, "particle {i}");
    }
}

#[test]
fn identity_kernel_moves_a2c_particles_like_a2c_alone() {
    identity_kernel_matches_the_base_learner(a2c);
}

#[test]
fn identity_kernel_moves_ppo_particles_like_ppo_alone() {
    identity_kernel_matches_the_base_learner(ppo);
}

/// Particles update on their own threads, yet two runs from the same seeds end with the same
/// parameters: nothing a particle draws depends on the thread schedule (its networks draw
/// their weights when built, not at their first use on a particle's thread).
#[test]
fn a_run_does_not_depend_on_the_thread_schedule() {
    let (device, _turn) = device();
    let n = 3;
    let run = || {
        let particles = (0..n)
            .map(|i| particle(ppo(30 + i as u64, &device), i as u64, &device))
            .collect();
        let config = SvpgConfig {
            num_particles: n,
            ..SvpgConfig::default()
        };
        let mut svpg = Svpg::new(particles, config).unwrap();
        for _ in 0..3 {
            svpg.iterate(0.0).unwrap();
        }
        svpg.parameters().unwrap()
    };
    let first = run();
    for _ in 0..3 {
        assert_eq!(run(), first);
    }
}

#[test]
fn the_rbf_kernel_couples_the_particles() {
    let (device, _turn) = device();
    let n = 3;
    let build = |kernel| {
        let particles = (0..n)
            .map(|i| particle(a2c(20 + i as u64, &device), i as u64, &device))
            .collect();
        let config = SvpgConfig {
            num_particles: n,
            temperature: 1.0,
            horizon: 0,
            kernel,
        };
        Svpg::new(particles, config).unwrap()
    };
    let rollouts = rollouts(n, &device);
    let mut independent = build(Kernel::Identity);
    let mut coupled = build(Kernel::Rbf);
    independent.learn(&rollouts, 0.0).unwrap();
    coupled.learn(&rollouts, 0.0).unwrap();
    let (a, b) = (
        independent.parameters().unwrap(),
        coupled.parameters().unwrap(),
    );
    for i in 0..n {
        assert_ne!(a[i], b[i], "particle {i}");
    }
}

#[test]
fn snapshots_hold_every_particle() {
    let (device, _turn) = device();
    let build = |offset: u64, n: usize| {
        let particles = (0..n)
            .map(|i| particle(a2c(offset + i as u64, &device), i as u64, &device))
            .collect();
        Svpg::new(
            particles,
            SvpgConfig {
                num_particles: n,
                ..SvpgConfig::default()
            },
        )
        .unwrap()
    };
    let mut trained = build(30, 2);
    trained.iterate(0.0).unwrap();
    let snapshot = trained.snapshot().unwrap();
    assert!(snapshot.contains("particle-1/policy.bpk"));
    let mut restored = build(40, 2);
    assert_ne!(
        restored.parameters().unwrap(),
        trained.parameters().unwrap()
    );
    restored.restore(&snapshot).unwrap();
    assert_eq!(
        restored.parameters().unwrap(),
        trained.parameters().unwrap()
    );
    // A snapshot with a broken particle changes nothing.
    let mut broken = snapshot.clone();
    broken.insert("particle-1/policy.bpk", vec![0; 8]);
    let mut other = build(60, 2);
    let untouched = other.parameters().unwrap();
    let err = other.restore(&broken).unwrap_err();
    assert!(err.to_string().contains("policy.bpk"), "{err}");
    assert_eq!(other.parameters().unwrap(), untouched);
    // A snapshot of more particles is refused.
    let mut one = build(50, 1);
    let err = one.restore(&snapshot).unwrap_err();
    assert!(err.to_string().contains("num_particles"), "{err}");
}

#[test]
fn bad_parameters_are_errors_naming_them() {
    for (config, name) in [
        (
            SvpgConfig {
                num_particles: 0,
                ..SvpgConfig::default()
            },
            "num_particles",
        ),
        (
            SvpgConfig {
                temperature: 0.0,
                ..SvpgConfig::default()
            },
            "temperature",
        ),
        (
            SvpgConfig {
                temperature: -1.0,
                ..SvpgConfig::default()
            },
            "temperature",
        ),
        (
            SvpgConfig {
                temperature: f64::NAN,
                ..SvpgConfig::default()
            },
            "temperature",
        ),
        (
            SvpgConfig {
                temperature: f64::INFINITY,
                ..SvpgConfig::default()
            },
            "temperature",
        ),
    ] {
        let err = config.validate().unwrap_err();
        assert!(
            matches!(&err, AgentError::InvalidParameter { name: n, .. } if *n == name),
            "{err}"
        );
    }
    let (device, _turn) = device();
    let particles = vec![particle(a2c(1, &device), 1, &device)];
    let err = Svpg::new(
        particles,
        SvpgConfig {
            num_particles: 2,
            ..SvpgConfig::default()
        },
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("num_particles"), "{err}");
}
