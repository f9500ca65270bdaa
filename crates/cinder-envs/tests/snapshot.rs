//! `Env::snapshot` / `restore` and `VecEnv::snapshot` / `restore`: an environment restored
//! into a fresh copy goes on exactly as the original (states, rewards, flags and the resets
//! its generator draws), whatever the point of the episode it was saved at.

use cinder_core::seeding::rng_from_seed;
use cinder_core::{ActionBatch, Env, EnvError, NormalizeObservation, OwnedAction, Space, VecEnv};
use proptest::prelude::*;

/// `steps` random actions drawn with `seed`, for `space`, `n` environments at a time.
fn actions(space: &Space, n: usize, steps: usize, seed: u64) -> Vec<ActionBatch> {
    let mut rng = rng_from_seed(seed);
    (0..steps)
        .map(|_| ActionBatch::sample(space, n, &mut rng))
        .collect()
}

/// Everything `steps` of `envs` return, as comparable bits.
fn trace(envs: &mut VecEnv, actions: &[ActionBatch]) -> Vec<(Vec<u32>, Vec<u64>, Vec<bool>)> {
    actions
        .iter()
        .map(|a| {
            let step = envs.step(a.as_actions()).expect("valid actions");
            let mut flags = step.terminated.to_vec();
            flags.extend_from_slice(step.truncated);
            (
                step.observations.iter().map(|x| x.to_bits()).collect(),
                step.rewards.iter().map(|x| x.to_bits()).collect(),
                flags,
            )
        })
        .collect()
}

fn vec_env(id: &str, n: usize) -> VecEnv {
    let spec = cinder_envs::spec(id).expect("registered");
    VecEnv::from_fn(n, |_| spec.make()).expect("same spaces")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Saved after `before` steps (episodes ending and autoresetting on the way), a fresh
    /// vector environment restored from the snapshot steps exactly as the original.
    #[test]
    fn restored_vec_env_goes_on_bit_for_bit(
        env in 0usize..5,
        seed in 0u64..1000,
        before in 0usize..400,
        n in 1usize..4,
    ) {
        let id = &cinder_envs::ids()[env];
        let mut original = vec_env(id, n);
        original.reset(Some(seed));
        let space = original.action_space().clone();
        let plan = actions(&space, n, before + 300, seed + 1);
        trace(&mut original, &plan[..before]);
        let saved = original.snapshot().expect("classic control saves its state");
        // Through text, as a snapshot file is.
        let text = serde_json::to_string(&saved).expect("json");
        let mut copy = vec_env(id, n);
        copy.restore(&serde_json::from_str(&text).expect("json")).expect("same kind");
        prop_assert_eq!(copy.observations(), original.observations());
        let expected = trace(&mut original, &plan[before..]);
        prop_assert_eq!(trace(&mut copy, &plan[before..]), expected);
    }
}

#[test]
fn every_registered_env_saves_its_state() {
    for id in cinder_envs::ids() {
        let mut env = cinder_envs::make(&id).expect("registered");
        env.reset(Some(3));
        let saved = env.snapshot().expect("snapshot");
        let mut other = cinder_envs::make(&id).expect("registered");
        other.restore(&saved).expect("restore");
        assert_eq!(
            other.state().expect("state"),
            env.state().expect("state"),
            "{id}"
        );
    }
}

#[test]
fn a_snapshot_that_does_not_fit_changes_nothing() {
    let mut cartpole = vec_env("CartPole-v1", 2);
    cartpole.reset(Some(0));
    let before = cartpole.snapshot().expect("snapshot");

    let mut pendulum = vec_env("Pendulum-v1", 2);
    pendulum.reset(Some(0));
    let wrong_kind = pendulum.snapshot().expect("snapshot");
    let err = cartpole
        .restore(&wrong_kind)
        .expect_err("another observation size");
    assert!(
        err.to_string().contains("6 observation values saved"),
        "{err}"
    );
    assert_eq!(cartpole.snapshot().expect("snapshot"), before);

    let mut one = cinder_envs::make("CartPole-v1").expect("registered");
    one.reset(Some(1));
    let one_before = one.snapshot().expect("snapshot");
    let pendulum_one = pendulum
        .env(0)
        .expect("env 0")
        .snapshot()
        .expect("snapshot");
    let err = one
        .restore(&pendulum_one)
        .expect_err("two state components, not four");
    assert!(matches!(err, EnvError::StateLength { .. }), "{err}");
    assert_eq!(one.snapshot().expect("snapshot"), one_before);

    let mut three = vec_env("CartPole-v1", 3);
    three.reset(Some(0));
    let err = cartpole
        .restore(&three.snapshot().expect("snapshot"))
        .expect_err("three environments into two");
    assert!(err.to_string().contains("3 environments saved"), "{err}");

    let err = cartpole
        .restore(&serde_json::json!({"envs": "nonsense"}))
        .expect_err("not a snapshot");
    assert!(matches!(err, EnvError::BadSnapshot { .. }), "{err}");
    assert_eq!(cartpole.snapshot().expect("snapshot"), before);
}

#[test]
fn time_limit_counter_and_normalisation_statistics_come_back() {
    let make = || {
        NormalizeObservation::new(cinder_envs::make("Pendulum-v1").expect("registered"))
            .expect("box observations")
    };
    let mut env = make();
    env.reset(Some(9));
    let mut rng = rng_from_seed(4);
    let plan: Vec<_> = (0..400)
        .map(|_| env.action_space().sample(&mut rng))
        .collect();
    let step = |env: &mut NormalizeObservation<Box<dyn Env>>, a: &OwnedAction| {
        let s = env.step(a.as_action()).expect("valid");
        (s.observation, s.reward.to_bits(), s.truncated)
    };
    for a in &plan[..150] {
        step(&mut env, a);
    }
    let saved = env.snapshot().expect("snapshot");
    let mut copy = make();
    copy.restore(&saved).expect("restore");
    assert_eq!(copy.statistics(), env.statistics());
    // The time limit (200 steps) cuts both at the same step.
    let rest: Vec<_> = plan[150..].iter().map(|a| step(&mut env, a)).collect();
    let copied: Vec<_> = plan[150..].iter().map(|a| step(&mut copy, a)).collect();
    assert_eq!(copied, rest);
    assert!(rest[49].2, "step 200 is truncated");
}
