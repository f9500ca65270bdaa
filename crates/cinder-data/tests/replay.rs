//! Replay memory: n-step targets equal Tianshou's on every case of `tests/data/nstep.json`
//! (copied from the project's shared reference data), ring and window properties, prioritized
//! sampling statistics, snapshots as bytes, and the errors bad input gets.

mod common;

use cinder_core::ActionBatch;
use cinder_core::seeding::rng_from_seed;
use cinder_core::space::{BoxSpace, Discrete, Space};
use cinder_data::replay::SegmentTree;
use cinder_data::{
    Lookahead, PrioritizedConfig, PrioritizedReplay, ReplayBuffer, ReplayError, Transitions,
};
use common::{flags, floats, reference};
use proptest::prelude::*;
use serde_json::Value;

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

/// Pushes one step of every stream: observation `code`, next observation `code + 0.5`.
fn push_codes(
    buffer: &mut ReplayBuffer,
    codes: &[f32],
    rewards: &[f64],
    terminated: &[bool],
    truncated: &[bool],
) {
    let next: Vec<f32> = codes.iter().map(|c| c + 0.5).collect();
    buffer
        .push(Transitions {
            observations: codes,
            actions: &ActionBatch::Discrete(vec![0; codes.len()]),
            rewards,
            next_observations: &next,
            terminated,
            truncated,
            next_masks: None,
        })
        .unwrap();
}

/// One reference case stored in a buffer whose ring has wrapped `junk_rows` times past its
/// start, as stream `stream` of `streams`; returns the buffer and the buffer index of each
/// case position.
fn store_case(
    case: &Value,
    streams: usize,
    stream: usize,
    junk_rows: usize,
) -> (ReplayBuffer, Vec<usize>) {
    let rewards = floats(&case["rewards"]);
    let terminated = flags(&case["terminated"]);
    let truncated = flags(&case["truncated"]);
    let n = rewards.len();
    let mut buffer = ReplayBuffer::new(
        n * streams,
        streams,
        1,
        &Space::Discrete(Discrete::new(2).unwrap()),
    )
    .unwrap();
    for _ in 0..junk_rows {
        push_codes(
            &mut buffer,
            &vec![-1.0; streams],
            &vec![9.0; streams],
            &vec![false; streams],
            &vec![false; streams],
        );
    }
    let mut positions = Vec::new();
    for t in 0..n {
        let mut codes = vec![-2.0; streams];
        let mut r = vec![7.0; streams];
        // The other streams end an episode at every step, so they can never leak into the case.
        let mut term = vec![true; streams];
        let mut trunc = vec![false; streams];
        codes[stream] = t as f32;
        r[stream] = rewards[t];
        term[stream] = terminated[t];
        trunc[stream] = truncated[t];
        let first = buffer
            .push(Transitions {
                observations: &codes,
                actions: &ActionBatch::Discrete(vec![1; streams]),
                rewards: &r,
                next_observations: &codes,
                terminated: &term,
                truncated: &trunc,
                next_masks: None,
            })
            .unwrap();
        positions.push(first + stream);
    }
    (buffer, positions)
}

#[test]
fn nstep_targets_match_tianshou_on_every_reference_case() {
    let data = reference("nstep.json");
    let cases = data["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 48);
    let mut checked = 0;
    for case in cases {
        let lookahead = Lookahead::new(
            case["n_step"].as_u64().unwrap() as usize,
            case["gamma"].as_f64().unwrap(),
        )
        .unwrap();
        let q_next = floats(&case["q_next"]);
        let expected = floats(&case["returns"]);
        let indices = usizes(&case["indices"]);
        // Plain, wrapped ring, and interleaved with two other environments.
        for (streams, stream, junk) in [(1, 0, 0), (1, 0, 5), (3, 1, 2)] {
            let (buffer, positions) = store_case(case, streams, stream, junk);
            let buffer_indices: Vec<usize> = indices.iter().map(|&i| positions[i]).collect();
            let batch = buffer
                .gather(buffer_indices, lookahead, vec![1.0; indices.len()])
                .unwrap();
            for (m, &expected) in expected.iter().enumerate() {
                let last = positions
                    .iter()
                    .position(|&p| p == batch.last_indices[m])
                    .expect("window stays inside the case's stream");
                let target =
                    f64::from(batch.returns[m]) + f64::from(batch.discounts[m]) * q_next[last];
                assert!(
                    (target - expected).abs() <= 2e-6 * expected.abs().max(1.0),
                    "case {} (streams {streams}, junk {junk}) row {m}: {target} vs {expected}",
                    case["id"],
                );
                // The next observation is the one stored with the window's last transition.
                assert_eq!(batch.next_observations[m], last as f32);
            }
            // The window steps are each row's case positions t, t + 1, …, last; an extra
            // reward per step equal to the stored one doubles every return.
            let steps = &batch.steps;
            let mut first_of_row = 0;
            for (m, &t) in indices.iter().enumerate() {
                let count = steps.rows.iter().filter(|&&r| r == m).count();
                let codes = &steps.observations[first_of_row..first_of_row + count];
                let last = positions.iter().position(|&p| p == batch.last_indices[m]);
                assert_eq!(codes.first(), Some(&(t as f32)));
                assert_eq!(codes.last().map(|&c| c as usize), last);
                assert!(codes.windows(2).all(|w| w[1] == w[0] + 1.0), "{codes:?}");
                first_of_row += count;
            }
            assert_eq!(first_of_row, steps.len());
            let rewards = floats(&case["rewards"]);
            let extra: Vec<f32> = steps
                .observations
                .iter()
                .map(|&code| rewards[code as usize] as f32)
                .collect();
            let mut doubled = batch.clone();
            doubled.add_step_rewards(&extra);
            for (m, (&once, &twice)) in batch.returns.iter().zip(&doubled.returns).enumerate() {
                assert!(
                    (twice - 2.0 * once).abs() <= 1e-5 * once.abs().max(1.0),
                    "row {m}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 48 * 3);
}

#[test]
fn pendulum_buffer_costs_34_bytes_per_transition() {
    let action = Space::Box(BoxSpace::new(vec![-2.0], vec![2.0]).unwrap());
    let buffer = ReplayBuffer::new(1_000_000, 1, 3, &action).unwrap();
    // (3 + 3 observation values + 1 action + 1 reward) × 4 bytes + 2 flag bytes.
    assert_eq!(buffer.memory_bytes(), 34 * 1_000_000);
    assert_eq!(buffer.capacity(), 1_000_000);
}

#[test]
fn bad_input_is_an_error_naming_the_cause() {
    let space = Space::Discrete(Discrete::new(2).unwrap());
    let err = ReplayBuffer::new(0, 1, 4, &space).unwrap_err();
    assert!(err.to_string().contains("memory_size"), "{err}");
    assert!(ReplayBuffer::new(3, 4, 4, &space).is_err());

    let mut buffer = ReplayBuffer::new(10, 1, 1, &space).unwrap();
    let err = buffer.sample(1, Lookahead::new(1, 0.9).unwrap(), &mut rng_from_seed(0));
    assert!(matches!(err, Err(ReplayError::BatchTooLarge { .. })));
    push_codes(&mut buffer, &[0.0], &[1.0], &[false], &[false]);
    let err = buffer.sample(2, Lookahead::new(1, 0.9).unwrap(), &mut rng_from_seed(0));
    assert!(err.unwrap_err().to_string().contains("batch_size 2"));

    let err = buffer
        .push(Transitions {
            observations: &[0.0],
            actions: &ActionBatch::Discrete(vec![0]),
            rewards: &[f64::NAN],
            next_observations: &[0.0],
            terminated: &[false],
            truncated: &[false],
            next_masks: None,
        })
        .unwrap_err();
    assert!(err.to_string().contains("non-finite reward"), "{err}");
    assert_eq!(buffer.len(), 1, "a refused step writes nothing");
    let err = buffer
        .push(Transitions {
            observations: &[0.0],
            actions: &ActionBatch::Continuous(vec![0.0]),
            rewards: &[0.0],
            next_observations: &[0.0],
            terminated: &[false],
            truncated: &[false],
            next_masks: None,
        })
        .unwrap_err();
    assert!(matches!(err, ReplayError::Shape(_)));

    assert!(Lookahead::new(0, 0.9).is_err());
    assert!(
        Lookahead::new(1, 1.5)
            .unwrap_err()
            .to_string()
            .contains("gamma")
    );
    let config = PrioritizedConfig {
        beta_init: 2.0,
        ..PrioritizedConfig::default()
    };
    let err = PrioritizedReplay::new(buffer, config).unwrap_err();
    assert!(err.to_string().contains("beta_init"), "{err}");
}

#[test]
fn buffers_round_trip_through_bytes_and_refuse_foreign_ones() {
    let space = Space::Discrete(Discrete::new(3).unwrap());
    let mut buffer = ReplayBuffer::new(8, 2, 2, &space).unwrap();
    for step in 0..7 {
        let s = step as f32;
        buffer
            .push(Transitions {
                observations: &[s, s, s + 0.1, s],
                actions: &ActionBatch::Discrete(vec![step % 3, 2]),
                rewards: &[f64::from(s), -1.0],
                next_observations: &[s + 1.0, s, s + 1.1, s],
                terminated: &[step == 3, false],
                truncated: &[false, step == 5],
                next_masks: None,
            })
            .unwrap();
    }
    let mut copy = ReplayBuffer::new(8, 2, 2, &space).unwrap();
    copy.load_bytes(&buffer.to_bytes()).unwrap();
    assert_eq!(copy, buffer);

    let bytes = buffer.to_bytes();
    let before = copy.clone();
    assert!(copy.load_bytes(&bytes[..bytes.len() - 3]).is_err());
    let mut other_shape = ReplayBuffer::new(8, 2, 3, &space).unwrap();
    let err = other_shape.load_bytes(&bytes).unwrap_err();
    assert!(err.to_string().contains("saved for"), "{err}");
    assert_eq!(copy, before, "a failed load leaves the buffer as it was");

    let mut prioritized = PrioritizedReplay::new(
        ReplayBuffer::new(8, 2, 2, &space).unwrap(),
        PrioritizedConfig::default(),
    )
    .unwrap();
    prioritized
        .load_bytes(&{
            let mut p =
                PrioritizedReplay::new(buffer.clone(), PrioritizedConfig::default()).unwrap();
            p.update_priorities(&[0, 3, 5], &[2.0, -0.5, 7.0]).unwrap();
            p.to_bytes()
        })
        .unwrap();
    assert!((prioritized.priority(5) - 7.000001).abs() < 1e-9);
    assert!((prioritized.max_priority() - 7.000001).abs() < 1e-9);
    assert!(prioritized.load_bytes(&buffer.to_bytes()).is_err());
}

/// Pushes one transition from observation `code` with reward 0.
fn push_zero_reward(replay: &mut PrioritizedReplay, code: f32) {
    replay
        .push(Transitions {
            observations: &[code],
            actions: &ActionBatch::Discrete(vec![0]),
            rewards: &[0.0],
            next_observations: &[0.0],
            terminated: &[false],
            truncated: &[false],
            next_masks: None,
        })
        .unwrap();
}

#[test]
fn prioritized_sampling_follows_priorities_and_weights_are_closed_form() {
    let space = Space::Discrete(Discrete::new(2).unwrap());
    let n = 8;
    let mut replay = PrioritizedReplay::new(
        ReplayBuffer::new(n, 1, 1, &space).unwrap(),
        PrioritizedConfig {
            alpha: 0.6,
            beta_init: 0.4,
            epsilon: 1e-6,
        },
    )
    .unwrap();
    for t in 0..n {
        push_zero_reward(&mut replay, t as f32);
    }
    let td: Vec<f32> = (0..n).map(|i| i as f32 * 0.5).collect();
    let indices: Vec<usize> = (0..n).collect();
    replay.update_priorities(&indices, &td).unwrap();
    let scaled: Vec<f64> = td
        .iter()
        .map(|&d| (f64::from(d) + 1e-6).powf(0.6))
        .collect();
    let total: f64 = scaled.iter().sum();
    let probability: Vec<f64> = scaled.iter().map(|p| p / total).collect();
    let min_p = probability.iter().cloned().fold(f64::INFINITY, f64::min);

    let mut rng = rng_from_seed(7);
    let draws = 40_000;
    let batch = 4;
    let mut counts = vec![0usize; n];
    let beta = 0.7;
    for _ in 0..draws / batch {
        let (sampled, weights) = replay.sample_indices(batch, beta, &mut rng).unwrap();
        for (&i, &w) in sampled.iter().zip(&weights) {
            counts[i] += 1;
            let expected =
                ((n as f64 * probability[i]).powf(-beta)) / ((n as f64 * min_p).powf(-beta));
            assert!(
                (f64::from(w) - expected).abs() < 1e-5,
                "weight of {i}: {w} vs {expected}"
            );
            assert!(w <= 1.0 + 1e-6);
        }
    }
    for i in 0..n {
        let expected = probability[i] * draws as f64;
        let sigma = (draws as f64 * probability[i] * (1.0 - probability[i])).sqrt();
        // Stratified sampling has less variance than independent draws; 5σ never fails by chance.
        assert!(
            (counts[i] as f64 - expected).abs() <= 5.0 * sigma + 1.0,
            "index {i}: {} draws, expected {expected:.0} ± {sigma:.0}",
            counts[i]
        );
    }
    assert!(counts[0] < draws / 1000, "priority ε only: {}", counts[0]);
    // New transitions get the maximal priority.
    push_zero_reward(&mut replay, 9.0);
    assert!((replay.priority(0) - replay.max_priority()).abs() < 1e-9);
    assert!((replay.max_priority() - 3.500001).abs() < 1e-9);
}

proptest! {
    #[test]
    fn segment_trees_reduce_and_search_like_a_linear_scan(
        values in prop::collection::vec(0.0f64..10.0, 1..40),
        updates in prop::collection::vec((0usize..40, 0.0f64..10.0), 0..20),
        fractions in prop::collection::vec(0.0f64..1.0, 1..20),
    ) {
        let mut leaves = values.clone();
        let mut sums = SegmentTree::sum(leaves.len());
        let mut mins = SegmentTree::min(leaves.len());
        for (i, &v) in values.iter().enumerate() {
            sums.set(i, v);
            mins.set(i, v);
        }
        for (i, v) in updates {
            let i = i % leaves.len();
            leaves[i] = v;
            sums.set(i, v);
            mins.set(i, v);
        }
        let total: f64 = leaves.iter().sum();
        prop_assert!((sums.reduce() - total).abs() <= 1e-9 * total.max(1.0));
        prop_assert_eq!(mins.reduce(), leaves.iter().cloned().fold(f64::INFINITY, f64::min));
        if total > 0.0 {
            for f in fractions {
                let prefix = f * total;
                let i = sums.find_prefix(prefix);
                prop_assert!(leaves[i] > 0.0, "landed on an empty leaf {}", i);
                let before: f64 = leaves[..i].iter().sum();
                prop_assert!(before <= prefix + 1e-9 && prefix <= before + leaves[i] + 1e-9,
                    "prefix {} in leaf {} covering [{}, {}]", prefix, i, before, before + leaves[i]);
            }
        }
    }

    #[test]
    fn the_ring_keeps_the_newest_rows_and_windows_never_cross_an_episode_end(
        streams in 1usize..4,
        rows in 1usize..9,
        ends in prop::collection::vec((0u8..10, 0u8..10), 1..40),
        n in 1usize..6,
    ) {
        let mut buffer = ReplayBuffer::new(rows * streams, streams, 1, &Space::Discrete(Discrete::new(2).unwrap())).unwrap();
        // Observation = step·10 + stream, so a transition names its own step and stream.
        for (step, &(a, b)) in ends.iter().enumerate() {
            let codes: Vec<f32> = (0..streams).map(|s| (step * 10 + s) as f32).collect();
            let term: Vec<bool> = (0..streams).map(|s| (a as usize + s).is_multiple_of(10)).collect();
            let trunc: Vec<bool> = (0..streams).map(|s| (b as usize + 2 * s).is_multiple_of(7)).collect();
            push_codes(&mut buffer, &codes, &vec![1.0; streams], &term, &trunc);
        }
        let steps = ends.len();
        let kept = steps.min(rows);
        prop_assert_eq!(buffer.len(), kept * streams);
        let mut stored_steps: Vec<usize> = (0..buffer.len())
            .map(|i| buffer.transition(i).unwrap().observation[0] as usize / 10)
            .collect();
        stored_steps.sort_unstable();
        stored_steps.dedup();
        prop_assert_eq!(stored_steps, ((steps - kept)..steps).collect::<Vec<_>>());

        let lookahead = Lookahead::new(n, 0.5).unwrap();
        for t in 0..buffer.len() {
            let (last, k) = buffer.window(t, n);
            prop_assert!(k >= 1 && k <= n);
            let code = |i: usize| buffer.transition(i).unwrap().observation[0] as usize;
            let (step0, stream0) = (code(t) / 10, code(t) % 10);
            let mut j = t;
            for i in 0..k {
                let stored = buffer.transition(j).unwrap();
                let (term, trunc) = (stored.terminated, stored.truncated);
                prop_assert_eq!(code(j), (step0 + i) * 10 + stream0, "same stream, consecutive steps");
                if i + 1 < k {
                    prop_assert!(!term && !trunc, "window crossed an episode end at {}", j);
                    prop_assert!(step0 + i + 1 < steps, "window ran past the newest step");
                }
                j = (j + streams) % buffer.capacity();
            }
            if k < n {
                let stored = buffer.transition(last).unwrap();
                let (term, trunc) = (stored.terminated, stored.truncated);
                prop_assert!(term || trunc || code(last) / 10 == steps - 1,
                    "window stopped early without a reason at {}", last);
            }
            let batch = buffer.gather(vec![t], lookahead, vec![1.0]).unwrap();
            let terminal = buffer.transition(last).unwrap().terminated;
            let expected_discount = if terminal { 0.0 } else { 0.5f32.powi(k as i32) };
            prop_assert_eq!(batch.discounts[0], expected_discount);
            prop_assert_eq!(batch.next_observations[0], code(last) as f32 + 0.5);
        }
    }
}

#[test]
fn next_state_masks_are_stored_gathered_and_saved() {
    let space = Space::Discrete(Discrete::new(3).unwrap());
    let mut buffer = ReplayBuffer::new(8, 2, 1, &space).unwrap();
    let push =
        |buffer: &mut ReplayBuffer, t: f32, masks: Option<&[bool]>, terminated: [bool; 2]| {
            buffer
                .push(Transitions {
                    observations: &[t, t],
                    actions: &ActionBatch::Discrete(vec![0, 0]),
                    rewards: &[0.0, 0.0],
                    next_observations: &[t + 1.0, t + 1.0],
                    terminated: &terminated,
                    truncated: &[false, false],
                    next_masks: masks,
                })
                .unwrap();
        };
    push(&mut buffer, 0.0, None, [false, false]);
    push(
        &mut buffer,
        1.0,
        Some(&[true, false, true, false, true, false]),
        [false, true],
    );
    let one_step = Lookahead::new(1, 0.9).unwrap();
    let batch = buffer
        .gather(vec![0, 2, 3], one_step, vec![1.0; 3])
        .unwrap();
    // Before the first mask every action counts as valid; a terminated step bootstraps from
    // nothing, so its next state allows everything.
    let expected = [true, true, true, true, false, true, true, true, true];
    assert_eq!(batch.next_masks.as_deref(), Some(&expected[..]));
    let err = buffer
        .push(Transitions {
            observations: &[0.0, 0.0],
            actions: &ActionBatch::Discrete(vec![0, 0]),
            rewards: &[0.0, 0.0],
            next_observations: &[0.0, 0.0],
            terminated: &[false, false],
            truncated: &[false, false],
            next_masks: Some(&[true; 5]),
        })
        .unwrap_err();
    assert!(
        err.to_string().contains("6 next-state action flags"),
        "{err}"
    );

    let mut copy = ReplayBuffer::new(8, 2, 1, &space).unwrap();
    copy.load_bytes(&buffer.to_bytes()).unwrap();
    assert_eq!(copy, buffer);
    // A file written before masks were stored reads as a buffer without them.
    let mut unmasked = ReplayBuffer::new(8, 2, 1, &space).unwrap();
    push(&mut unmasked, 0.0, None, [false, false]);
    let mut old = unmasked.to_bytes();
    old[..8].copy_from_slice(b"CINDRPL1");
    old.truncate(old.len() - 8);
    let mut read = ReplayBuffer::new(8, 2, 1, &space).unwrap();
    read.load_bytes(&old).unwrap();
    assert_eq!(read, unmasked);
}
