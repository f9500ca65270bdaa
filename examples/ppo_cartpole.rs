//! PPO on CartPole-v1 with the library API (no CLI): sample with a policy copy on the CPU,
//! update on the learning device, sync, repeat; then evaluate the greedy policy.
//!
//! Run with `cargo run --release --example ppo_cartpole [flex|ndarray|wgpu]`.

use cinder::core::VecEnv;
use cinder::data::{Budget, Sampler};
use cinder::envs::make;
use cinder::nn::parse_device;
use cinder::pg::{Gae, GaeConfig, PolicyActor, Ppo, PpoConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let learn_device = parse_device(&std::env::args().nth(1).unwrap_or("flex".into()))?;
    let act_device = parse_device("flex")?;
    learn_device.seed(0);

    // RL Zoo's CartPole hyper-parameters: 8 envs × 32 steps, batch 256, γ 0.98, λ 0.8,
    // 20 epochs, lr 1e-3, clip 0.2, 64-64 tanh networks (constant lr and clip here).
    let envs = VecEnv::from_fn(8, |_| make("CartPole-v1"))?;
    let (obs_space, act_space) = (
        envs.observation_space().clone(),
        envs.action_space().clone(),
    );
    let mut sampler = Sampler::new(envs, Some(0));
    let critic_config = GaeConfig {
        gamma: 0.98,
        lambda: 0.8,
        num_epoch: 20,
        batch_size: 256,
        lr: 1e-3,
        ..GaeConfig::default()
    };
    let critic = Gae::new(critic_config, &obs_space, &learn_device)?;
    let ppo_config = PpoConfig {
        num_epoch: 20,
        batch_size: 256,
        lr: 1e-3,
        ..PpoConfig::default()
    };
    let mut ppo = Ppo::new(ppo_config, critic, &obs_space, &act_space, &learn_device, 0)?;
    let mut actor = PolicyActor::new(ppo.policy(), &act_device, false);

    let start = std::time::Instant::now();
    let mut steps = 0;
    for iteration in 1..=100 {
        let rollout = sampler.collect(&mut actor, Budget::MinSteps(256))?;
        steps += rollout.len();
        let stats = ppo.update(&rollout)?;
        actor.sync(ppo.policy());
        if iteration % 10 == 0 {
            let returns: Vec<f64> = rollout.episodes.iter().map(|e| e.episode_return).collect();
            let mean = match returns.len() {
                0 => "(no episode ended)".to_string(),
                n => format!("{:.1}", returns.iter().sum::<f64>() / n as f64),
            };
            println!(
                "iter {iteration:>3}  steps {steps:>6}  episode return {mean:>6}  \
                 policy loss {:>7.4}  value loss {:>8.3}  entropy {:.3}",
                stats.policy_loss, stats.value_loss, stats.entropy
            );
        }
    }
    let eval_envs = VecEnv::from_fn(10, |_| make("CartPole-v1"))?;
    let mut greedy = PolicyActor::new(ppo.policy(), &act_device, true);
    let episodes = Sampler::new(eval_envs, Some(1000))
        .collect(&mut greedy, Budget::MinRollouts(10))?
        .episodes;
    let mean = episodes.iter().map(|e| e.episode_return).sum::<f64>() / episodes.len() as f64;
    println!(
        "{steps} steps in {:.1} s; greedy evaluation over {} episodes: {mean:.1}",
        start.elapsed().as_secs_f64(),
        episodes.len()
    );
    Ok(())
}
