//! PPO on Pendulum-v1 (continuous actions): a diagonal Gaussian policy with a learned,
//! state-independent log-std; actions are clipped to [-2, 2] for the environment only.
//! Writes the same run files as the CLI (progress.csv, TensorBoard events, learning curve,
//! snapshots) into `runs/example-ppo-pendulum/`.
//!
//! Run with `cargo run --release --example ppo_pendulum`.

use cinder::agent::PolicyConfig;
use cinder::core::VecEnv;
use cinder::data::Budget;
use cinder::envs::make;
use cinder::nn::parse_device;
use cinder::pg::{Gae, GaeConfig, OnPolicy, Ppo, PpoConfig};
use cinder::train::{RunLogger, TrainConfig, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = parse_device("flex")?;
    device.seed(0);
    let envs = VecEnv::from_fn(4, |_| make("Pendulum-v1"))?;
    let (obs_space, act_space) = (
        envs.observation_space().clone(),
        envs.action_space().clone(),
    );

    let critic_config = GaeConfig {
        gamma: 0.9,
        lambda: 0.95,
        lr: 1e-3,
        ..GaeConfig::default()
    };
    let critic = Gae::new(critic_config, &obs_space, &device)?;
    let ppo_config = PpoConfig {
        lr: 1e-3,
        policy: PolicyConfig {
            std_init: 0.5,
            ..PolicyConfig::default()
        },
        ..PpoConfig::default()
    };
    let ppo = Ppo::new(ppo_config, critic, &obs_space, &act_space, &device, 0)?;
    let mut algorithm = OnPolicy::new(ppo, envs, 0, Budget::MinSteps(4 * 1024), &device);

    let dir = std::path::Path::new("runs/example-ppo-pendulum");
    std::fs::create_dir_all(dir)?;
    let mut logger = RunLogger::create(dir, serde_json::json!({"example": "ppo_pendulum"}), true)?;
    let mut eval_envs = VecEnv::from_fn(10, |_| make("Pendulum-v1"))?;
    let config = TrainConfig::steps(300_000, 10);
    let summary = train(&mut algorithm, &mut eval_envs, &config, &mut logger)?;
    println!("{summary}; files in {}", dir.display());
    Ok(())
}
