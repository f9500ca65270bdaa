//! A2C on CartPole-v1 with the library API: 8 environments × 5 steps per update, policy and
//! value network trained together with RMSprop (SB3's defaults, RL Zoo's 500k-step budget).
//!
//! Run with `cargo run --release --example a2c_cartpole`.

use cinder::agent::Setup;
use cinder::core::VecEnv;
use cinder::data::Budget;
use cinder::envs::make;
use cinder::nn::parse_device;
use cinder::pg::{A2c, A2cConfig, GaeConfig, OnPolicy};
use cinder::train::{Every, RunLogger, TrainConfig, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = parse_device("flex")?;
    device.seed(0);
    let envs = VecEnv::from_fn(8, |_| make("CartPole-v1"))?;
    let mut eval = VecEnv::from_fn(10, |_| make("CartPole-v1"))?;
    let config = TrainConfig::steps(500_000, Every::Iterations(1000));
    let setup = Setup::new(&envs, &device, &device, 0);

    let a2c_config = A2cConfig {
        batch_size: 40, // the whole rollout: one step per update
        // A2C's critic: plain n-step returns (λ = 1), raw advantages.
        critic: GaeConfig {
            lambda: 1.0,
            standardize_adv: false,
            ..GaeConfig::default()
        },
        ..A2cConfig::default()
    };
    let a2c = A2c::new(a2c_config, &setup)?;
    let mut algorithm = OnPolicy::new(a2c, envs, Budget::MinSteps(40), &setup)?;

    let summary = train(&mut algorithm, &mut eval, &config, &mut RunLogger::quiet())?;
    println!("{summary}");
    Ok(())
}
