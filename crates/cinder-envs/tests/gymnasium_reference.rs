//! Every one-step case and every teacher-forced rollout step recorded from Gymnasium 1.4
//! (`tests/data/env_*.json`, copied from the project's shared reference data; schema in
//! `tests/data/README.md`) must be reproduced.
//!
//! Tolerances: 1e-12 on the f64 state and reward, 1e-6 on f32 observations, flags exact, against
//! what Gymnasium computed with its natural dtypes: with float32 actions NumPy 2 does part of
//! Pendulum's and MountainCarContinuous's arithmetic in float32 (NEP 50), and the ports do the
//! same, so they also match the pure-float64 `alt_f64` fields only to the documented size of
//! that effect (1.2e-8 and 6e-8).

use cinder_core::{Action, Env, Space};
use serde_json::Value;

const STATE_TOL: f64 = 1e-12;
const OBS_TOL: f64 = 1e-6;

fn load(name: &str) -> Value {
    let path = format!("{}/tests/data/env_{name}.json", manifest_dir());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| match x {
            Value::String(s) if s == "inf" => f64::INFINITY,
            Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
            _ => x.as_f64().unwrap(),
        })
        .collect()
}

fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol,
            "{what}[{i}]: got {g:e}, want {w:e}, diff {:e} > {tol:e}",
            (g - w).abs()
        );
    }
}

/// Steps `env` once with the case's action, as the JSON stores it.
fn step(env: &mut dyn Env, action: &Value) -> cinder_core::Step {
    match action {
        Value::Array(_) => {
            let values: Vec<f32> = floats(action).iter().map(|&v| v as f32).collect();
            env.step(Action::Continuous(&values)).unwrap()
        }
        _ => env
            .step(Action::Discrete(action.as_u64().unwrap() as usize))
            .unwrap(),
    }
}

fn observations(obs: &[f32]) -> Vec<f64> {
    obs.iter().map(|&v| f64::from(v)).collect()
}

fn check_space(what: &str, ours: &Space, reference: &Value) {
    match (ours, reference["type"].as_str().unwrap()) {
        (Space::Discrete(d), "Discrete") => {
            assert_eq!(d.n() as u64, reference["n"].as_u64().unwrap(), "{what}")
        }
        (Space::Box(b), "Box") => {
            let shape: Vec<usize> = reference["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(b.shape(), &shape[..], "{what} shape");
            let as_f64 = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>();
            assert_eq!(as_f64(b.low()), floats(&reference["low"]), "{what} low");
            assert_eq!(as_f64(b.high()), floats(&reference["high"]), "{what} high");
        }
        (ours, kind) => panic!("{what}: ours is {ours}, reference is {kind}"),
    }
}

fn check_env(name: &str, rollout_state_tol: f64, rollout_reward_tol: f64) {
    let data = load(name);
    let id = data["env_id"].as_str().unwrap();
    let spec = cinder_envs::spec(id).unwrap();
    assert_eq!(
        spec.max_episode_steps as u64,
        data["max_episode_steps"].as_u64().unwrap()
    );
    assert_eq!(spec.reward_threshold, data["reward_threshold"].as_f64());

    let mut env = spec.make_unwrapped().unwrap();
    check_space(
        "observation space",
        env.observation_space(),
        &data["observation_space"],
    );
    check_space("action space", env.action_space(), &data["action_space"]);

    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 200, "{id}: only {} cases", cases.len());
    for case in cases {
        let what = format!("{id} case {}", case["id"]);
        env.reset(Some(0));
        env.set_state(&floats(&case["state"])).unwrap();
        let step = step(env.as_mut(), &case["action"]);
        let exact = case;
        assert_close(
            &format!("{what} next_state"),
            &env.state().unwrap(),
            &floats(&exact["next_state"]),
            STATE_TOL,
        );
        assert_close(
            &format!("{what} reward"),
            &[step.reward],
            &[exact["reward"].as_f64().unwrap()],
            STATE_TOL,
        );
        assert_close(
            &format!("{what} next_obs"),
            &observations(&step.observation),
            &floats(&case["next_obs"]),
            OBS_TOL,
        );
        assert_eq!(
            step.terminated,
            exact["terminated"].as_bool().unwrap(),
            "{what} terminated"
        );
        assert!(!step.truncated, "{what}: a bare env never truncates");
    }

    for (r, rollout) in data["rollouts"].as_array().unwrap().iter().enumerate() {
        let what = format!("{id} rollout {r} ({})", rollout["policy"]);
        let mut env = cinder_envs::make(id).unwrap();
        env.reset(Some(0));
        let next_states = rollout["next_states"].as_array().unwrap();
        let length = rollout["length"].as_u64().unwrap() as usize;
        assert_eq!(next_states.len(), length);
        let mut state = floats(&rollout["reset_state"]);
        for t in 0..length {
            env.set_state(&state).unwrap();
            let step = step(env.as_mut(), &rollout["actions"][t]);
            state = floats(&next_states[t]);
            assert_close(
                &format!("{what} step {t} state"),
                &env.state().unwrap(),
                &state,
                rollout_state_tol,
            );
            assert_close(
                &format!("{what} step {t} obs"),
                &observations(&step.observation),
                &floats(&rollout["next_obs"][t]),
                OBS_TOL,
            );
            assert_close(
                &format!("{what} step {t} reward"),
                &[step.reward],
                &[rollout["rewards"][t].as_f64().unwrap()],
                rollout_reward_tol,
            );
            assert_eq!(
                step.terminated,
                rollout["terminated"][t].as_bool().unwrap(),
                "{what} step {t} terminated"
            );
            assert_eq!(
                step.truncated,
                rollout["truncated"][t].as_bool().unwrap(),
                "{what} step {t} truncated"
            );
        }
    }
}

/// One test per environment: its reference file's name and its two tolerances.
macro_rules! matches_gymnasium {
    ($($test:ident: $name:literal, $state_tol:expr, $reward_tol:expr;)+) => {$(
        #[test]
        fn $test() {
            check_env($name, $state_tol, $reward_tol);
        }
    )+};
}

matches_gymnasium! {
    cartpole_matches_gymnasium: "cartpole", STATE_TOL, STATE_TOL;
    pendulum_matches_gymnasium: "pendulum", STATE_TOL, STATE_TOL;
    mountaincar_matches_gymnasium: "mountaincar", STATE_TOL, STATE_TOL;
    mountaincar_continuous_matches_gymnasium: "mountaincar_continuous", STATE_TOL, STATE_TOL;
    acrobot_matches_gymnasium: "acrobot", STATE_TOL, STATE_TOL;
}

/// This package's directory: the one `cargo test` names at run time. (The compile-time
/// `env!("CARGO_MANIFEST_DIR")` goes stale when a clone reuses test binaries that another
/// clone built in a shared target directory.)
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into())
}
