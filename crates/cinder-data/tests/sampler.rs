//! The sampler on real environments: budgets, truncation bookkeeping, bootstrapping values,
//! determinism across worker counts, and actor errors.

use std::convert::Infallible;

use cinder_core::{ActMode, Acted, ActionBatch, Actor, VecEnv};
use cinder_data::{Budget, Rollout, SampleError, Sampler};
use cinder_envs::make;

/// A deterministic actor: pushes the cart toward the pole's lean, with a pseudo log-prob.
struct Lean;

impl Actor for Lean {
    type Error = Infallible;

    fn act(&mut self, obs: &[f32], n: usize, _: ActMode) -> Result<Acted, Infallible> {
        let rows = obs.chunks_exact(obs.len() / n);
        Ok(Acted {
            actions: ActionBatch::Discrete(rows.clone().map(|o| usize::from(o[2] > 0.0)).collect()),
            log_probs: Some(rows.map(|o| -o[0].abs()).collect()),
        })
    }
}

/// A torque that depends on the observation, for Pendulum.
struct Swing;

impl Actor for Swing {
    type Error = Infallible;

    fn act(&mut self, obs: &[f32], n: usize, _: ActMode) -> Result<Acted, Infallible> {
        let rows = obs.chunks_exact(3);
        Ok(Acted {
            actions: ActionBatch::Continuous(rows.clone().map(|o| 2.0 * o[2].signum()).collect()),
            log_probs: Some(vec![0.0; n]),
        })
    }
}

fn sampler(id: &str, n: usize, workers: usize, seed: u64) -> Sampler {
    let envs = VecEnv::from_fn(n, |_| make(id))
        .unwrap()
        .with_num_workers(workers)
        .unwrap();
    Sampler::new(envs, Some(seed))
}

#[test]
fn budgets_are_met_in_whole_lockstep_steps() {
    let mut s = sampler("CartPole-v1", 8, 1, 0);
    let rollout = s.collect(&mut Lean, Budget::MinSteps(100)).unwrap();
    assert_eq!((rollout.len(), rollout.steps()), (104, 13));
    assert_eq!(rollout.observations.len(), 104 * 4);
    let rollout = s.collect(&mut Lean, Budget::MinRollouts(5)).unwrap();
    assert!(rollout.episodes.len() >= 5);
    let ended = rollout.terminated.iter().filter(|t| **t).count();
    assert_eq!(
        ended,
        rollout.episodes.len(),
        "CartPole episodes here end by termination"
    );
    assert!(matches!(
        s.collect(&mut Lean, Budget::MinSteps(0)),
        Err(SampleError::EmptyBudget(_))
    ));
}

#[test]
fn same_seed_same_rollouts_for_any_number_of_workers() {
    let run = |workers| -> Vec<Rollout> {
        let mut s = sampler("CartPole-v1", 6, workers, 11);
        (0..3)
            .map(|_| s.collect(&mut Lean, Budget::MinSteps(300)).unwrap())
            .collect()
    };
    let reference = run(1);
    assert!(reference.iter().map(|r| r.episodes.len()).sum::<usize>() > 3);
    for workers in [2, 4, 6] {
        assert_eq!(run(workers), reference, "{workers} workers");
    }
}

/// V(s) = sum of the observation: easy to evaluate on the host for every kind of row.
fn value(rows: &[f32], dim: usize) -> Vec<f32> {
    rows.chunks_exact(dim).map(|o| o.iter().sum()).collect()
}

#[test]
fn truncated_steps_bootstrap_from_their_final_observation() {
    let n = 3;
    let mut s = sampler("Pendulum-v1", n, 2, 5);
    let rollout = s.collect(&mut Swing, Budget::MinSteps(250 * n)).unwrap();
    // Every env hits the 200-step limit once, at step 199.
    assert_eq!(
        rollout.final_indices,
        (0..n).map(|i| 199 * n + i).collect::<Vec<_>>()
    );
    let values = value(&rollout.observations, 3);
    let finals = value(&rollout.final_observations, 3);
    let lasts = value(&rollout.last_observations, 3);
    let next = rollout.next_values(&values, &finals, &lasts);
    for k in 0..rollout.len() {
        let want = if let Some(j) = rollout.final_indices.iter().position(|&f| f == k) {
            finals[j]
        } else if k + n < rollout.len() {
            values[k + n]
        } else {
            lasts[k % n]
        };
        assert_eq!(next[k], f64::from(want), "transition {k}");
    }
    // The final observation is the pre-reset one, not the next row's reset observation.
    let k = rollout.final_indices[0];
    assert_ne!(finals[0], values[k + n]);

    // GAE over the rollout: returns = advantages + values, and a truncated step's advantage is
    // its own one-step TD error (the recursion is cut there).
    let (gamma, lambda) = (0.99, 0.95);
    let (adv, ret) = rollout.advantages(&values, &finals, &lasts, gamma, lambda);
    for k in 0..rollout.len() {
        assert!((ret[k] - (adv[k] + values[k])).abs() < 1e-3);
    }
    let delta = f64::from(rollout.rewards[k]) + gamma * f64::from(finals[0]) - f64::from(values[k]);
    assert!(
        (f64::from(adv[k]) - delta).abs() < 1e-4,
        "{} vs {delta}",
        adv[k]
    );
}

/// An actor that always takes the one-dimensional continuous action `.0` with log-probability
/// `.1`.
struct Constant(f32, f32);

impl Actor for Constant {
    type Error = Infallible;

    fn act(&mut self, _: &[f32], n: usize, _: ActMode) -> Result<Acted, Infallible> {
        Ok(Acted {
            actions: ActionBatch::Continuous(vec![self.0; n]),
            log_probs: Some(vec![self.1; n]),
        })
    }
}

#[test]
fn a_malformed_actor_batch_is_an_error() {
    let mut s = sampler("CartPole-v1", 2, 1, 0);
    let err = s
        .collect(&mut Constant(0.0, 0.0), Budget::MinSteps(10))
        .unwrap_err();
    assert!(matches!(err, SampleError::BadBatch(_)), "{err}");
    assert!(err.to_string().contains("Discrete(2)"), "{err}");
}

#[test]
fn continuous_actions_are_stored_raw_and_clipped_for_the_env() {
    let mut s = sampler("MountainCarContinuous-v0", 2, 1, 0);
    let rollout = s
        .collect(&mut Constant(7.5, -1.0), Budget::MinSteps(2))
        .unwrap();
    assert_eq!(rollout.actions, ActionBatch::Continuous(vec![7.5, 7.5]));
    // The env saw a = 1 (clipped): its reward is -0.1·1², not -0.1·7.5².
    assert!(
        (rollout.rewards[0] - -0.1).abs() < 1e-6,
        "{}",
        rollout.rewards[0]
    );
}

#[test]
fn next_observations_of_ended_steps_are_the_final_ones() {
    let (n, d) = (4, 4);
    let mut s = sampler("CartPole-v1", n, 1, 3);
    let rollout = s.collect(&mut Lean, Budget::MinRollouts(3)).unwrap();
    let ended: Vec<usize> = (0..rollout.len())
        .filter(|&k| rollout.terminated[k] || rollout.truncated[k])
        .collect();
    assert!(ended.len() >= 3);
    assert_eq!(rollout.final_indices, ended);
    let next = rollout.next_observations();
    assert_eq!(next.len(), rollout.observations.len());
    for k in 0..rollout.len() {
        let row = &next[k * d..(k + 1) * d];
        if rollout.terminated[k] {
            // CartPole terminates once the cart leaves ±2.4 or the pole leans past 12°: the
            // stored next observation is that state, not the next episode's reset.
            assert!(row[0].abs() > 2.4 || row[2].abs() > 0.2094, "{k}: {row:?}");
        } else if k + n < rollout.len() {
            assert_eq!(row, &rollout.observations[(k + n) * d..(k + n + 1) * d]);
        } else {
            assert_eq!(
                row,
                &rollout.last_observations[(k % n) * d..(k % n + 1) * d]
            );
        }
    }
}
