//! The agent layer on the test device: Q-target pieces against the same quantities computed on
//! the host, the Huber loss in closed form, a policy's acting copy in each mode, the squashed
//! and deterministic policies' ranges, action scaling and the minibatch action helpers.

use burn::module::Module;
use burn::tensor::Device;
use cinder_agent::batch::{continuous_actions, discrete_actions};
use cinder_agent::q::{action_mask, allowed_actions, huber, next_action_mask, next_state_values};
use cinder_agent::{
    ActionScale, AgentError, DeterministicPolicy, Policy, PolicyActor, PolicyConfig, SquashedPolicy,
};
use cinder_core::space::{BoxSpace, Discrete};
use cinder_core::{ActMode, ActionBatch, Actor, Observed, Space};
use cinder_data::{ReplayBatch, WindowSteps};
use cinder_nn::device::{device_stream_turn, test_device};
use cinder_nn::tensors::{matrix, read_floats, vector};
use cinder_nn::{Activation, MlpConfig, NetConfig};

/// Whether `got` equals `expected` to 1e-5 (relative to each expected value's size).
fn close(got: &[f32], expected: &[f32]) -> bool {
    let tolerance = |e: f32| 1e-5 * (1.0 + e.abs());
    got.len() == expected.len()
        && std::iter::zip(got, expected).all(|(g, e)| (g - e).abs() <= tolerance(*e))
}

#[test]
fn huber_is_half_square_inside_one_and_linear_outside() {
    let device = test_device();
    let x = [-3.0f32, -1.0, -0.5, 0.0, 0.25, 1.0, 2.5];
    let got = read_floats(huber(vector(&x, &device))).unwrap();
    let expected: Vec<f32> = x
        .iter()
        .map(|v| {
            if v.abs() <= 1.0 {
                0.5 * v * v
            } else {
                v.abs() - 0.5
            }
        })
        .collect();
    assert!(close(&got, &expected), "{got:?} vs {expected:?}");
}

#[test]
fn next_state_values_match_the_host_max_double_q_and_masks() {
    let _turn = device_stream_turn();
    let device = test_device();
    device.seed(3);
    // Observations [x0, x1, mask_a0, mask_a1, mask_a2]; the last row allows nothing.
    let obs: Vec<f32> = vec![
        0.3, -1.2, 1.0, 1.0, 1.0, //
        -0.7, 0.4, 0.0, 1.0, 1.0, //
        1.5, 0.9, 1.0, 0.0, 0.0, //
        0.1, 0.1, 0.0, 0.0, 0.0,
    ];
    let rows = 4;
    let net = || {
        MlpConfig::new(5, vec![8], 3)
            .with_activation(Activation::Relu)
            .init(&device)
            .unwrap()
    };
    let (trained, target) = (net(), net());
    let input = || matrix(&obs, rows, &device);
    let q_trained = read_floats(trained.forward(input())).unwrap();
    let q_target = read_floats(target.forward(input())).unwrap();
    let allowed: Vec<Vec<usize>> = obs
        .chunks(5)
        .map(|o| allowed_actions(o, 3, true).collect())
        .collect();
    assert_eq!(allowed, vec![vec![0, 1, 2], vec![1, 2], vec![0], vec![]]);
    assert_eq!(allowed_actions(&obs[15..], 3, false).count(), 3);

    for (is_double, masked) in [(false, false), (true, false), (false, true), (true, true)] {
        let mask = masked.then(|| action_mask(&input(), 3));
        let got = read_floats(next_state_values(
            &trained,
            &target,
            input(),
            is_double,
            mask,
        ))
        .unwrap();
        let expected: Vec<f32> = (0..rows)
            .map(|r| {
                let actions: Vec<usize> = if masked {
                    allowed[r].clone()
                } else {
                    vec![0, 1, 2]
                };
                let Some(best) = actions.iter().copied().max_by(|&a, &b| {
                    let q = if is_double { &q_trained } else { &q_target };
                    q[r * 3 + a].total_cmp(&q[r * 3 + b])
                }) else {
                    return 0.0; // no allowed action: terminal
                };
                q_target[r * 3 + best]
            })
            .collect();
        assert!(
            close(&got, &expected),
            "double {is_double}, masked {masked}: {got:?} vs {expected:?}"
        );
    }
}

#[test]
fn next_action_masks_combine_the_stored_and_the_carried_masks_row_by_row() {
    let device = test_device();
    // Three rows of two features and a carried mask of three actions.
    let obs = [
        0.3, 0.1, 1.0, 0.0, 1.0, //
        0.2, 0.4, 0.0, 1.0, 1.0, //
        0.5, 0.6, 1.0, 1.0, 0.0,
    ];
    let next = matrix(&obs, 3, &device);
    let stored = [
        true, true, false, //
        true, true, true, //
        false, true, true,
    ];
    let read = |mask: Option<burn::tensor::Tensor<2, burn::tensor::Bool>>| {
        mask.map(|m| m.into_data().iter::<bool>().collect::<Vec<_>>())
    };
    let (t, f) = (true, false);
    assert_eq!(
        read(next_action_mask(&next, None, 0..3, 3, false, &device)),
        None
    );
    assert_eq!(
        read(next_action_mask(&next, None, 0..3, 3, true, &device)),
        Some(vec![t, f, t, f, t, t, t, t, f])
    );
    assert_eq!(
        read(next_action_mask(
            &next,
            Some(&stored),
            0..3,
            3,
            false,
            &device
        )),
        Some(stored.to_vec())
    );
    assert_eq!(
        read(next_action_mask(
            &next,
            Some(&stored),
            0..3,
            3,
            true,
            &device
        )),
        Some(vec![t, f, f, f, t, t, f, t, f])
    );
    // Rows 1..3 of the minibatch: the stored masks of those rows.
    let tail = matrix(&obs[5..], 2, &device);
    assert_eq!(
        read(next_action_mask(
            &tail,
            Some(&stored),
            1..3,
            3,
            true,
            &device
        )),
        Some(vec![f, t, t, f, t, f])
    );
}

#[test]
fn a_policy_actor_samples_explores_with_log_probs_and_is_greedy_deterministically() {
    let _turn = device_stream_turn();
    let device = test_device();
    device.seed(0);
    let act_device = Device::flex();
    let obs_space = Space::Box(BoxSpace::new(vec![-1.0; 3], vec![1.0; 3]).unwrap());
    let obs = [0.1f32, -0.2, 0.3, 0.5, 0.5, -0.5];
    for action_space in [
        Space::Discrete(Discrete::new(4).unwrap()),
        Space::Box(BoxSpace::new(vec![-2.0, 0.0], vec![2.0, 1.0]).unwrap()),
    ] {
        let policy = Policy::new(
            &PolicyConfig::default(),
            obs_space.flat_dim(),
            &action_space,
            &device,
        )
        .unwrap();
        let mut actor = PolicyActor::new(&policy, &action_space, &act_device, 7);
        let greedy = actor.act(&obs, 2, ActMode::Greedy).unwrap();
        assert_eq!(greedy.log_probs, None);
        assert_eq!(greedy, actor.act(&obs, 2, ActMode::Greedy).unwrap());
        let explored = actor.act(&obs, 2, ActMode::Explore).unwrap();
        let log_probs = explored.log_probs.unwrap();
        assert_eq!(log_probs.len(), 2);
        assert!(log_probs.iter().all(|l| l.is_finite()), "{log_probs:?}");
        if let Space::Discrete(_) = action_space {
            assert!(log_probs.iter().all(|&l| l <= 0.0), "{log_probs:?}");
        }
        for _ in 0..20 {
            let random = actor.act(&obs, 2, ActMode::Random).unwrap();
            assert_eq!(random.log_probs, None);
            match (&random.actions, &action_space) {
                (ActionBatch::Discrete(a), Space::Discrete(d)) => {
                    assert!(a.iter().all(|&a| a < d.n()))
                }
                (ActionBatch::Continuous(a), Space::Box(b)) => {
                    for row in a.chunks(2) {
                        assert!(b.contains(row), "{row:?}")
                    }
                }
                other => panic!("wrong kind {other:?}"),
            }
        }
    }
}

#[test]
fn a_masked_policy_actor_never_chooses_an_invalid_action_and_prices_only_valid_ones() {
    let _turn = device_stream_turn();
    let device = test_device();
    device.seed(1);
    let act_device = Device::flex();
    let space = Space::Discrete(Discrete::new(4).unwrap());
    let policy = Policy::new(&PolicyConfig::default(), 3, &space, &device).unwrap();
    let mut actor = PolicyActor::new(&policy, &space, &act_device, 3);
    let obs = [0.1f32, -0.2, 0.3, 0.5, 0.5, -0.5];
    // Environment 0 allows actions 1 and 3; environment 1 only action 2.
    let masks = [false, true, false, true, false, false, true, false];
    for mode in [ActMode::Explore, ActMode::Greedy, ActMode::Random] {
        for _ in 0..50 {
            let observed = Observed {
                values: &obs,
                num_envs: 2,
                masks: Some(&masks),
            };
            let acted = actor.act_masked(observed, mode).unwrap();
            let ActionBatch::Discrete(a) = &acted.actions else {
                panic!("discrete actions expected")
            };
            assert!(masks[a[0]] && masks[4 + a[1]], "{mode:?} chose {a:?}");
            if let Some(log_probs) = acted.log_probs {
                // The only valid action of environment 1 has probability 1.
                assert!(log_probs[1].abs() < 1e-5, "{log_probs:?}");
                assert!(log_probs[0] > (0.5f32).ln() - 0.1, "{log_probs:?}");
            }
        }
    }
    // The masked distribution's entropy is over the valid actions only, and finite.
    let allowed = cinder_nn::tensors::flags(&masks, 2, &device);
    let dist = policy.distribution_masked(matrix(&obs, 2, &device), Some(allowed));
    let entropy = read_floats(dist.entropy()).unwrap();
    assert!(
        entropy[0] <= 2f32.ln() + 1e-4 && entropy[0] > 0.0,
        "{entropy:?}"
    );
    assert!(entropy[1].abs() < 1e-4, "{entropy:?}");
}

#[test]
fn squashed_and_deterministic_policies_stay_in_the_unit_cube() {
    let _turn = device_stream_turn();
    let device = test_device();
    device.seed(1);
    let obs: Vec<f32> = (0..40)
        .map(|i| ((i * 7) as f32 * 0.37).sin() * 5.0)
        .collect();
    let squashed =
        SquashedPolicy::new(4, 2, &NetConfig::new(&[16], Activation::Relu), &device).unwrap();
    let dist = squashed.distribution(matrix(&obs, 10, &device));
    let (sample, log_prob) = dist.rsample_with_log_prob();
    let sample = read_floats(sample).unwrap();
    assert_eq!(sample.len(), 20);
    assert!(sample.iter().all(|a| (-1.0..=1.0).contains(a)));
    assert!(read_floats(log_prob).unwrap().iter().all(|l| l.is_finite()));
    let deterministic =
        DeterministicPolicy::new(4, 2, &NetConfig::new(&[16], Activation::Relu), &device).unwrap();
    let mu = read_floats(deterministic.forward(matrix(&obs, 10, &device))).unwrap();
    assert!(mu.iter().all(|a| (-1.0..=1.0).contains(a)));
    // The acting copy computes the same actions without autodiff.
    let plain = device.clone().inner();
    let copy = read_floats(deterministic.valid().forward(matrix(&obs, 10, &plain))).unwrap();
    assert!(close(&mu, &copy));
}

#[test]
fn action_scaling_round_trips_and_wrong_kinds_are_errors_naming_the_learner() {
    let space = Space::Box(BoxSpace::new(vec![-2.0, 0.0], vec![2.0, 1.0]).unwrap());
    let scale = ActionScale::for_space("SAC", &space).unwrap();
    let env = [1.0f32, 0.25, -2.0, 1.0];
    let unit = scale.env_to_unit(&env);
    assert!(close(&unit, &[0.5, -0.5, -1.0, 1.0]), "{unit:?}");
    assert!(close(&scale.unit_to_env(&unit), &env));
    let discrete = Space::Discrete(Discrete::new(3).unwrap());
    let err = ActionScale::for_space("DDPG", &discrete).unwrap_err();
    assert!(matches!(err, AgentError::UnsupportedSpace(_)) && err.to_string().contains("DDPG"));
    let unbounded = Space::Box(BoxSpace::new(vec![f32::NEG_INFINITY], vec![1.0]).unwrap());
    assert!(ActionScale::for_space("SAC", &unbounded).is_err());

    let batch = |actions| ReplayBatch {
        observations: vec![0.0; 2],
        actions,
        returns: vec![0.0; 2],
        next_observations: vec![0.0; 2],
        next_masks: None,
        discounts: vec![1.0; 2],
        last_indices: vec![0, 1],
        weights: vec![1.0; 2],
        indices: vec![0, 1],
        steps: WindowSteps {
            rows: vec![0, 1],
            discounts: vec![1.0; 2],
            observations: vec![0.0; 2],
            actions: ActionBatch::Discrete(vec![0, 0]),
            next_observations: vec![0.0; 2],
        },
    };
    let discrete_batch = batch(ActionBatch::Discrete(vec![1, 2]));
    assert_eq!(discrete_actions(&discrete_batch, "DQL").unwrap(), &[1, 2]);
    let err = continuous_actions(&discrete_batch, "SAC").unwrap_err();
    assert!(
        err.to_string()
            .contains("SAC replay batch holds discrete actions"),
        "{err}"
    );
    let continuous_batch = batch(ActionBatch::Continuous(vec![0.5, -0.5]));
    assert_eq!(
        continuous_actions(&continuous_batch, "SAC").unwrap(),
        &[0.5, -0.5]
    );
    assert!(discrete_actions(&continuous_batch, "DQL").is_err());
}
