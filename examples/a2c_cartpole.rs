//! A2C on CartPole-v1 with the library API: 8 environments × 5 steps per update, policy and
//! value network trained together with RMSprop (SB3's defaults, RL Zoo's 500k-step budget).
//!
//! Run with `cargo run --release --example a2c_cartpole`.

use cinder::core::VecEnv;
use cinder::data::Budget;
use cinder::envs::make;
use cinder::nn::parse_device;
use cinder::pg::{A2c, A2cConfig, Gae, GaeConfig, OnPolicy};
use cinder::train::{RunLogger, TrainConfig, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = parse_device("flex")?;
    device.seed(0);
    let envs = VecEnv::from_fn(8, |_| make("CartPole-v1"))?;
    let mut eval = VecEnv::from_fn(10, |_| make("CartPole-v1"))?;
    let config = TrainConfig::steps(500_000, 1000);
    let (obs_space, act_space) = (
        envs.observation_space().clone(),
        envs.action_space().clone(),
    );

    // A2C's critic: plain n-step returns (λ = 1), raw advantages.
    let critic_config = GaeConfig {
        lambda: 1.0,
        standardize_adv: false,
        ..GaeConfig::default()
    };
    let critic = Gae::new(critic_config, &obs_space, &device)?;
    let a2c_config = A2cConfig {
        batch_size: 40, // the whole rollout: one step per update
        ..A2cConfig::default()
    };
    let a2c = A2c::new(a2c_config, critic, &obs_space, &act_space, &device, 0)?;
    let mut algorithm = OnPolicy::new(a2c, envs, 0, Budget::MinSteps(40), &device);

    let summary = train(&mut algorithm, &mut eval, &config, &mut RunLogger::quiet())?;
    println!("{summary}");
    Ok(())
}
