//! Learning smoke tests (flex leg only, as every `learning_*` test): PPO wrapped in ICM and
//! SVPG over PPO particles reach a mean deterministic return of at least 150 on CartPole-v1
//! within 30k steps per learner, thresholds well below "solved" (the benchmarks hold the real
//! bars).

use burn::tensor::Device;
use cinder_agent::{OnPolicyAgent, Setup};
use cinder_core::VecEnv;
use cinder_data::Budget;
use cinder_envs::make;
use cinder_explore::{Icm, IcmConfig, Svpg, SvpgConfig};
use cinder_nn::device::{device_stream_turn, test_device};
use cinder_pg::{GaeConfig, OnPolicy, Ppo, PpoConfig};
use cinder_train::{Algorithm, Every, RunLogger, TrainConfig, train};

fn cartpoles(n: usize) -> VecEnv {
    VecEnv::from_fn(n, |_| make("CartPole-v1")).unwrap()
}

/// CartPole learners on `device` with `seed`.
fn setup(device: &Device, seed: u64) -> Setup {
    Setup::new(&cartpoles(1), device, device, seed)
}

/// PPO with the RL Zoo's CartPole settings (8 envs × 32 steps, batch 256, 20 epochs, γ 0.98,
/// λ 0.8, lr 1e-3).
fn ppo(setup: &Setup) -> Ppo {
    let config = PpoConfig {
        num_epoch: 20,
        batch_size: 256,
        lr: 1e-3,
        critic: GaeConfig {
            gamma: 0.98,
            lambda: 0.8,
            lr: 1e-3,
            ..GaeConfig::default()
        },
        ..PpoConfig::default()
    };
    Ppo::new(config, setup).unwrap()
}

/// Trains `algorithm` for `steps` and returns the final evaluation mean.
fn final_eval<A: Algorithm>(algorithm: &mut A, steps: usize) -> f64
where
    A::Error: std::fmt::Debug,
{
    let config = TrainConfig {
        total_steps: Some(steps),
        eval_every: Every::Iterations(0),
        eval_episodes: 10,
        ..TrainConfig::default()
    };
    let summary = train(
        algorithm,
        &mut cartpoles(5),
        &config,
        &mut RunLogger::quiet(),
    )
    .unwrap();
    println!(
        "after {} steps: {:?}",
        summary.total_steps, summary.final_eval.returns
    );
    summary.final_eval.mean
}

#[test]
fn learning_ppo_icm_cartpole_150_within_30k_steps() {
    let _turn = device_stream_turn();
    let device = test_device();
    device.seed(0);
    let setup = setup(&device, 0);
    let icm = Icm::new(ppo(&setup), IcmConfig::default(), &setup).unwrap();
    let budget = Budget::MinSteps(256);
    let mut algorithm = OnPolicy::new(icm, cartpoles(8), budget, &setup).unwrap();
    let mean = final_eval(&mut algorithm, 30_000);
    assert!(mean >= 150.0, "eval mean {mean}");
}

#[test]
fn learning_svpg_ppo_cartpole_150_within_30k_steps_per_particle() {
    let _turn = device_stream_turn();
    let device = test_device();
    device.seed(0);
    let particles: Vec<OnPolicyAgent<Ppo>> = (0..3)
        .map(|i| {
            let setup = setup(&device, 8 * i);
            OnPolicyAgent::new(ppo(&setup), cartpoles(8), Budget::MinSteps(256), &setup).unwrap()
        })
        .collect();
    let config = SvpgConfig {
        num_particles: 3,
        ..SvpgConfig::default()
    };
    let mut svpg = Svpg::new(particles, config).unwrap();
    let mean = final_eval(&mut svpg, 3 * 30_000);
    assert!(mean >= 150.0, "eval mean of the best particle {mean}");
}
