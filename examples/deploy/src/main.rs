//! `deploy POLICY.safetensors`: runs a policy that `cinder export --format safetensors` wrote,
//! with no burn in the program (`cargo tree -p deploy` lists none), for a few episodes of the
//! environment it was trained on, and prints their returns.
//!
//! ```text
//! cinder train ppo --env CartPole-v1 --steps 100000
//! cinder export runs/ppo-CartPole-v1-<time> --format safetensors
//! cargo run --release -p deploy -- runs/ppo-CartPole-v1-<time>/policy.safetensors
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use cinder_core::{Action as EnvAction, Env};
use cinder_policy::{Action, Graph};
use clap::Parser;

/// Run an exported Cinder policy without burn.
#[derive(Parser)]
struct Args {
    /// The file `cinder export --format safetensors` wrote.
    policy: PathBuf,
    /// Episodes to run.
    #[arg(long, default_value_t = 10)]
    episodes: usize,
    /// Seed of the first episode (episode `i` is reset with `seed + i`).
    #[arg(long, default_value_t = 10_000)]
    seed: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("deploy: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let policy = Graph::load(&args.policy)?;
    let mut env = cinder_envs::make(&policy.env)?;
    println!(
        "{} policy for {}: {} observation values, {} layers",
        policy.algo,
        policy.env,
        policy.observation_dim,
        policy.layers.len()
    );
    let mut returns = Vec::with_capacity(args.episodes);
    for i in 0..args.episodes {
        returns.push(episode(&policy, env.as_mut(), args.seed + i as u64)?);
    }
    let mean = returns.iter().sum::<f64>() / returns.len().max(1) as f64;
    println!(
        "returns {returns:?}\nmean return {mean:.2} over {} episodes",
        returns.len()
    );
    Ok(())
}

/// One episode's return, acting with the policy's deterministic action.
fn episode(
    policy: &Graph,
    env: &mut dyn Env,
    seed: u64,
) -> Result<f64, Box<dyn std::error::Error>> {
    let mut observation = env.reset(Some(seed));
    let mut total = 0.0;
    loop {
        let step = match policy.act(&observation)? {
            Action::Discrete(a) => env.step(EnvAction::Discrete(a))?,
            Action::Continuous(values) => env.step(EnvAction::Continuous(&values))?,
        };
        total += step.reward;
        if step.terminated || step.truncated {
            return Ok(total);
        }
        observation = step.observation;
    }
}
