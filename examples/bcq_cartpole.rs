//! Discrete BCQ on CartPole-v1 from a dataset, with the library API (no CLI).
//!
//! Without an argument it makes its own dataset: a short DQL run (the preset's
//! hyper-parameters, 20,000 steps) is rolled out ε-greedily (ε = 0.2, Tianshou's gather script)
//! for 10,000 transitions. With a path it reads that Minari dataset instead (HDF5 or Arrow,
//! e.g. one written by `cinder collect`). Then 5000 BCQ updates, evaluated every 1000.
//!
//! Run with `cargo run --release --example bcq_cartpole [DATASET_DIR]`.

use std::path::Path;

use cinder::agent::Setup;
use cinder::core::{ActMode, VecEnv};
use cinder::data::{Dataset, Noise, Noisy, record};
use cinder::envs::make;
use cinder::nn::{Activation, NetConfig, Schedule, parse_device};
use cinder::offline::{Bcq, BcqConfig, Offline, OfflineConfig, minari};
use cinder::offpolicy::{Dql, DqlConfig, OffPolicy, ReplayConfig};
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

    let mut eval = VecEnv::from_fn(10, |_| make("CartPole-v1"))?;
    dataset.check_spaces(eval.observation_space(), eval.action_space())?;
    let setup = Setup::new(&eval, &device, &device, 0);
    let bcq = Bcq::new(
        BcqConfig {
            target_update_freq: 320,
            ..BcqConfig::default()
        },
        &setup,
    )?;
    let sampling = OfflineConfig {
        estimation_step: 3,
        ..OfflineConfig::default()
    };
    let mut algorithm = Offline::new(bcq, &dataset, sampling, &setup)?;
    let config = TrainConfig::updates(5000, Every::Iterations(1));
    let summary = train(&mut algorithm, &mut eval, &config, &mut RunLogger::quiet())?;
    println!("{summary}");
    Ok(())
}

/// 10,000 ε-greedy transitions of a DQL policy trained for 20,000 steps.
fn collect(device: &cinder::burn::tensor::Device) -> Result<Dataset, Box<dyn std::error::Error>> {
    let mut envs = VecEnv::from_fn(1, |_| make("CartPole-v1"))?;
    let setup = Setup::new(&envs, device, device, 0);
    let dql = Dql::new(
        DqlConfig {
            net: NetConfig::new(&[256, 256], Activation::Relu),
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
    let replay = ReplayConfig {
        memory_size: 100_000,
        min_steps: 256,
        num_updates_per_iter: 128,
        batch_size: 64,
        ..ReplayConfig::default()
    };
    let online = VecEnv::from_fn(1, |_| make("CartPole-v1"))?;
    let mut dql = OffPolicy::new(dql, online, replay, &setup)?;
    let mut eval = VecEnv::from_fn(5, |_| make("CartPole-v1"))?;
    let summary = train(
        &mut dql,
        &mut eval,
        &TrainConfig::steps(20_000, Every::Iterations(40)),
        &mut RunLogger::quiet(),
    )?;
    println!("behaviour policy (DQL): {summary}");
    let space = envs.action_space().clone();
    let mut behaviour = Noisy::new(&mut dql, &space, Noise::Epsilon(0.2), 1)?;
    Ok(record(
        &mut behaviour,
        &mut envs,
        10_000,
        ActMode::Greedy,
        1,
    )?)
}
