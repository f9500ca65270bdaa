//! PPO on CartPole-v1 with the library API (no CLI), RL Zoo hyper-parameters: build the
//! learner (and its critic) from the environments' `Setup`, wrap it with the environments in
//! `OnPolicy`, hand that to the training loop, and read the final deterministic evaluation.
//!
//! Run with `cargo run --release --example ppo_cartpole [flex|ndarray|wgpu]`.

use cinder::agent::Setup;
use cinder::core::VecEnv;
use cinder::data::Budget;
use cinder::envs::make;
use cinder::nn::Schedule;
use cinder::nn::parse_device;
use cinder::pg::{GaeConfig, OnPolicy, Ppo, PpoConfig};
use cinder::train::{Every, RunLogger, TrainConfig, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let learn_device = parse_device(&std::env::args().nth(1).unwrap_or("flex".into()))?;
    let act_device = parse_device("flex")?; // acting one step at a time is fastest on the CPU
    learn_device.seed(0);

    let envs = VecEnv::from_fn(8, |_| make("CartPole-v1"))?;
    let mut eval = VecEnv::from_fn(10, |_| make("CartPole-v1"))?;
    let config = TrainConfig::steps(100_000, Every::Iterations(50));
    let setup = Setup::new(&envs, &learn_device, &act_device, 0);

    // RL Zoo: γ 0.98, λ 0.8, 20 epochs of batch 256 over 8 envs × 32 steps, lr 1e-3 and clip
    // 0.2 both decaying linearly to 0, 64-64 tanh networks.
    let ppo = Ppo::new(
        PpoConfig {
            num_epoch: 20,
            batch_size: 256,
            lr: 1e-3,
            lr_schedule: Schedule::Linear,
            clip_schedule: Schedule::Linear,
            critic: GaeConfig {
                gamma: 0.98,
                lambda: 0.8,
                lr: 1e-3,
                lr_schedule: Schedule::Linear,
                ..GaeConfig::default()
            },
            ..PpoConfig::default()
        },
        &setup,
    )?;
    let mut algorithm = OnPolicy::new(ppo, envs, Budget::MinSteps(8 * 32), &setup)?;

    let summary = train(&mut algorithm, &mut eval, &config, &mut RunLogger::quiet())?;
    println!("{summary}");
    Ok(())
}
