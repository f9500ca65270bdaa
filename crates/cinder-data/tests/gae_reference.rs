//! `gae` equals Tianshou's `compute_episodic_return` on every case of `tests/data/gae.json`
//! (copied from the project's shared reference data; 65 cases over γ, λ, truncation mid-buffer,
//! termination, unfinished last episodes) to 1e-6.

use cinder_data::advantages::{Transitions, gae};
use serde_json::Value;

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn flags(v: &Value) -> Vec<bool> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_bool().unwrap())
        .collect()
}

#[test]
fn gae_matches_tianshou_on_every_reference_case() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/gae.json");
    let data: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = data["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 65);
    let mut truncated_mid = 0;
    for case in cases {
        let (rewards, values, next_values) = (
            floats(&case["rewards"]),
            floats(&case["values"]),
            floats(&case["next_values"]),
        );
        let (terminated, truncated) = (flags(&case["terminated"]), flags(&case["truncated"]));
        truncated_mid += truncated[..truncated.len() - 1]
            .iter()
            .filter(|t| **t)
            .count();
        let n = rewards.len();
        let (mut adv, mut ret) = (vec![0.0; n], vec![0.0; n]);
        gae(
            Transitions {
                rewards: &rewards,
                values: &values,
                next_values: &next_values,
                terminated: &terminated,
                truncated: &truncated,
            },
            case["gamma"].as_f64().unwrap(),
            case["lambda"].as_f64().unwrap(),
            &mut adv,
            &mut ret,
        );
        for (what, got, want) in [
            ("advantages", &adv, floats(&case["advantages"])),
            ("returns", &ret, floats(&case["returns"])),
        ] {
            for (t, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (g - w).abs() <= 1e-6,
                    "case {} {what}[{t}]: {g} vs {w}",
                    case["id"]
                );
            }
        }
    }
    assert!(
        truncated_mid > 10,
        "the cases must exercise truncation mid-buffer"
    );
}
