//! Behaviour cloning on Pendulum-v1 from a dataset, with the library API (no CLI).
//!
//! Without an argument it makes its own dataset: a short SAC run (the preset's
//! hyper-parameters, 12,000 steps) is rolled out with Gaussian noise (σ = 0.1 of the half
//! action range) for 10,000 transitions. With a path it reads that Minari dataset instead.
//! Then 5000 BC updates (MSE to the logged actions), evaluated every 1000.
//!
//! Run with `cargo run --release --example bc_pendulum [DATASET_DIR]`.

use std::path::Path;

use cinder::agent::Setup;
use cinder::core::{ActMode, VecEnv};
use cinder::data::{Dataset, Noise, Noisy, record};
use cinder::envs::make;
use cinder::nn::{Activation, NetConfig, parse_device};
use cinder::offline::{Bc, BcConfig, Offline, OfflineConfig, minari};
use cinder::offpolicy::{OffPolicy, ReplayConfig, Sac, SacConfig, Sides};
use cinder::train::{Every, RunLogger, TrainConfig, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = parse_device("flex")?;
    device.seed(0);
    let dataset = match std::env::args().nth(1) {
        Some(path) => minari::load(Path::new(&path))?,
        None => collect(&device)?,
    };
    let stats = dataset.return_stats();
    println!(
        "dataset: {} transitions, {} episodes, return {:.1} ± {:.1}",
        dataset.num_steps(),
        dataset.episodes.len(),
        stats.mean,
        stats.std
    );

    let mut eval = VecEnv::from_fn(10, |_| make("Pendulum-v1"))?;
    dataset.check_spaces(eval.observation_space(), eval.action_space())?;
    let setup = Setup::new(&eval, &device, &device, 0);
    let bc = Bc::new(
        BcConfig {
            net: NetConfig::new(&[256, 256], Activation::Relu),
            ..BcConfig::default()
        },
        &setup,
    )?;
    let sampling = OfflineConfig {
        batch_size: 256,
        ..OfflineConfig::default()
    };
    let mut algorithm = Offline::new(bc, &dataset, sampling, &setup)?;
    let config = TrainConfig::updates(5000, Every::Iterations(1));
    let summary = train(&mut algorithm, &mut eval, &config, &mut RunLogger::quiet())?;
    println!("{summary}");
    Ok(())
}

/// 10,000 noisy transitions of a SAC policy trained for 12,000 steps.
fn collect(device: &cinder::burn::tensor::Device) -> Result<Dataset, Box<dyn std::error::Error>> {
    let mut envs = VecEnv::from_fn(1, |_| make("Pendulum-v1"))?;
    let setup = Setup::new(&envs, device, device, 0);
    let sac = Sac::new(
        SacConfig {
            sides: Sides::tied(NetConfig::new(&[256, 256], Activation::Relu), 1e-3, None),
            entropy_coeff_init: 1.0,
            standardize_rew: false,
            ..SacConfig::default()
        },
        &setup,
    )?;
    let replay = ReplayConfig {
        num_init_memory_steps: 256,
        ..ReplayConfig::default()
    };
    let online = VecEnv::from_fn(1, |_| make("Pendulum-v1"))?;
    let mut sac = OffPolicy::new(sac, online, replay, &setup)?;
    let mut eval = VecEnv::from_fn(5, |_| make("Pendulum-v1"))?;
    let summary = train(
        &mut sac,
        &mut eval,
        &TrainConfig::steps(12_000, Every::Iterations(4000)),
        &mut RunLogger::quiet(),
    )?;
    println!("behaviour policy (SAC): {summary}");
    let space = envs.action_space().clone();
    let mut behaviour = Noisy::new(&mut sac, &space, Noise::Gaussian(0.1), 1)?;
    Ok(record(
        &mut behaviour,
        &mut envs,
        10_000,
        ActMode::Greedy,
        1,
    )?)
}
