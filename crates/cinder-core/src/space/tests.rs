//! Tests of the spaces: sampling, membership, clipping and their errors.

use super::*;
use crate::seeding::rng_from_seed;
use proptest::prelude::*;

#[test]
fn invalid_spaces_are_errors() {
    assert!(Discrete::new(0).is_err());
    assert!(BoxSpace::new(vec![1.0], vec![0.0]).is_err());
    assert!(BoxSpace::new(vec![f32::NAN], vec![0.0]).is_err());
    assert!(BoxSpace::with_shape(vec![0.0; 3], vec![1.0; 3], vec![2, 2]).is_err());
    assert!(BoxSpace::new(vec![], vec![]).is_err());
}

#[test]
fn spaces_round_trip_through_json_infinite_bounds_included() {
    let space =
        Space::Box(BoxSpace::new(vec![f32::NEG_INFINITY, -1.5], vec![f32::INFINITY, 2.0]).unwrap());
    let json = serde_json::to_string(&space).unwrap();
    assert!(
        json.contains("\"-inf\"") && json.contains("\"inf\""),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<Space>(&json).unwrap(), space);
    let discrete = Space::Discrete(Discrete::new(3).unwrap());
    let json = serde_json::to_string(&discrete).unwrap();
    assert_eq!(serde_json::from_str::<Space>(&json).unwrap(), discrete);
    // A box that with_shape refuses is refused when read, too.
    let inverted = r#"{"Box":{"low":[1.0],"high":[0.0],"shape":[1]}}"#;
    assert!(serde_json::from_str::<Space>(inverted).is_err());
    let word = r#"{"Box":{"low":["huge"],"high":[0.0],"shape":[1]}}"#;
    assert!(serde_json::from_str::<Space>(word).is_err());
}

#[test]
fn unbounded_samples_follow_their_side() {
    let space = BoxSpace::new(
        vec![f32::NEG_INFINITY, 1.0, f32::NEG_INFINITY],
        vec![f32::INFINITY, f32::INFINITY, -1.0],
    )
    .unwrap();
    let mut rng = rng_from_seed(3);
    let n = 20_000;
    let mut mean = [0.0f64; 3];
    for _ in 0..n {
        let s = space.sample(&mut rng);
        assert!(space.contains(&s));
        for (m, v) in mean.iter_mut().zip(&s) {
            *m += f64::from(*v) / n as f64;
        }
    }
    // N(0,1) has mean 0; 1 + Exp(1) has mean 2; -1 - Exp(1) has mean -2.
    assert!(mean[0].abs() < 0.05, "{mean:?}");
    assert!((mean[1] - 2.0).abs() < 0.05, "{mean:?}");
    assert!((mean[2] + 2.0).abs() < 0.05, "{mean:?}");
}

#[test]
fn check_names_env_and_space() {
    let space = Space::Discrete(Discrete::new(2).unwrap());
    let err = space.check("CartPole-v1", Action::Discrete(2)).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("CartPole-v1") && msg.contains("Discrete(2)"),
        "{msg}"
    );
    let boxed = Space::Box(BoxSpace::uniform(-2.0, 2.0, vec![1]).unwrap());
    assert_eq!(
        boxed.continuous_values("P", Action::Continuous(&[5.0])),
        Ok(&[5.0f32][..])
    );
    assert!(boxed.check("P", Action::Continuous(&[5.0])).is_err());
    assert!(
        boxed
            .continuous_values("P", Action::Continuous(&[f32::NAN]))
            .is_err()
    );
    assert!(
        boxed
            .continuous_values("P", Action::Continuous(&[0.0, 0.0]))
            .is_err()
    );
    assert!(boxed.continuous_values("P", Action::Discrete(0)).is_err());
}

fn bounds() -> impl Strategy<Value = Vec<(f32, f32)>> {
    proptest::collection::vec((-1e3f32..1e3, 0.0f32..1e3), 1..6)
        .prop_map(|v| v.into_iter().map(|(lo, w)| (lo, lo + w)).collect())
}

proptest! {
    #[test]
    fn samples_are_contained(b in bounds(), seed in any::<u64>()) {
        let (low, high): (Vec<f32>, Vec<f32>) = b.into_iter().unzip();
        let space = BoxSpace::new(low, high).unwrap();
        let mut rng = rng_from_seed(seed);
        for _ in 0..16 {
            prop_assert!(space.contains(&space.sample(&mut rng)));
        }
    }

    #[test]
    fn clip_lands_inside_and_is_idempotent(
        b in bounds(),
        values in proptest::collection::vec(-5e3f32..5e3, 6),
    ) {
        let (low, high): (Vec<f32>, Vec<f32>) = b.into_iter().unzip();
        let space = BoxSpace::new(low, high).unwrap();
        let mut v = values[..space.flat_dim()].to_vec();
        let inside_before = space.contains(&v);
        let before = v.clone();
        space.clip(&mut v);
        prop_assert!(space.contains(&v));
        if inside_before {
            prop_assert_eq!(&v, &before);
        }
        let once = v.clone();
        space.clip(&mut v);
        prop_assert_eq!(v, once);
    }

    #[test]
    fn discrete_samples_are_contained(n in 1usize..50, seed in any::<u64>()) {
        let d = Discrete::new(n).unwrap();
        let mut rng = rng_from_seed(seed);
        for _ in 0..16 {
            let i = d.sample(&mut rng);
            prop_assert!(d.contains(i));
        }
        prop_assert!(!d.contains(n));
    }
}
