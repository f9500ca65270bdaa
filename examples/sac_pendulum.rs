//! SAC on Pendulum-v1 with the library API (no CLI), with the RL Zoo's hyper-parameters
//! (lr 1e-3, batch 256, 256 random transitions first (the Zoo: 100; Cinder draws a first
//! minibatch only once the memory holds one), one update per environment step, learned
//! entropy coefficient, τ = 0.005, no reward standardisation, no gradient clipping).
//!
//! Run with `cargo run --release --example sac_pendulum [flex|ndarray|wgpu]`.

use cinder::agent::Setup;
use cinder::core::VecEnv;
use cinder::envs::make;
use cinder::nn::{Activation, NetConfig, parse_device};
use cinder::offpolicy::{OffPolicy, ReplayConfig, Sac, SacConfig, Sides};
use cinder::train::{Every, RunLogger, TrainConfig, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let learn_device = parse_device(&std::env::args().nth(1).unwrap_or("flex".into()))?;
    let act_device = parse_device("flex")?;
    learn_device.seed(0);
    act_device.seed(0);

    let envs = VecEnv::from_fn(1, |_| make("Pendulum-v1"))?;
    let setup = Setup::new(&envs, &learn_device, &act_device, 0);
    let mut eval = VecEnv::from_fn(10, |_| make("Pendulum-v1"))?;
    let config = TrainConfig::steps(20_000, Every::Iterations(5000));
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
    let mut algorithm = OffPolicy::new(sac, envs, replay, &setup)?;

    let summary = train(&mut algorithm, &mut eval, &config, &mut RunLogger::quiet())?;
    println!("{summary}");
    Ok(())
}
