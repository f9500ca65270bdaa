//! DQL with the Intrinsic Curiosity Module on CartPole-v1 (Tianshou's ICM test setting):
//! `Icm::new` wraps the DQL learner; the replay loop hands it minibatches whose n-step
//! returns it raises by the curiosity reward of every window step before DQL forms its
//! targets. DQL's settings are presets/dql.toml's.
//!
//! Run with `cargo run --release --example dql_icm_cartpole [flex|ndarray|wgpu]`.

use cinder::agent::Setup;
use cinder::core::VecEnv;
use cinder::envs::make;
use cinder::explore::{Icm, IcmConfig};
use cinder::nn::{Activation, NetConfig, Schedule, parse_device};
use cinder::offpolicy::{Dql, DqlConfig, OffPolicy, ReplayConfig};
use cinder::train::{Every, RunLogger, TrainConfig, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let learn_device = parse_device(&std::env::args().nth(1).unwrap_or("flex".into()))?;
    let act_device = parse_device("flex")?;
    learn_device.seed(0);
    act_device.seed(0);

    let envs = VecEnv::from_fn(1, |_| make("CartPole-v1"))?;
    let setup = Setup::new(&envs, &learn_device, &act_device, 0);
    let mut eval = VecEnv::from_fn(10, |_| make("CartPole-v1"))?;
    let dql = Dql::new(
        DqlConfig {
            net: NetConfig::new(&[256, 256], Activation::Relu),
            eps_init: 1.0,
            eps_schedule_gamma: 0.9,
            eps_final: 0.04,
            target_update_intvl: 128,
            max_grad_norm: Some(10.0),
            lr: 2.3e-3,
            lr_schedule: Schedule::Linear,
            is_double: false,
            ..DqlConfig::default()
        },
        &setup,
    )?;
    // Tianshou's ICM test values: reward scale 0.01, forward-loss weight 0.2, lr scale 1.
    let learner = Icm::new(dql, IcmConfig::default(), &setup)?;
    let replay = ReplayConfig {
        memory_size: 100_000,
        min_steps: 256,
        num_updates_per_iter: 128,
        batch_size: 64,
        ..ReplayConfig::default()
    };
    let mut algorithm = OffPolicy::new(learner, envs, replay, &setup)?;

    let config = TrainConfig::steps(50_000, Every::Iterations(40));
    let summary = train(&mut algorithm, &mut eval, &config, &mut RunLogger::quiet())?;
    println!("{summary}");
    Ok(())
}
