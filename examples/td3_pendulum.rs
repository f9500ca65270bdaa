//! TD3 on Pendulum-v1 with the library API (no CLI), with the RL Zoo's hyper-parameters
//! (10 000 random transitions first, then one update per environment step, batch 256, lr 1e-3,
//! γ 0.98, 400-300 networks, Gaussian exploration noise σ = 0.1, τ = 0.005) and TD3's own
//! defaults (target smoothing σ̃ = 0.2 clipped at 0.5, a policy update every second update).
//!
//! Run with `cargo run --release --example td3_pendulum [flex|ndarray|wgpu]`.

use cinder::agent::Setup;
use cinder::core::VecEnv;
use cinder::envs::make;
use cinder::nn::{Activation, NetConfig, parse_device};
use cinder::offpolicy::{DdpgConfig, OffPolicy, ReplayConfig, Sides, Td3, Td3Config};
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
    let td3 = Td3::new(
        Td3Config {
            ddpg: DdpgConfig {
                sides: Sides::tied(NetConfig::new(&[400, 300], Activation::Relu), 1e-3, None),
                ..DdpgConfig::default()
            },
            ..Td3Config::default()
        },
        &setup,
    )?;
    let replay = ReplayConfig {
        memory_size: 200_000,
        num_init_memory_steps: 10_000,
        gamma: 0.98,
        ..ReplayConfig::default()
    };
    let mut algorithm = OffPolicy::new(td3, envs, replay, &setup)?;

    let summary = train(&mut algorithm, &mut eval, &config, &mut RunLogger::quiet())?;
    println!("{summary}");
    Ok(())
}
