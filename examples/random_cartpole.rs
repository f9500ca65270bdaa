//! Random actions on CartPole-v1: the smallest complete use of Cinder's environments.
//!
//! Eight CartPoles are stepped as one `VecEnv`; every finished episode's return is printed.
//! Run with `cargo run --release --example random_cartpole`.

use cinder_core::seeding::rng_from_seed;
use cinder_core::{Actions, EnvError, VecEnv};
use cinder_envs::make;

fn main() -> Result<(), EnvError> {
    let num_envs = 8;
    let mut envs = VecEnv::from_fn(num_envs, |_| make("CartPole-v1"))?;
    let action_space = *envs
        .action_space()
        .as_discrete()
        .expect("CartPole's actions are discrete");
    let mut rng = rng_from_seed(0);
    envs.reset(Some(0));

    let mut returns = Vec::new();
    let mut actions = vec![0; num_envs];
    while returns.len() < 20 {
        for a in actions.iter_mut() {
            *a = action_space.sample(&mut rng);
        }
        let step = envs.step(Actions::Discrete(&actions))?;
        for episode in step.finished_episodes {
            println!(
                "episode {:>2} (env {}): return {:>5.1} in {:>3} steps ({})",
                returns.len() + 1,
                episode.env_index,
                episode.episode_return,
                episode.length,
                if episode.terminated {
                    "terminated"
                } else {
                    "truncated"
                }
            );
            returns.push(episode.episode_return);
        }
    }
    let mean = returns.iter().sum::<f64>() / returns.len() as f64;
    println!(
        "mean return of a random policy over {} episodes: {mean:.1}",
        returns.len()
    );
    Ok(())
}
