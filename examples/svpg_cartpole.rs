//! SVPG with 8 A2C particles on CartPole-v1: each particle is an A2C learner with its own
//! critic, environments and seed (an `OnPolicyAgent`); `Svpg` updates them together along the
//! Stein direction, and the best particle acts. The settings are presets/svpg.toml's.
//!
//! Run with `cargo run --release --example svpg_cartpole [flex|ndarray|wgpu]`.

use cinder::agent::{OnPolicyAgent, Setup};
use cinder::core::VecEnv;
use cinder::data::Budget;
use cinder::envs::make;
use cinder::explore::{Svpg, SvpgConfig};
use cinder::nn::parse_device;
use cinder::pg::{A2c, A2cConfig, GaeConfig};
use cinder::train::{Every, RunLogger, TrainConfig, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let learn_device = parse_device(&std::env::args().nth(1).unwrap_or("flex".into()))?;
    let act_device = parse_device("flex")?;
    learn_device.seed(0);

    let config = SvpgConfig::default(); // 8 particles, temperature 1, horizon 50, RBF kernel
    let mut particles = Vec::new();
    for i in 0..config.num_particles {
        let seed = (i * 8) as u64; // distinct environment seeds for every particle
        let envs = VecEnv::from_fn(8, |_| make("CartPole-v1"))?;
        let setup = Setup::new(&envs, &learn_device, &act_device, seed);
        // SB3's A2C: λ = 1, raw advantages, RMSprop 7e-4, one minibatch of 8 × 5 steps.
        let critic = GaeConfig {
            lambda: 1.0,
            standardize_adv: false,
            lr: 7e-4,
            ..GaeConfig::default()
        };
        let a2c = A2c::new(
            A2cConfig {
                critic,
                ..A2cConfig::default()
            },
            &setup,
        )?;
        particles.push(OnPolicyAgent::new(a2c, envs, Budget::MinSteps(40), &setup)?);
    }
    let mut algorithm = Svpg::new(particles, config)?;

    let mut eval = VecEnv::from_fn(10, |_| make("CartPole-v1"))?;
    let config = TrainConfig::steps(4_000_000, Every::Iterations(500));
    let summary = train(&mut algorithm, &mut eval, &config, &mut RunLogger::quiet())?;
    println!("{summary}");
    Ok(())
}
