//! Throughput of the acting path: a 64-64 tanh policy on flex choosing actions for a
//! `VecEnv` of CartPole-v1 through the sampler (policy forward, sampling, log-probabilities,
//! read-back, env steps, rollout storage). Prints a markdown table; run with
//! `cargo xtask bench acting` (release).

use std::time::Instant;

use burn::tensor::Device;
use cinder_agent::{Policy, PolicyActor, PolicyConfig};
use cinder_core::VecEnv;
use cinder_data::{Budget, Sampler};
use cinder_envs::make;

fn steps_per_second(id: &str, num_envs: usize, steps: usize) -> f64 {
    let device = Device::flex();
    device.seed(0);
    let envs = VecEnv::from_fn(num_envs, |_| make(id)).expect("registered env");
    let policy = Policy::new(
        &PolicyConfig::default(),
        envs.observation_dim(),
        envs.action_space(),
        &device,
    )
    .expect("valid policy");
    let mut actor = PolicyActor::new(&policy, envs.action_space(), &device, 0);
    let mut sampler = Sampler::new(envs, Some(0));
    // Warm-up, then the median of five timed collections.
    sampler
        .collect(&mut actor, Budget::MinSteps(steps / 10))
        .expect("sampling works");
    let mut rates: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let rollout = sampler
                .collect(&mut actor, Budget::MinSteps(steps))
                .expect("sampling works");
            rollout.len() as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[2]
}

fn main() {
    println!("| env | envs | steps/s (median of 5) |");
    println!("|---|---|---|");
    for id in ["CartPole-v1", "Pendulum-v1"] {
        for num_envs in [1, 8] {
            let rate = steps_per_second(id, num_envs, 20_000);
            println!("| {id} | {num_envs} | {rate:.0} |");
        }
    }
}
