//! Steps 16 bridged environments in a Cinder `VecEnv` with random actions and prints the time
//! per environment step, to set beside `tools/gym_check/throughput.py` (the same in Python,
//! with and without Gymnasium's own vector environment).
//!
//! `cargo run --release -p cinder-gym --example gym_throughput -- CartPole-v1 20000`

use std::time::Instant;

use cinder_core::seeding::rng_from_seed;
use cinder_core::{ActionBatch, EnvError, VecEnv};
use cinder_gym::{GymEnv, GymId};

fn main() -> Result<(), EnvError> {
    let mut args = std::env::args().skip(1);
    let id = GymId::parse(&args.next().unwrap_or_else(|| "CartPole-v1".into()))?;
    let steps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let n = 16;
    let mut envs = VecEnv::from_fn(n, |_| Ok(Box::new(GymEnv::make(&id)?) as _))?;
    envs.reset(Some(0));
    let mut rng = rng_from_seed(0);
    let space = envs.action_space().clone();
    let batches: Vec<ActionBatch> = (0..64)
        .map(|_| ActionBatch::sample(&space, n, &mut rng))
        .collect();
    let start = Instant::now();
    for step in 0..steps {
        envs.step(batches[step % batches.len()].as_actions())?;
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{id}: {n} envs x {steps} steps through the bridge: {:.2} us per environment step",
        seconds * 1e6 / (n * steps) as f64
    );
    Ok(())
}
