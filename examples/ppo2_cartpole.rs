//! PPO2 (PPO with a clipped value loss and one joint loss for policy and value network) on
//! CartPole-v1 with the library API and RL Zoo's PPO hyper-parameters.
//!
//! Run with `cargo run --release --example ppo2_cartpole`.

use cinder::agent::Setup;
use cinder::core::VecEnv;
use cinder::data::Budget;
use cinder::envs::make;
use cinder::nn::Schedule;
use cinder::nn::parse_device;
use cinder::pg::{GaeConfig, OnPolicy, Ppo2, Ppo2Config, PpoConfig};
use cinder::train::{Every, RunLogger, TrainConfig, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = parse_device("flex")?;
    device.seed(0);
    let envs = VecEnv::from_fn(8, |_| make("CartPole-v1"))?;
    let mut eval = VecEnv::from_fn(10, |_| make("CartPole-v1"))?;
    let config = TrainConfig::steps(100_000, Every::Iterations(50));
    let setup = Setup::new(&envs, &device, &device, 0);

    let ppo2_config = Ppo2Config {
        ppo: PpoConfig {
            num_epoch: 20,
            batch_size: 256,
            lr: 1e-3,
            lr_schedule: Schedule::Linear,
            clip_schedule: Schedule::Linear,
            critic: GaeConfig {
                gamma: 0.98,
                lambda: 0.8,
                ..GaeConfig::default()
            },
            ..PpoConfig::default()
        },
        vfcn_coeff: 0.5,
    };
    let ppo2 = Ppo2::new(ppo2_config, &setup)?;
    let mut algorithm = OnPolicy::new(ppo2, envs, Budget::MinSteps(8 * 32), &setup)?;

    let summary = train(&mut algorithm, &mut eval, &config, &mut RunLogger::quiet())?;
    println!("{summary}");
    Ok(())
}
