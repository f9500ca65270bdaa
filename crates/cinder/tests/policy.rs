//! A trained policy outside its run: `Policy::load` needs no config for any algorithm and acts
//! as the run evaluated; the exported network (ONNX in tract, a second runtime; safetensors in
//! the burn-free `cinder-policy`) gives `predict`'s actions; bad files and inputs are errors.

use std::path::{Path, PathBuf};

use cinder::core::{Action as EnvAction, Env};
use cinder::data::Noise;
use cinder::nn::device::device_stream_turn;
use cinder::policy::{Action, Policy, PolicyError, to_onnx};
use cinder::run::{
    CollectRequest, EpisodeSeeds, TrainRequest, collect, evaluate_run, execute, prepare,
};
use rand::SeedableRng;
use tract_onnx::prelude::*;

/// A run of `algo` on `env` for `steps` with `overrides`, in `out`.
/// An offline run's `steps` are `None` (its budget is `max_updates`).
fn train(out: &Path, algo: &str, env: &str, steps: Option<usize>, overrides: &[&str]) -> PathBuf {
    let mut overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    overrides.extend(["eval_episodes=3".into(), "n_envs=2".into()]);
    let request = TrainRequest {
        algo: algo.into(),
        env: env.into(),
        preset: None,
        overrides,
        seed: 3,
        steps,
        device: "flex".into(),
        out: out.to_path_buf(),
        workers: None,
        icm: false,
        progress_bar: false,
    };
    let prepared = prepare(&request).unwrap_or_else(|e| panic!("{algo} {env}: {e}"));
    let (dir, summary) = execute(prepared, out, false).unwrap();
    // The policy reloaded alone acts as the algorithm did in its final evaluation (same
    // environments, seed and episodes): `cinder eval` goes through `Policy`.
    let eval = evaluate_run(
        &dir,
        summary.eval_episodes,
        1_000_000,
        EpisodeSeeds::PerEnvironment,
    )
    .unwrap();
    assert_eq!(eval.returns, summary.eval_returns, "{algo} on {env}");
    dir
}

/// A small offline dataset of `dir`'s policy with `noise`.
fn dataset(dir: &Path, out: &Path, noise: Noise) -> String {
    let path = out.join(format!(
        "data-{}",
        dir.file_name().unwrap().to_string_lossy()
    ));
    collect(&CollectRequest {
        run_dir: dir.to_path_buf(),
        steps: 600,
        noise,
        seed: 0,
        out: path.clone(),
    })
    .unwrap();
    format!("dataset=\"{}\"", path.display())
}

/// `count` raw observations the policy meets on its environment, acting with `predict`.
fn record_observations(policy: &mut Policy, count: usize) -> Vec<f32> {
    let mut env = cinder::envs::make(policy.env()).unwrap();
    let mut obs = env.reset(Some(7));
    let mut recorded = Vec::with_capacity(count * obs.len());
    for _ in 0..count {
        recorded.extend_from_slice(&obs);
        let step = match policy.predict(&obs).unwrap() {
            Action::Discrete(a) => env.step(EnvAction::Discrete(a)).unwrap(),
            Action::Continuous(v) => env.step(EnvAction::Continuous(&v)).unwrap(),
        };
        obs = if step.terminated || step.truncated {
            env.reset(None)
        } else {
            step.observation
        };
    }
    recorded
}

/// The actions tract computes from an exported ONNX model for `n` observations (and masks,
/// for a model exported `masked`), as f32 values (discrete indices converted).
fn tract_actions(onnx: &[u8], observations: &[f32], valid: Option<&[bool]>, n: usize) -> Vec<f32> {
    let dim = observations.len() / n;
    let mut model = tract_onnx::onnx()
        .model_for_read(&mut &onnx[..])
        .unwrap()
        .with_input_fact(0, f32::fact([n, dim]).into())
        .unwrap();
    let mut inputs = tvec!(
        Tensor::from_shape(&[n, dim], observations)
            .unwrap()
            .into_tvalue()
    );
    if let Some(valid) = valid {
        let actions = valid.len() / n;
        model = model
            .with_input_fact(1, bool::fact([n, actions]).into())
            .unwrap();
        inputs.push(
            Tensor::from_shape(&[n, actions], valid)
                .unwrap()
                .into_tvalue(),
        );
    }
    let model = model.into_optimized().unwrap().into_runnable().unwrap();
    let out = model.run(inputs).unwrap();
    match out[0].to_plain_array_view::<i64>() {
        Ok(indices) => indices.iter().map(|&i| i as f32).collect(),
        Err(_) => (out[0].to_plain_array_view::<f32>().unwrap())
            .iter()
            .copied()
            .collect(),
    }
}

/// Checks that `predict`, `predict_batch`, the ONNX model in tract and the safetensors export
/// in `cinder-policy` give the same actions (1e-5) on `count` recorded observations.
fn check_exports(dir: &Path, count: usize) {
    let mut policy = Policy::load(dir).unwrap();
    let observations = record_observations(&mut policy, count);
    let dim = observations.len() / count;
    let predicted: Vec<f32> = observations
        .chunks_exact(dim)
        .flat_map(|o| values(policy.predict(o).unwrap()))
        .collect();
    let batch: Vec<f32> = (policy.predict_batch(&observations, count).unwrap())
        .into_iter()
        .flat_map(values)
        .collect();
    assert_eq!(batch, predicted, "{}: batched vs one by one", policy.algo());
    if !policy.is_stochastic() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        let sampled = policy.sample(&observations[..dim], &mut rng).unwrap();
        assert_eq!(values(sampled), predicted[..predicted.len() / count]);
    }
    let graph = policy.export().unwrap();
    let onnx = tract_actions(&to_onnx(&graph, false).unwrap(), &observations, None, count);
    if let cinder::policy::Graph {
        head: cinder_policy::Head::Box { .. },
        ..
    } = &graph
    {
        assert!(
            to_onnx(&graph, true).is_err(),
            "a box policy exported with masks"
        );
    }
    let file = cinder::policy::Graph::from_bytes(&graph.to_bytes().unwrap()).unwrap();
    let plain: Vec<f32> = (file.act_batch(&observations, count).unwrap())
        .into_iter()
        .flat_map(values)
        .collect();
    for (name, actions) in [("onnx", &onnx), ("safetensors", &plain)] {
        assert_eq!(actions.len(), predicted.len());
        let worst = actions
            .iter()
            .zip(&predicted)
            .map(|(a, p)| (a - p).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst <= 1e-5,
            "{} on {}: {name} differs from predict by {worst}",
            policy.algo(),
            policy.env()
        );
    }
}

fn values(action: Action) -> Vec<f32> {
    match action {
        Action::Discrete(a) => vec![a as f32],
        Action::Continuous(v) => v,
    }
}

#[test]
fn every_algorithm_loads_alone_and_exports_what_it_predicts() {
    // Training draws from the process-wide device stream, which the other test seeds.
    let _turn = device_stream_turn();
    let out = tempfile::tempdir().unwrap();
    let o = out.path();
    let small = "hidden=[32, 32]";
    let ppo = train(o, "ppo", "CartPole-v1", Some(2048), &[]);
    check_exports(&ppo, 1000);
    let sac = train(
        o,
        "sac",
        "Pendulum-v1",
        Some(600),
        &["normalize_obs=true", small],
    );
    check_exports(&sac, 1000);
    let dql = train(o, "dql", "CartPole-v1", Some(1500), &[small]);
    let ddpg = train(o, "ddpg", "Pendulum-v1", Some(600), &[small]);
    let bcq_data = dataset(&dql, o, Noise::Epsilon(0.3));
    let bc_data = dataset(&ddpg, o, Noise::Gaussian(0.3));
    let rest = [
        dql,
        ddpg,
        train(o, "a2c", "CartPole-v1", Some(2048), &["normalize_obs=true"]),
        train(o, "ppo2", "Pendulum-v1", Some(1024), &[]),
        train(o, "svpg", "CartPole-v1", Some(2048), &["num_particles=2"]),
        train(o, "td3", "Pendulum-v1", Some(600), &[small]),
        train(
            o,
            "ppo",
            "MountainCar-v0",
            Some(1024),
            &["icm.reward_scale=0.1"],
        ),
        train(o, "bc", "Pendulum-v1", None, &[&bc_data, "max_updates=200"]),
        train(
            o,
            "bc",
            "CartPole-v1",
            None,
            &[&bcq_data, "max_updates=200"],
        ),
        train(
            o,
            "bcq",
            "CartPole-v1",
            None,
            &[&bcq_data, "max_updates=200", "eval_eps=0.0"],
        ),
    ];
    for dir in &rest {
        check_exports(dir, 200);
    }
}

#[test]
fn bad_paths_files_and_observations_are_one_line_errors() {
    let _turn = device_stream_turn();
    let out = tempfile::tempdir().unwrap();
    let dir = train(out.path(), "ppo", "CartPole-v1", Some(1024), &[]);
    let message = |e: PolicyError| {
        let text = e.to_string();
        assert!(!text.contains('\n'), "{text}");
        text
    };
    let missing = message(Policy::load(out.path().join("nothing")).err().unwrap());
    assert!(missing.contains("no such directory"), "{missing}");
    let not_a_run = message(Policy::load(out.path()).err().unwrap());
    assert!(not_a_run.contains("neither a run directory"), "{not_a_run}");

    let mut policy = Policy::load(&dir).unwrap();
    let short = message(policy.predict(&[0.0; 3]).unwrap_err());
    assert!(
        short.contains("3 values for 1 observation(s) of 4"),
        "{short}"
    );
    let nan = message(policy.predict(&[0.0, f32::NAN, 0.0, 0.0]).unwrap_err());
    assert!(nan.contains("value 1 is NaN"), "{nan}");
    // Draws follow the caller's generator, and are draws.
    let draws = |seed: u64, policy: &mut Policy| -> Vec<Action> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        (0..64)
            .map(|_| policy.sample(&[0.0, 0.0, 0.01, 0.0], &mut rng).unwrap())
            .collect()
    };
    let first = draws(5, &mut policy);
    assert_eq!(first, draws(5, &mut policy));
    assert!(first.contains(&Action::Discrete(0)) && first.contains(&Action::Discrete(1)));
    let mask = message(policy.predict_masked(&[0.0; 4], &[true]).unwrap_err());
    assert!(mask.contains("a mask of 1 flags"), "{mask}");
    assert_eq!(
        policy.predict_masked(&[0.0; 4], &[false, true]).unwrap(),
        Action::Discrete(1)
    );

    // Exported with masks, the model never picks a masked action, as predict_masked.
    let count = 300;
    let observations = record_observations(&mut policy, count);
    let valid: Vec<bool> = (0..count)
        .flat_map(|i| match i % 3 {
            0 => [true, true],
            1 => [false, true],
            _ => [true, false],
        })
        .collect();
    let expected: Vec<f32> = (observations.chunks_exact(4).zip(valid.chunks_exact(2)))
        .flat_map(|(o, v)| values(policy.predict_masked(o, v).unwrap()))
        .collect();
    let masked = to_onnx(&policy.export().unwrap(), true).unwrap();
    assert_eq!(
        tract_actions(&masked, &observations, Some(&valid), count),
        expected
    );
    let graph = cinder::policy::Graph::from_bytes(&policy.export().unwrap().to_bytes().unwrap());
    let plain: Vec<f32> = (observations.chunks_exact(4).zip(valid.chunks_exact(2)))
        .flat_map(|(o, v)| values(graph.as_ref().unwrap().act_masked(o, Some(v)).unwrap()))
        .collect();
    assert_eq!(plain, expected);

    // A snapshot written by a newer Cinder.
    let latest = dir.join("snapshots/latest");
    let meta_path = latest.join("meta.json");
    let meta = std::fs::read_to_string(&meta_path).unwrap();
    let mut newer: serde_json::Value = serde_json::from_str(&meta).unwrap();
    newer["run"]["format"] = 9.into();
    std::fs::write(&meta_path, newer.to_string()).unwrap();
    let newer = message(Policy::load(&dir).err().unwrap());
    assert!(newer.contains("snapshot format 9 is newer"), "{newer}");
    std::fs::write(&meta_path, &meta).unwrap();

    // A truncated weights file fails its checksum.
    let weights = latest.join("policy.bpk");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    let truncated = message(Policy::load(&dir).err().unwrap());
    assert!(truncated.contains("policy.bpk"), "{truncated}");
    std::fs::write(&weights, &bytes).unwrap();

    // A truncated ONNX file is refused by the runtime, every prefix of it.
    let onnx = to_onnx(&Policy::load(&dir).unwrap().export().unwrap(), false).unwrap();
    for len in [0, 1, onnx.len() / 3, onnx.len() / 2, onnx.len() - 1] {
        assert!(
            tract_onnx::onnx()
                .model_for_read(&mut &onnx[..len])
                .is_err(),
            "a prefix of {len} bytes loaded"
        );
    }
}
