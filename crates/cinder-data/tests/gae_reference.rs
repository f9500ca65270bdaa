//! `gae` equals Tianshou's `compute_episodic_return` on every case of `tests/data/gae.json`
//! (copied from the project's shared reference data; 65 cases over γ, λ, truncation mid-buffer,
//! termination, unfinished last episodes) to 1e-6.

mod common;

use cinder_data::advantages::{Stream, gae};
use common::{flags, floats, reference};

#[test]
fn gae_matches_tianshou_on_every_reference_case() {
    let data = reference("gae.json");
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
            Stream {
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
