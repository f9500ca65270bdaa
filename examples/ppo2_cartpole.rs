//! PPO2 (PPO with a clipped value loss and one joint loss for policy and value network) on
//! CartPole-v1 with the library API and RL Zoo's PPO hyper-parameters.
//!
//! Run with `cargo run --release --example ppo2_cartpole`.

use cinder::core::VecEnv;
use cinder::data::Budget;
use cinder::envs::make;
use cinder::nn::Schedule;
use cinder::nn::parse_device;
use cinder::pg::{Gae, GaeConfig, OnPolicy, Ppo2, Ppo2Config, PpoConfig};
use cinder::train::{RunLogger, TrainConfig, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = parse_device("flex")?;
    device.seed(0);
    let envs = VecEnv::from_fn(8, |_| make("CartPole-v1"))?;
    let (obs_space, act_space) = (
        envs.observation_space().clone(),
        envs.action_space().clone(),
    );

    let critic_config = GaeConfig {
        gamma: 0.98,
        lambda: 0.8,
        ..GaeConfig::default()
    };
    let critic = Gae::new(critic_config, &obs_space, &device)?;
    let config = Ppo2Config {
        ppo: PpoConfig {
            num_epoch: 20,
            batch_size: 256,
            lr: 1e-3,
            lr_schedule: Schedule::Linear,
            clip_schedule: Schedule::Linear,
            ..PpoConfig::default()
        },
        vfcn_coeff: 0.5,
    };
    let ppo2 = Ppo2::new(config, critic, &obs_space, &act_space, &device, 0)?;
    let mut algorithm = OnPolicy::new(ppo2, envs, 0, Budget::MinSteps(8 * 32), &device);

    let mut eval_envs = VecEnv::from_fn(10, |_| make("CartPole-v1"))?;
    let config = TrainConfig {
        total_steps: Some(100_000),
        eval_every: 50,
        ..TrainConfig::default()
    };
    let summary = train(
        &mut algorithm,
        &mut eval_envs,
        &config,
        &mut RunLogger::quiet(),
    )?;
    println!(
        "{} steps in {:.1} s; deterministic evaluation: {:.1} ± {:.1}",
        summary.total_steps, summary.wall_seconds, summary.final_eval.mean, summary.final_eval.std
    );
    Ok(())
}
