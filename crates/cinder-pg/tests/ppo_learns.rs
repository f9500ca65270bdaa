//! Learning smoke test: PPO reaches a mean deterministic return of at least 150 on CartPole-v1
//! within 50k steps (a threshold well below "solved"; the real bar, 475, is for the
//! benchmarks), driven by the shared training loop.
//!
//! Learning tests are named `learning_*`; `cargo xtask test` runs them on the flex leg only
//! (other backends draw other random numbers, and lavapipe is too slow for thousands of
//! updates), so the threshold is checked on one reproducible run.
//!
//! That run is reproducible on one machine only: flex's kernels sum in another order with
//! AVX-512 than with AVX2, so each machine kind draws its own run. The budget leaves room for
//! that: at 30k steps 2 of seeds 0-7 stalled near 125 on an AVX-512 machine (seed 0 among
//! them); at 50k the lowest of seeds 0-4 and 7 there was 235.

use cinder_agent::Setup;
use cinder_core::VecEnv;
use cinder_data::Budget;
use cinder_envs::make;
use cinder_nn::device::{device_stream_turn, test_device};
use cinder_pg::{GaeConfig, OnPolicy, Ppo, PpoConfig};
use cinder_train::{Every, RunLogger, TrainConfig, train};

/// The training budget in environment steps.
const STEPS: usize = 50_000;

#[test]
fn learning_ppo_cartpole_150_within_50k_steps() {
    let _turn = device_stream_turn();
    let device = test_device();
    device.seed(0);
    let envs = VecEnv::from_fn(8, |_| make("CartPole-v1")).unwrap();
    let setup = Setup::new(&envs, &device, &device, 0);
    // RL Zoo's CartPole hyper-parameters (8 envs × 32 steps, batch 256, γ 0.98, λ 0.8, 20 epochs,
    // lr 1e-3), without the linear schedules (the budget here is not the Zoo's).
    let ppo = Ppo::new(
        PpoConfig {
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
        },
        &setup,
    )
    .unwrap();
    let mut algorithm = OnPolicy::new(ppo, envs, Budget::MinSteps(256), &setup).unwrap();
    let mut eval_envs = VecEnv::from_fn(5, |_| make("CartPole-v1")).unwrap();
    let config = TrainConfig {
        total_steps: Some(STEPS),
        eval_every: Every::Iterations(0),
        eval_episodes: 10,
        ..TrainConfig::default()
    };
    let summary = train(
        &mut algorithm,
        &mut eval_envs,
        &config,
        &mut RunLogger::quiet(),
    )
    .unwrap();
    let eval = &summary.final_eval;
    println!(
        "after {} steps: eval mean {:.1} over {} episodes",
        summary.total_steps,
        eval.mean,
        eval.returns.len()
    );
    assert_eq!(eval.returns.len(), 10);
    assert!(summary.total_steps >= STEPS && summary.total_steps < STEPS + 256);
    assert!(
        eval.mean >= 150.0,
        "eval mean {} < 150: {:?}",
        eval.mean,
        eval.returns
    );
}
