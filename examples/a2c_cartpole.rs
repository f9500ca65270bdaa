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

    let mut eval_envs = VecEnv::from_fn(10, |_| make("CartPole-v1"))?;
    let config = TrainConfig {
        total_steps: Some(500_000),
        eval_every: 1000,
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
