//! PPO with the Intrinsic Curiosity Module on MountainCar-v0, where the only reward is −1 per
//! step until the flag: `Icm::new` wraps the PPO learner, and the wrapped learner goes into
//! the on-policy loop like any other. The settings are those of presets/ppo.toml (PPO alone
//! does not reach the flag within this budget; with curiosity it does on the seeds we tried).
//!
//! Run with `cargo run --release --example ppo_icm_mountaincar [flex|ndarray|wgpu]`.

use cinder::agent::Setup;
use cinder::core::VecEnv;
use cinder::data::Budget;
use cinder::envs::make;
use cinder::explore::{Icm, IcmConfig};
use cinder::nn::parse_device;
use cinder::pg::{GaeConfig, OnPolicy, Ppo, PpoConfig};
use cinder::train::{Every, RunLogger, TrainConfig, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let learn_device = parse_device(&std::env::args().nth(1).unwrap_or("flex".into()))?;
    let act_device = parse_device("flex")?;
    learn_device.seed(0);

    let envs = VecEnv::from_fn(16, |_| make("MountainCar-v0"))?;
    let mut eval = VecEnv::from_fn(10, |_| make("MountainCar-v0"))?;
    let setup = Setup::new(&envs, &learn_device, &act_device, 0);
    let ppo = Ppo::new(
        PpoConfig {
            num_epoch: 4,
            critic: GaeConfig {
                gamma: 0.99,
                lambda: 0.98,
                ..GaeConfig::default()
            },
            ..PpoConfig::default()
        },
        &setup,
    )?;
    // Curiosity 10× Tianshou's scale: raw MountainCar observations give small feature errors.
    let icm = IcmConfig {
        reward_scale: 10.0,
        ..IcmConfig::default()
    };
    let learner = Icm::new(ppo, icm, &setup)?;
    let mut algorithm = OnPolicy::new(learner, envs, Budget::MinSteps(16 * 128), &setup)?;

    let config = TrainConfig::steps(500_000, Every::Iterations(20));
    let summary = train(&mut algorithm, &mut eval, &config, &mut RunLogger::quiet())?;
    println!("{summary}");
    Ok(())
}
