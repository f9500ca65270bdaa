//! `VecEnv` on real environments: autoreset keeps final observations, seeding matches single
//! environments seeded `seed + i`, malformed batches move nothing.

use cinder_core::{Action, Actions, Env, EnvError, EpisodeRecord, VecEnv};
use cinder_envs::make;

fn cartpoles(n: usize) -> VecEnv {
    VecEnv::from_fn(n, |_| make("CartPole-v1")).unwrap()
}

fn states(vec_env: &VecEnv) -> Vec<Vec<f64>> {
    (0..vec_env.num_envs())
        .map(|i| vec_env.env(i).unwrap().state().unwrap())
        .collect()
}

#[test]
fn matches_single_envs_seeded_seed_plus_index_with_autoreset() {
    let n = 3;
    let mut vec_env = cartpoles(n);
    let mut singles: Vec<_> = (0..n).map(|_| make("CartPole-v1").unwrap()).collect();
    let first = vec_env.reset(Some(10)).to_vec();
    let mut expected: Vec<f32> = Vec::new();
    for (i, env) in singles.iter_mut().enumerate() {
        expected.extend(env.reset(Some(10 + i as u64)));
    }
    assert_eq!(first, expected);

    let mut finished = 0;
    for t in 0..300 {
        let actions: Vec<usize> = (0..n).map(|i| (t / 7 + i) % 2).collect();
        let step = vec_env.step(Actions::Discrete(&actions)).unwrap();
        for (i, env) in singles.iter_mut().enumerate() {
            let single = env.step(Action::Discrete(actions[i])).unwrap();
            assert_eq!(step.rewards[i], single.reward);
            assert_eq!(step.terminated[i], single.terminated);
            assert_eq!(step.truncated[i], single.truncated);
            let row = &step.observations[i * 4..(i + 1) * 4];
            if single.terminated || single.truncated {
                finished += 1;
                assert_eq!(
                    &step.final_observations[i * 4..(i + 1) * 4],
                    &single.observation[..]
                );
                assert_eq!(row, &env.reset(None)[..], "autoreset observation");
                assert!(step.finished_episodes.iter().any(|e| e.env_index == i));
            } else {
                assert_eq!(row, &single.observation[..]);
            }
        }
    }
    assert!(finished > 3, "the test should cross several episode ends");
}

#[test]
fn episode_records_sum_rewards_and_count_steps() {
    let mut vec_env = cartpoles(2);
    vec_env.reset(Some(0));
    let mut returns = [0.0f64; 2];
    let mut lengths = [0usize; 2];
    let mut records = Vec::new();
    for _ in 0..200 {
        let step = vec_env.step(Actions::Discrete(&[0, 1])).unwrap();
        for i in 0..2 {
            returns[i] += step.rewards[i];
            lengths[i] += 1;
        }
        for record in step.finished_episodes {
            let i = record.env_index;
            assert_eq!(record.episode_return, returns[i]);
            assert_eq!(record.length, lengths[i]);
            assert!(record.terminated);
            records.push(*record);
            returns[i] = 0.0;
            lengths[i] = 0;
        }
    }
    assert!(records.len() >= 4);
}

#[test]
fn truncation_is_reported_and_keeps_the_final_observation() {
    let mut vec_env = VecEnv::from_fn(2, |_| make("Pendulum-v1")).unwrap();
    vec_env.reset(Some(0));
    for t in 1..=200 {
        let step = vec_env.step(Actions::Continuous(&[0.0, 1.0])).unwrap();
        assert_eq!(step.truncated, &[t == 200, t == 200]);
        assert_eq!(step.terminated, &[false, false]);
        if t == 200 {
            assert_eq!(step.finished_episodes.len(), 2);
            assert_ne!(step.final_observations, step.observations);
        }
    }
}

#[test]
fn malformed_batches_are_refused_before_any_env_moves() {
    let mut vec_env = cartpoles(2);
    vec_env.reset(Some(0));
    let before = states(&vec_env);
    for actions in [
        Actions::Discrete(&[0]),
        Actions::Discrete(&[0, 2]),
        Actions::Continuous(&[0.0, 1.0]),
    ] {
        let err = vec_env.step(actions).err().unwrap();
        assert!(matches!(err, EnvError::InvalidAction { .. }));
        assert!(err.to_string().contains("CartPole-v1"), "{err}");
    }
    let mut pendulums = VecEnv::from_fn(2, |_| make("Pendulum-v1")).unwrap();
    pendulums.reset(Some(0));
    assert!(
        pendulums
            .step(Actions::Continuous(&[0.0, f32::NAN]))
            .is_err()
    );
    assert!(pendulums.step(Actions::Continuous(&[0.0])).is_err());
    let after = states(&vec_env);
    assert_eq!(before, after);
}

#[test]
fn construction_errors() {
    assert!(VecEnv::new(vec![]).is_err());
    let mixed = VecEnv::new(vec![
        make("CartPole-v1").unwrap(),
        make("Acrobot-v1").unwrap(),
    ]);
    let err = mixed.err().unwrap().to_string();
    assert!(
        err.contains("CartPole-v1") && err.contains("Acrobot-v1"),
        "{err}"
    );
    let mut fresh = cartpoles(1);
    assert!(matches!(
        fresh.step(Actions::Discrete(&[0])),
        Err(EnvError::ResetNeeded { .. })
    ));
}

/// Everything a run produces, for a given seed, whatever the number of worker threads.
fn pendulum_run(num_workers: usize) -> (Vec<f32>, Vec<f64>, Vec<EpisodeRecord>, Vec<Vec<f64>>) {
    let mut vec_env = VecEnv::from_fn(7, |_| make("Pendulum-v1"))
        .unwrap()
        .with_num_workers(num_workers)
        .unwrap();
    let mut obs = vec_env.reset(Some(3)).to_vec();
    let mut rewards = Vec::new();
    let mut episodes = Vec::new();
    for t in 0..450 {
        let actions: Vec<f32> = (0..7)
            .map(|i| ((t * 7 + i) as f32 * 0.37).sin() * 2.5)
            .collect();
        let step = vec_env.step(Actions::Continuous(&actions)).unwrap();
        obs.extend_from_slice(step.observations);
        obs.extend_from_slice(step.final_observations);
        rewards.extend_from_slice(step.rewards);
        episodes.extend_from_slice(step.finished_episodes);
    }
    (obs, rewards, episodes, states(&vec_env))
}

#[test]
fn results_do_not_depend_on_the_number_of_workers() {
    let reference = pendulum_run(1);
    assert_eq!(
        reference.2.len(),
        14,
        "two time limits per env in 450 steps"
    );
    for workers in [2, 3, 7, 16] {
        assert_eq!(pendulum_run(workers), reference, "{workers} workers");
    }
    assert!(cartpoles(2).with_num_workers(0).is_err());
    assert_eq!(cartpoles(2).with_num_workers(8).unwrap().num_workers(), 2);
}
