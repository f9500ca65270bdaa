//! SAC on `PointReach-v0` through the library, with the settings of `train sac --env
//! PointReach-v0` (this crate's presets over the CLI's SAC defaults), at the CLI's speed: the
//! CLI's allocator, and the work inside `cinder::with_fast_cpu` (its thread pool and subnormal
//! flush).
//!
//! `cargo run --release -p custom-env --example library [seed]`

use cinder::agent::Setup;
use cinder::core::VecEnv;
use cinder::envs::EnvSpec;
use cinder::nn::{Activation, NetConfig, parse_device};
use cinder::offpolicy::{OffPolicy, ReplayConfig, Sac, SacConfig, Sides};
use cinder::train::{Every, RunLogger, TrainConfig, train};
use custom_env::PointReach;

#[global_allocator]
static ALLOCATOR: cinder::Allocator = cinder::Allocator;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = std::env::args().nth(1).map_or(Ok(0), |s| s.parse())?;
    cinder::with_fast_cpu(|| run(seed).map_err(|e| e.to_string()))?;
    Ok(())
}

fn run(seed: u64) -> Result<(), Box<dyn std::error::Error>> {
    let device = parse_device("flex")?;
    device.seed(seed);
    let spec = EnvSpec::new(PointReach::ID, 100, PointReach::new);
    let envs = VecEnv::from_fn(1, |_| spec.make())?;
    let setup = Setup::new(&envs, &device, &device, seed);
    let mut eval = VecEnv::from_fn(1, |_| spec.make())?;
    let sac = Sac::new(
        SacConfig {
            sides: Sides::tied(NetConfig::new(&[64, 64], Activation::Relu), 1e-3, Some(5.0)),
            standardize_rew: false,
            ..SacConfig::default()
        },
        &setup,
    )?;
    let replay = ReplayConfig {
        num_init_memory_steps: 1000,
        ..ReplayConfig::default()
    };
    let mut algorithm = OffPolicy::new(sac, envs, replay, &setup)?;
    let config = TrainConfig::steps(20_000, Every::Iterations(2000));
    let summary = train(&mut algorithm, &mut eval, &config, &mut RunLogger::quiet())?;
    println!("{summary}");
    Ok(())
}
