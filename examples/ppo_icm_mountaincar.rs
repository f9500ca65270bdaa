//! PPO with the Intrinsic Curiosity Module on MountainCar-v0, where the only reward is −1 per
//! step until the flag: `Icm::new` wraps the PPO learner, and the wrapped learner goes into
//! the on-policy loop like any other. The settings are those of presets/ppo.toml (PPO alone
//! does not reach the flag within this budget; with curiosity it does on the seeds we tried).
//!
//! Run with `cargo run --release --example ppo_icm_mountaincar [flex|ndarray|wgpu]`.

use cinder::core::VecEnv;
use cinder::data::Budget;
use cinder::envs::make;
use cinder::explore::{Icm, IcmConfig};
use cinder::nn::parse_device;
use cinder::pg::{Gae, GaeConfig, OnPolicy, Ppo, PpoConfig};
use cinder::train::{RunLogger, TrainConfig, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let learn_device = parse_device(&std::env::args().nth(1).unwrap_or("flex".into()))?;
    let act_device = parse_device("flex")?;
    learn_device.seed(0);

    let envs = VecEnv::from_fn(16, |_| make("MountainCar-v0"))?;
    let mut eval = VecEnv::from_fn(10, |_| make("MountainCar-v0"))?;
    let (obs_space, act_space) = (
        envs.observation_space().clone(),
        envs.action_space().clone(),
    );
    let critic = Gae::new(
        GaeConfig {
            gamma: 0.99,
            lambda: 0.98,
            ..GaeConfig::default()
        },
        &obs_space,
        &learn_device,
    )?;
    let ppo = Ppo::new(
        PpoConfig {
            num_epoch: 4,
            ..PpoConfig::default()
        },
        critic,
        &obs_space,
        &act_space,
        &learn_device,
        0,
    )?;
    // Curiosity 10× Tianshou's scale: raw MountainCar observations give small feature errors.
    let icm = IcmConfig {
        reward_scale: 10.0,
        ..IcmConfig::default()
    };
    let learner = Icm::new(ppo, icm, &obs_space, &act_space, &learn_device)?;
    let mut algorithm = OnPolicy::new(learner, envs, 0, Budget::MinSteps(16 * 128), &act_device);

    let config = TrainConfig::steps(500_000, 20);
    let summary = train(&mut algorithm, &mut eval, &config, &mut RunLogger::quiet())?;
    println!("{summary}");
    Ok(())
}
