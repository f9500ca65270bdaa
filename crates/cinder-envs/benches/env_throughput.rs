//! Environment throughput: steps per second of each registered environment, alone and as a
//! `VecEnv` of 64, with random actions drawn beforehand (so the figure is the environment's
//! cost, autoresets included). Prints a markdown table; each figure is the median of 5 runs.
//!
//! `cargo xtask bench envs` (= `cargo bench -p cinder-envs --bench env_throughput`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use cinder_core::seeding::rng_from_seed;
use cinder_core::{Action, Actions, OwnedAction, Space, VecEnv};
use cinder_envs::{make, registry};

const RUNS: usize = 5;
const RUN_TIME: Duration = Duration::from_millis(400);
/// Pre-drawn actions, cycled through.
const ACTION_POOL: usize = 4096;

/// Steps per second of `step` (which performs `steps_per_call` environment steps per call),
/// median over `RUNS` runs of about `RUN_TIME` each.
fn steps_per_second(steps_per_call: usize, mut step: impl FnMut(usize)) -> f64 {
    let mut rates: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let mut calls = 0;
            while start.elapsed() < RUN_TIME {
                for _ in 0..64 {
                    step(calls);
                    calls += 1;
                }
            }
            (calls * steps_per_call) as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[RUNS / 2]
}

/// Flat pre-drawn actions: indices for discrete spaces, values for boxes.
fn action_pool(space: &Space, count: usize) -> (Vec<usize>, Vec<f32>) {
    let mut rng = rng_from_seed(0);
    let (mut indices, mut values) = (Vec::new(), Vec::new());
    for _ in 0..count {
        match space.sample(&mut rng) {
            OwnedAction::Discrete(i) => indices.push(i),
            OwnedAction::Continuous(v) => values.extend(v),
        }
    }
    (indices, values)
}

fn single_env(id: &str) -> f64 {
    let mut env = make(id).expect("registered id");
    let dim = env.action_space().flat_dim();
    let (indices, values) = action_pool(env.action_space(), ACTION_POOL);
    let mut obs = vec![0.0; env.observation_dim()];
    env.reset_into(Some(0), &mut obs);
    steps_per_second(1, |call| {
        let k = call % ACTION_POOL;
        let action = if indices.is_empty() {
            Action::Continuous(&values[k * dim..(k + 1) * dim])
        } else {
            Action::Discrete(indices[k])
        };
        let outcome = env.step_into(action, &mut obs).expect("valid action");
        if outcome.terminated || outcome.truncated {
            env.reset_into(None, &mut obs);
        }
        black_box(&obs);
    })
}

fn vec_env(id: &str, num_envs: usize) -> f64 {
    let mut envs = VecEnv::from_fn(num_envs, |_| make(id)).expect("registered id");
    let dim = envs.action_space().flat_dim();
    let batches = ACTION_POOL / num_envs;
    let (indices, values) = action_pool(envs.action_space(), batches * num_envs);
    envs.reset(Some(0));
    steps_per_second(num_envs, |call| {
        let k = call % batches;
        let actions = if indices.is_empty() {
            Actions::Continuous(&values[k * num_envs * dim..(k + 1) * num_envs * dim])
        } else {
            Actions::Discrete(&indices[k * num_envs..(k + 1) * num_envs])
        };
        black_box(envs.step(actions).expect("valid actions").observations);
    })
}

fn main() {
    println!("| env | single env (steps/s) | VecEnv x64 (steps/s) |");
    println!("|---|---:|---:|");
    for spec in registry() {
        println!(
            "| {} | {:.2e} | {:.2e} |",
            spec.id,
            single_env(&spec.id),
            vec_env(&spec.id, 64)
        );
    }
}
