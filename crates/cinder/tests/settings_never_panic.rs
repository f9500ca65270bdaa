//! Property: whatever value a user gives a setting — huge, negative, fractional, NaN, not a
//! number at all — resolving a run and checking its memory returns either a run small enough
//! for this machine or a one-line error naming the setting, and never panics or overflows.

use cinder::run::{TrainRequest, check_request};
use proptest::prelude::*;

/// Settings that size something, with the algorithm and environment that have them.
const KEYS: &[(&str, &str, &str)] = &[
    ("ppo", "CartPole-v1", "n_envs"),
    ("ppo", "CartPole-v1", "n_steps"),
    ("ppo", "CartPole-v1", "batch_size"),
    ("ppo", "CartPole-v1", "num_epoch"),
    ("ppo", "CartPole-v1", "eval_episodes"),
    ("ppo", "CartPole-v1", "num_workers"),
    ("ppo", "CartPole-v1", "total_steps"),
    ("ppo", "CartPole-v1", "hidden"),
    ("ppo", "CartPole-v1", "icm.feature_dim"),
    ("ppo", "CartPole-v1", "icm.hidden"),
    ("ppo", "CartPole-v1", "lr"),
    ("a2c", "CartPole-v1", "gamma"),
    ("dql", "CartPole-v1", "memory_size"),
    ("dql", "CartPole-v1", "num_init_memory_steps"),
    ("dql", "CartPole-v1", "estimation_step"),
    ("dql", "CartPole-v1", "hidden"),
    ("sac", "Pendulum-v1", "memory_size"),
    ("sac", "Pendulum-v1", "batch_size"),
    ("ddpg", "Pendulum-v1", "tau"),
    ("svpg", "CartPole-v1", "num_particles"),
    ("svpg", "CartPole-v1", "temperature"),
    ("svpg", "CartPole-v1", "horizon"),
    ("bcq", "CartPole-v1", "batch_size"),
];

/// Values as a user might type them after `--set key=`.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|v| v.to_string()),
        any::<i64>().prop_map(|v| v.to_string()),
        (0u32..40).prop_map(|e| format!("1{}", "0".repeat(e as usize))),
        any::<f64>().prop_map(|v| format!("{v:?}")),
        Just("nan".to_string()),
        Just("-inf".to_string()),
        Just("\"wide\"".to_string()),
        prop::collection::vec(any::<u32>(), 0..4).prop_map(|v| format!("{v:?}")),
        prop::collection::vec(0u64..u64::MAX, 1..3).prop_map(|v| format!("{v:?}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_setting_value_resolves_or_is_refused(key in 0..KEYS.len(), value in value()) {
        let (algo, env, key) = KEYS[key];
        let mut overrides = vec![format!("{key}={value}")];
        if algo == "bcq" {
            overrides.push("dataset=/nonexistent".into());
        }
        let request = TrainRequest {
            algo: algo.into(),
            env: env.into(),
            preset: None,
            overrides,
            seed: 0,
            steps: None,
            device: "flex".into(),
            out: std::env::temp_dir(),
            workers: None,
            icm: false,
            progress_bar: false,
        };
        // Ok, or one line naming the setting; a panic fails the property.
        if let Err(e) = check_request(&request) {
            let message = e.to_string();
            let table = key.split('.').next().unwrap_or(key);
            prop_assert!(!message.contains('\n'), "{}", message);
            prop_assert!(message.contains(table), "{}={}: {}", key, value, message);
        }
    }
}
