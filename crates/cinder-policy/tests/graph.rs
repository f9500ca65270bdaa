//! The exported graph: evaluation against closed forms, the file round trip, and refusals.

use cinder_policy::{Action, Activation, Dense, Graph, Head, Imitator, PolicyError, Standardize};
use proptest::prelude::*;

fn dense(inputs: usize, weight: &[f32], bias: &[f32], activation: Option<Activation>) -> Dense {
    Dense {
        inputs,
        outputs: bias.len(),
        weight: weight.to_vec(),
        bias: bias.to_vec(),
        activation,
    }
}

/// 2 observations → 2 tanh units → 1 output.
fn box_graph(squash: bool, scale: bool) -> Graph {
    Graph {
        observation_dim: 2,
        normalize: Some(Standardize {
            mean: vec![1.0, -1.0],
            std: vec![2.0, 0.5],
            clip: 3.0,
        }),
        layers: vec![
            dense(
                2,
                &[0.5, -1.0, 0.25, 2.0],
                &[0.1, -0.2],
                Some(Activation::Tanh),
            ),
            dense(2, &[1.5, -0.7], &[0.3], None),
        ],
        head: Head::Box {
            squash,
            scale,
            low: vec![-2.0],
            high: vec![4.0],
        },
        algo: "sac".into(),
        env: "Test-v0".into(),
    }
}

/// The closed form of `box_graph` at `obs` before the head.
fn box_output(obs: [f32; 2]) -> f32 {
    let x = [
        ((obs[0] - 1.0) / 2.0).clamp(-3.0, 3.0),
        ((obs[1] + 1.0) / 0.5).clamp(-3.0, 3.0),
    ];
    let h0 = (x[0] * 0.5 + x[1] * 0.25 + 0.1).tanh();
    let h1 = (-x[0] + x[1] * 2.0 - 0.2).tanh();
    h0 * 1.5 + h1 * -0.7 + 0.3
}

fn continuous(action: Action) -> f32 {
    match action {
        Action::Continuous(v) => v[0],
        other => panic!("expected a box action, got {other:?}"),
    }
}

#[test]
fn box_heads_follow_their_closed_forms() {
    for obs in [[0.3, -0.4], [5.0, 2.0], [-9.0, -1.0]] {
        let y = box_output(obs);
        let squashed = continuous(box_graph(true, true).act(&obs).unwrap());
        let expected = -2.0 + (y.tanh() + 1.0) * 0.5 * 6.0;
        assert!(
            (squashed - expected).abs() < 1e-6,
            "{squashed} vs {expected}"
        );
        let clipped = continuous(box_graph(false, false).act(&obs).unwrap());
        assert!((clipped - y.clamp(-2.0, 4.0)).abs() < 1e-6);
        let unscaled = continuous(box_graph(true, false).act(&obs).unwrap());
        assert!((unscaled - y.tanh()).abs() < 1e-6);
    }
}

/// 1 observation → 3 scores, with an imitator that rules out action 2 when `x > 0`.
fn argmax_graph(imitator: bool) -> Graph {
    Graph {
        observation_dim: 1,
        normalize: None,
        layers: vec![dense(1, &[1.0, 2.0, 3.0], &[0.0, 0.0, 0.0], None)],
        head: Head::Argmax {
            imitator: imitator.then(|| Imitator {
                layers: vec![dense(1, &[0.0, 0.0, -10.0], &[0.0, 0.0, 0.0], None)],
                log_threshold: 0.3f32.ln(),
            }),
        },
        algo: "bcq".into(),
        env: "Test-v0".into(),
    }
}

#[test]
fn argmax_heads_pick_the_best_allowed_action() {
    let plain = argmax_graph(false);
    assert_eq!(plain.act(&[1.0]).unwrap(), Action::Discrete(2));
    assert_eq!(plain.act(&[-1.0]).unwrap(), Action::Discrete(0));
    let mask = [true, true, false];
    assert_eq!(
        plain.act_masked(&[1.0], Some(&mask)).unwrap(),
        Action::Discrete(1)
    );
    // The imitator's logit of action 2 is −10·x: unlikely for x > 0, the only likely action
    // for x < 0 (the others are then 10 below it).
    let bcq = argmax_graph(true);
    assert_eq!(bcq.act(&[1.0]).unwrap(), Action::Discrete(1));
    assert_eq!(bcq.act(&[-1.0]).unwrap(), Action::Discrete(2));
    let none = [false, false, false];
    assert!(matches!(
        plain.act_masked(&[1.0], Some(&none)),
        Err(PolicyError::Observation(_))
    ));
}

#[test]
fn bad_observations_are_refused() {
    let g = box_graph(true, true);
    let short = g.act(&[1.0]).unwrap_err().to_string();
    assert!(short.contains("1 values, the policy takes 2"), "{short}");
    let nan = g.act(&[1.0, f32::NAN]).unwrap_err().to_string();
    assert!(nan.contains("value 1 is NaN"), "{nan}");
    assert!(g.act_batch(&[1.0, 2.0, 3.0], 2).is_err());
}

#[test]
fn files_round_trip_and_refuse_damage() {
    for g in [
        box_graph(true, true),
        argmax_graph(true),
        argmax_graph(false),
    ] {
        let bytes = g.to_bytes().unwrap();
        assert_eq!(Graph::from_bytes(&bytes).unwrap(), g);
        // Every truncation is an error, never a panic.
        for len in 0..bytes.len() {
            assert!(
                Graph::from_bytes(&bytes[..len]).is_err(),
                "prefix of {len} bytes"
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.safetensors");
    box_graph(false, false).save(&path).unwrap();
    assert_eq!(Graph::load(&path).unwrap(), box_graph(false, false));
    let missing = Graph::load(dir.path().join("none"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("none"), "{missing}");
}

#[test]
fn a_newer_format_is_named() {
    let mut bytes = box_graph(true, true).to_bytes().unwrap();
    let pattern = br#"\"format\":1"#;
    let at = bytes
        .windows(pattern.len())
        .position(|w| w == pattern)
        .expect("the description holds the format");
    bytes[at + pattern.len() - 1] = b'7';
    let err = Graph::from_bytes(&bytes).unwrap_err();
    assert!(
        matches!(err, PolicyError::NewerFormat { found: 7 }),
        "{err}"
    );
}

#[test]
fn inconsistent_graphs_are_refused() {
    let mut g = box_graph(true, true);
    g.layers[1].inputs = 3;
    assert!(g.to_bytes().is_err());
    let mut g = box_graph(true, true);
    g.head = Head::Box {
        squash: true,
        scale: true,
        low: vec![1.0],
        high: vec![0.0],
    };
    assert!(g.validate().is_err());
}

proptest! {
    #[test]
    fn saved_graphs_act_as_before(
        weights in proptest::collection::vec(-2.0f32..2.0, 9),
        obs in proptest::collection::vec(-5.0f32..5.0, 2),
    ) {
        let mut g = box_graph(true, true);
        g.layers[0].weight.copy_from_slice(&weights[..4]);
        g.layers[0].bias.copy_from_slice(&weights[4..6]);
        g.layers[1].weight.copy_from_slice(&weights[6..8]);
        g.layers[1].bias[0] = weights[8];
        let back = Graph::from_bytes(&g.to_bytes().unwrap()).unwrap();
        prop_assert_eq!(back.act(&obs).unwrap(), g.act(&obs).unwrap());
    }
}
