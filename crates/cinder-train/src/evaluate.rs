//! Evaluation of the deterministic policy on separate environments.

use serde::{Deserialize, Serialize};

use crate::TrainError;
use cinder_core::{ActMode, ActionBatch, Actor, Observed, Space, VecEnv};

/// Returns of the evaluation episodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Undiscounted return of each episode.
    pub returns: Vec<f64>,
    /// Length of each episode.
    pub lengths: Vec<usize>,
    /// Mean return.
    pub mean: f64,
    /// Population standard deviation of the returns.
    pub std: f64,
}

impl Evaluation {
    /// Summarises `returns` and `lengths`.
    pub fn from_episodes(returns: Vec<f64>, lengths: Vec<usize>) -> Self {
        let n = returns.len().max(1) as f64;
        let mean = returns.iter().sum::<f64>() / n;
        let std = (returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n).sqrt();
        Self {
            returns,
            lengths,
            mean,
            std,
        }
    }
}

/// Runs `episodes` episodes with the deterministic actions of `algorithm` (an [`Algorithm`](crate::Algorithm) or any
/// other [`Actor`], a reloaded policy) on `envs`, reset with
/// `seed` (environment `i` gets `seed + i`). Environment `i` runs `(episodes + i) / num_envs`
/// of them (SB3's `evaluate_policy` split), so short episodes are not over-represented.
/// Continuous actions are clipped to the action space, as in training.
pub fn evaluate<A: Actor + ?Sized>(
    algorithm: &mut A,
    envs: &mut VecEnv,
    episodes: usize,
    seed: u64,
) -> Result<Evaluation, TrainError> {
    let n = envs.num_envs();
    let targets: Vec<usize> = (0..n).map(|i| (episodes + i) / n).collect();
    let mut done = vec![0usize; n];
    let (mut returns, mut lengths) = (Vec::with_capacity(episodes), Vec::new());
    let mut observations = envs.reset(Some(seed)).to_vec();
    let space = envs.action_space().clone();
    while done.iter().zip(&targets).any(|(d, t)| d < t) {
        let mut actions = algorithm
            .act_masked(Observed::of(envs), ActMode::Greedy)
            .map_err(|e| TrainError::Algorithm {
                iteration: 0,
                source: Box::new(e),
            })?
            .actions;
        if let (ActionBatch::Continuous(values), Space::Box(bounds)) = (&mut actions, &space) {
            for row in values.chunks_exact_mut(bounds.flat_dim()) {
                bounds.clip(row);
            }
        }
        let step = envs.step(actions.as_actions())?;
        for episode in step.finished_episodes {
            let i = episode.env_index;
            if done[i] < targets[i] {
                done[i] += 1;
                returns.push(episode.episode_return);
                lengths.push(episode.length);
            }
        }
        observations.copy_from_slice(step.observations);
    }
    Ok(Evaluation::from_episodes(returns, lengths))
}
