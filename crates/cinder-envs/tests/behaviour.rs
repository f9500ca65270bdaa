//! Registry, seeding, reset distributions and bad input of the classic-control environments.

use cinder_core::{Action, Env, EnvError, Space, Step};
use cinder_envs::{ids, make, registry};

fn some_action(space: &Space) -> Vec<f32> {
    match space {
        Space::Discrete(_) => vec![],
        Space::Box(b) => vec![0.5; b.flat_dim()],
    }
}

fn act<'a>(space: &Space, values: &'a [f32]) -> Action<'a> {
    match space {
        Space::Discrete(_) => Action::Discrete(1),
        Space::Box(_) => Action::Continuous(values),
    }
}

#[test]
fn unknown_id_lists_the_known_ones() {
    let err = make("CartPole-v0").err().unwrap();
    let msg = err.to_string();
    assert!(matches!(err, EnvError::UnknownEnv { .. }));
    for id in ids() {
        assert!(msg.contains(&id), "{msg}");
    }
}

#[test]
fn same_seed_same_episode_and_different_seed_differs() {
    for spec in registry() {
        let run = |seed| {
            let mut env = make(&spec.id).unwrap();
            let mut obs = env.reset(Some(seed));
            let values = some_action(env.action_space());
            for _ in 0..20 {
                let step = env.step(act(env.action_space(), &values)).unwrap();
                obs.extend(step.observation);
                if step.terminated {
                    env.reset(None);
                }
            }
            obs
        };
        assert_eq!(run(7), run(7), "{}", spec.id);
        assert_ne!(run(7), run(8), "{}", spec.id);
    }
}

#[test]
fn unseeded_reset_continues_the_stream() {
    let mut env = make("CartPole-v1").unwrap();
    let first = env.reset(Some(1));
    let second = env.reset(None);
    assert_ne!(first, second);
    let mut again = make("CartPole-v1").unwrap();
    again.reset(Some(1));
    assert_eq!(again.reset(None), second);
}

/// Reset states fall in Gymnasium's reset distributions, which they fill (min and max over many
/// resets come close to the bounds).
#[test]
fn reset_distributions_match_gymnasium() {
    let pi = std::f64::consts::PI;
    let cases: [(&str, Vec<(f64, f64)>); 5] = [
        ("CartPole-v1", vec![(-0.05, 0.05); 4]),
        ("Pendulum-v1", vec![(-pi, pi), (-1.0, 1.0)]),
        ("MountainCar-v0", vec![(-0.6, -0.4), (0.0, 0.0)]),
        ("MountainCarContinuous-v0", vec![(-0.6, -0.4), (0.0, 0.0)]),
        ("Acrobot-v1", vec![(-0.1, 0.1); 4]),
    ];
    for (id, bounds) in cases {
        let mut env = make(id).unwrap();
        let mut lo = vec![f64::INFINITY; bounds.len()];
        let mut hi = vec![f64::NEG_INFINITY; bounds.len()];
        for seed in 0..2000 {
            env.reset(Some(seed));
            for (i, v) in env.state().unwrap().into_iter().enumerate() {
                lo[i] = lo[i].min(v);
                hi[i] = hi[i].max(v);
            }
        }
        for (i, (l, h)) in bounds.into_iter().enumerate() {
            let slack = 0.02 * (h - l);
            assert!(
                lo[i] >= l && hi[i] <= h,
                "{id}[{i}]: [{}, {}]",
                lo[i],
                hi[i]
            );
            assert!(
                lo[i] <= l + slack && hi[i] >= h - slack,
                "{id}[{i}]: [{}, {}]",
                lo[i],
                hi[i]
            );
        }
    }
}

/// As in Gymnasium: Acrobot's reset state is float32; MountainCarContinuous keeps its reset
/// draw in float64 and stores float32 from the first step on.
#[test]
fn acrobot_and_mountaincar_continuous_hold_f32_values_where_gymnasium_does() {
    let is_f32 = |v: f64| v == f64::from(v as f32);
    let mut acrobot = make("Acrobot-v1").unwrap();
    acrobot.reset(Some(3));
    assert!(acrobot.state().unwrap().into_iter().all(is_f32));
    let mut car = make("MountainCarContinuous-v0").unwrap();
    car.reset(Some(3));
    assert!(!is_f32(car.state().unwrap()[0]));
    car.step(cinder_core::Action::Continuous(&[0.3])).unwrap();
    assert!(car.state().unwrap().into_iter().all(is_f32));
}

#[test]
fn bad_actions_are_errors_naming_env_and_space() {
    let bad: [(&str, Action); 9] = [
        ("CartPole-v1", Action::Discrete(2)),
        ("CartPole-v1", Action::Continuous(&[1.0])),
        ("MountainCar-v0", Action::Discrete(3)),
        ("Acrobot-v1", Action::Discrete(usize::MAX)),
        ("Pendulum-v1", Action::Continuous(&[f32::NAN])),
        ("Pendulum-v1", Action::Continuous(&[0.0, 0.0])),
        ("Pendulum-v1", Action::Continuous(&[])),
        ("Pendulum-v1", Action::Discrete(0)),
        ("MountainCarContinuous-v0", Action::Continuous(&[f32::NAN])),
    ];
    for (id, action) in bad {
        let mut env = make(id).unwrap();
        env.reset(Some(0));
        let before = env.state().unwrap();
        let err = env.step(action).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, EnvError::InvalidAction { .. }), "{msg}");
        assert!(msg.contains(id), "{msg}");
        assert!(msg.contains(&env.action_space().to_string()), "{msg}");
        assert_eq!(
            env.state().unwrap(),
            before,
            "{id}: a refused action moved the env"
        );
    }
}

/// The first step of `id` from seed 0 with action `big`, and with the bound `max`, and the
/// two states reached.
fn beyond_and_at_the_bound(id: &str, big: f32, max: f32) -> [(Step, Vec<f64>); 2] {
    [big, max].map(|value| {
        let mut env = make(id).unwrap();
        env.reset(Some(0));
        let step = env.step(Action::Continuous(&[value])).unwrap();
        (step, env.state().unwrap())
    })
}

#[test]
fn pendulum_clips_torque_like_gymnasium() {
    let [(big, big_state), (max, max_state)] = beyond_and_at_the_bound("Pendulum-v1", 50.0, 2.0);
    assert_eq!(big, max);
    assert_eq!(big_state, max_state);
}

#[test]
fn mountaincar_continuous_clips_force_but_pays_for_the_raw_action() {
    let [(big, _), (max, _)] = beyond_and_at_the_bound("MountainCarContinuous-v0", 3.0, 1.0);
    assert_eq!(big.observation, max.observation);
    assert!((big.reward - -0.9).abs() < 1e-12, "{}", big.reward);
    assert!((max.reward - -0.1).abs() < 1e-12, "{}", max.reward);
}

#[test]
fn step_before_reset_is_an_error() {
    for spec in registry() {
        let mut env = make(&spec.id).unwrap();
        let values = some_action(env.action_space());
        let err = env.step(act(env.action_space(), &values)).unwrap_err();
        assert!(
            matches!(err, EnvError::ResetNeeded { .. }),
            "{}: {err}",
            spec.id
        );
    }
}

#[test]
fn set_state_checks_length_and_finiteness() {
    for spec in registry() {
        let mut env = make(&spec.id).unwrap();
        env.reset(Some(0));
        let n = env.state().unwrap().len();
        let err = env.set_state(&vec![0.0; n + 1]).unwrap_err();
        assert!(
            matches!(err, EnvError::StateLength { expected, got, .. } if expected == n && got == n + 1)
        );
        assert!(err.to_string().contains(&spec.id));
        let mut bad = vec![0.0; n];
        bad[n - 1] = f64::NAN;
        assert!(matches!(
            env.set_state(&bad),
            Err(EnvError::NonFiniteState { .. })
        ));
        let good: Vec<f64> = (0..n).map(|i| 0.01 * i as f64).collect();
        env.set_state(&good).unwrap();
        assert_eq!(env.state().unwrap(), good);
    }
}

#[test]
fn cartpole_pays_nothing_for_steps_after_termination() {
    let mut env = make("CartPole-v1").unwrap();
    env.reset(Some(0));
    env.set_state(&[2.39, 1.0, 0.0, 0.0]).unwrap();
    let last = env.step(Action::Discrete(1)).unwrap();
    assert!(last.terminated && last.reward == 1.0);
    let after = env.step(Action::Discrete(1)).unwrap();
    assert!(after.terminated && after.reward == 0.0);
    env.reset(None);
    assert_eq!(env.step(Action::Discrete(1)).unwrap().reward, 1.0);
}

#[test]
fn time_limits_truncate_at_the_registered_step() {
    for spec in registry() {
        let mut env = make(&spec.id).unwrap();
        env.reset(Some(0));
        let start = env.state().unwrap();
        let values = some_action(env.action_space());
        for t in 1..=spec.max_episode_steps {
            // Hold the env at its start state so no episode terminates before the limit.
            env.set_state(&start).unwrap();
            let step = env.step(act(env.action_space(), &values)).unwrap();
            assert_eq!(
                step.truncated,
                t == spec.max_episode_steps,
                "{} step {t}",
                spec.id
            );
        }
    }
}
