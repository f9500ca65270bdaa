//! Normalisation against Stable-Baselines3's `VecNormalize` on recorded streams
//! (`tests/data/vecnormalize.json`, made by SB3 2.9.2 on 4 CartPole-v1 and 4 Pendulum-v1
//! environments: 300 training steps, then 50 with frozen statistics): the normalised
//! observations, final observations and rewards and the statistics after every step.

use cinder_core::{Normalization, NormalizeConfig, NormalizeStats};
use serde_json::Value;

/// This package's directory, read at run time (a shared target directory may hold test
/// binaries another clone built).
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into())
}

fn floats(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

fn close(what: &str, got: &[f64], want: &[f64], tolerance: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tolerance * (1.0 + w.abs()),
            "{what}[{i}]: {g} vs SB3's {w}"
        );
    }
}

/// SB3 takes the batch mean of float32 observations in float32; Cinder in f64.
const STATS_TOL: f64 = 1e-6;
const VALUE_TOL: f64 = 1e-5;

fn check_stats(what: &str, stats: &NormalizeStats, record: &Value, returns: bool) {
    let obs = &stats.observations;
    close(
        &format!("{what} obs mean"),
        &obs.mean,
        &floats(&record["obs_mean"]),
        STATS_TOL,
    );
    close(
        &format!("{what} obs var"),
        &obs.var,
        &floats(&record["obs_var"]),
        STATS_TOL,
    );
    close(
        &format!("{what} obs count"),
        &[obs.count],
        &[record["obs_count"].as_f64().unwrap()],
        0.0,
    );
    if returns {
        let ret = &stats.returns;
        close(
            &format!("{what} ret mean"),
            &ret.mean,
            &floats(&record["ret_mean"]),
            STATS_TOL,
        );
        close(
            &format!("{what} ret var"),
            &ret.var,
            &floats(&record["ret_var"]),
            STATS_TOL,
        );
    }
}

fn check_stream(stream: &Value) {
    let id = stream["env_id"].as_str().unwrap();
    let n = stream["n_envs"].as_u64().unwrap() as usize;
    let reset = &stream["reset"];
    let mut observations: Vec<f32> = floats(&reset["raw_obs"])
        .iter()
        .map(|&x| x as f32)
        .collect();
    let dim = observations.len() / n;
    let mut normalization = Normalization::training(NormalizeConfig::default(), dim).unwrap();
    normalization.reset(&mut observations, n);
    let as_f64 = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>();
    close(
        &format!("{id} reset obs"),
        &as_f64(&observations),
        &floats(&reset["norm_obs"]),
        VALUE_TOL,
    );
    check_stats(&format!("{id} reset"), &normalization.stats(), reset, false);

    for step in stream["steps"].as_array().unwrap() {
        let t = step["t"].as_u64().unwrap();
        let what = format!("{id} step {t}");
        normalization.set_training(step["training"].as_bool().unwrap());
        let mut observations: Vec<f32> =
            floats(&step["raw_obs"]).iter().map(|&x| x as f32).collect();
        let mut finals = vec![0.0f32; n * dim];
        let ended: Vec<bool> = step["done"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_bool().unwrap())
            .collect();
        let terminal = step["terminal_obs_norm"].as_array().unwrap();
        for entry in terminal {
            let i = entry["env"].as_u64().unwrap() as usize;
            for (slot, raw) in finals[i * dim..(i + 1) * dim]
                .iter_mut()
                .zip(floats(&entry["raw"]))
            {
                *slot = raw as f32;
            }
        }
        let mut rewards = floats(&step["raw_reward"]);
        normalization.step(&mut observations, &mut finals, &mut rewards, |i| ended[i]);
        close(
            &format!("{what} obs"),
            &as_f64(&observations),
            &floats(&step["norm_obs"]),
            VALUE_TOL,
        );
        close(
            &format!("{what} reward"),
            &rewards,
            &floats(&step["norm_reward"]),
            VALUE_TOL,
        );
        for entry in terminal {
            let i = entry["env"].as_u64().unwrap() as usize;
            let row = as_f64(&finals[i * dim..(i + 1) * dim]);
            close(
                &format!("{what} final obs of env {i}"),
                &row,
                &floats(&entry["norm"]),
                VALUE_TOL,
            );
        }
        check_stats(&what, &normalization.stats(), step, true);
    }
}

#[test]
fn normalisation_matches_sb3_vecnormalize_on_recorded_streams() {
    let path = format!("{}/tests/data/vecnormalize.json", manifest_dir());
    let text = std::fs::read_to_string(&path).expect("the fixture is in the repository");
    let data: Value = serde_json::from_str(&text).unwrap();
    let streams = data["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 2);
    for stream in streams {
        check_stream(stream);
    }
}

#[test]
fn frozen_copies_share_the_statistics_and_a_snapshot_restores_them() {
    let mut training = Normalization::training(NormalizeConfig::default(), 2).unwrap();
    let mut eval = training.frozen();
    let mut obs = vec![1.0, 2.0, 3.0, 6.0];
    training.reset(&mut obs, 2);
    let mut seen = vec![1.0, 2.0];
    eval.reset(&mut seen, 1);
    // The evaluation copy normalises with the training statistics and does not move them.
    let stats = training.stats();
    assert_eq!(eval.stats(), stats);
    assert!((seen[0] - ((1.0 - 2.0) / (1.0f64 + 1e-8).sqrt()) as f32).abs() < 1e-3);
    let saved = training.snapshot().unwrap();
    let mut later = vec![10.0, 10.0, 10.0, 10.0];
    training.step(&mut later, &mut [0.0; 4], &mut [1.0, 1.0], |_| false);
    assert_ne!(training.stats(), stats);
    training.restore(&saved).unwrap();
    assert_eq!(training.stats(), stats);
    assert_eq!(eval.stats(), stats, "a restore reaches the evaluation copy");
    let mut other = Normalization::training(NormalizeConfig::default(), 3).unwrap();
    let err = other.restore(&saved).unwrap_err();
    assert!(err.to_string().contains("do not fit"), "{err}");
    let bad = NormalizeConfig {
        clip_obs: 0.0,
        ..NormalizeConfig::default()
    };
    assert!(Normalization::training(bad, 2).is_err());
}
