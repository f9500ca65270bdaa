//! PPO on Pendulum-v1 (continuous actions): a diagonal Gaussian policy with a learned,
//! state-independent log-std; actions are clipped to [-2, 2] for the environment only.
//! Writes the same run files as the CLI (progress.csv, TensorBoard events, learning curve,
//! snapshots) into `runs/example-ppo-pendulum/`.
//!
//! Run with `cargo run --release --example ppo_pendulum`.

use cinder::agent::{PolicyConfig, Setup};
use cinder::core::VecEnv;
use cinder::data::Budget;
use cinder::envs::make;
use cinder::nn::parse_device;
use cinder::pg::{GaeConfig, OnPolicy, Ppo, PpoConfig};
use cinder::train::{Every, RunLogger, TrainConfig, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = parse_device("flex")?;
    device.seed(0);
    let envs = VecEnv::from_fn(4, |_| make("Pendulum-v1"))?;
    let setup = Setup::new(&envs, &device, &device, 0);

    let ppo_config = PpoConfig {
        lr: 1e-3,
        policy: PolicyConfig {
            std_init: 0.5,
            ..PolicyConfig::default()
        },
        critic: GaeConfig {
            gamma: 0.9,
            lambda: 0.95,
            lr: 1e-3,
            ..GaeConfig::default()
        },
        ..PpoConfig::default()
    };
    let ppo = Ppo::new(ppo_config, &setup)?;
    let mut algorithm = OnPolicy::new(ppo, envs, Budget::MinSteps(4 * 1024), &setup)?;

    let dir = std::path::Path::new("runs/example-ppo-pendulum");
    std::fs::create_dir_all(dir)?;
    let mut logger = RunLogger::create(dir, serde_json::json!({"example": "ppo_pendulum"}), true)?;
    let mut eval_envs = VecEnv::from_fn(10, |_| make("Pendulum-v1"))?;
    let config = TrainConfig::steps(300_000, Every::Iterations(10));
    let summary = train(&mut algorithm, &mut eval_envs, &config, &mut logger)?;
    println!("{summary}; files in {}", dir.display());
    Ok(())
}
