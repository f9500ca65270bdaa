//! DDPG on Pendulum-v1 with the library API (no CLI), with the RL Zoo's hyper-parameters
//! (10 000 random transitions first, then one update per environment step, batch 256, lr 1e-3,
//! γ 0.98, 400-300 networks, Gaussian exploration noise σ = 0.1, τ = 0.005).
//!
//! Run with `cargo run --release --example ddpg_pendulum [flex|ndarray|wgpu]`.

use cinder::core::VecEnv;
use cinder::envs::make;
use cinder::nn::parse_device;
use cinder::offpolicy::{Ddpg, DdpgConfig, OffPolicy, ReplayConfig};
use cinder::train::{RunLogger, TrainConfig, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let learn_device = parse_device(&std::env::args().nth(1).unwrap_or("flex".into()))?;
    let act_device = parse_device("flex")?;
    learn_device.seed(0);
    act_device.seed(0);

    let envs = VecEnv::from_fn(1, |_| make("Pendulum-v1"))?;
    let ddpg = Ddpg::new(
        DdpgConfig {
            hidden: vec![400, 300],
            ..DdpgConfig::default()
        },
        envs.observation_dim(),
        envs.action_space(),
        &learn_device,
        &act_device,
        0,
    )?;
    let replay = ReplayConfig {
        memory_size: 200_000,
        min_steps: 1,
        num_updates_per_iter: 1,
        num_init_memory_steps: 10_000,
        batch_size: 256,
        gamma: 0.98,
        estimation_step: 1,
        prioritized: None,
        save_buffer: false,
        use_trained_policy_for_refill: false,
    };
    let mut algorithm = OffPolicy::new(ddpg, envs, replay, 0)?;

    let mut eval_envs = VecEnv::from_fn(10, |_| make("Pendulum-v1"))?;
    let config = TrainConfig {
        total_steps: Some(20_000),
        eval_every: 5000,
        ..TrainConfig::default()
    };
    let summary = train(
        &mut algorithm,
        &mut eval_envs,
        &config,
        &mut RunLogger::quiet(),
    )?;
    println!(
        "{} steps in {:.1} s; deterministic evaluation over {} episodes: {:.1} ± {:.1}",
        summary.total_steps,
        summary.wall_seconds,
        summary.final_eval.returns.len(),
        summary.final_eval.mean,
        summary.final_eval.std
    );
    Ok(())
}
