//! The core wrappers on real environments.

use cinder_core::{
    Action, ClipAction, Env, EnvError, NormalizeObservation, RescaleAction, RunningMeanStd,
    TimeLimit,
};
use cinder_envs::{CartPole, MountainCarContinuous, Pendulum, make};

#[test]
fn time_limit_truncates_and_reset_restarts_the_count() {
    let mut env = TimeLimit::new(Pendulum::new(), 3).unwrap();
    for _ in 0..2 {
        env.reset(Some(0));
        let flags: Vec<bool> = (0..3)
            .map(|_| env.step(Action::Continuous(&[0.0])).unwrap().truncated)
            .collect();
        assert_eq!(flags, [false, false, true]);
        assert_eq!(env.elapsed_steps(), 3);
    }
    assert!(TimeLimit::new(Pendulum::new(), 0).is_err());
}

#[test]
fn time_limit_can_truncate_a_terminating_step() {
    let mut env = TimeLimit::new(CartPole::new(), 1).unwrap();
    env.reset(Some(0));
    env.set_state(&[2.4, 1.0, 0.0, 0.0]).unwrap();
    let step = env.step(Action::Discrete(1)).unwrap();
    assert!(step.terminated && step.truncated);
}

#[test]
fn clip_action_clips_into_the_inner_bounds() {
    let mut clipped = ClipAction::new(MountainCarContinuous::new()).unwrap();
    let mut plain = MountainCarContinuous::new();
    assert!(clipped.action_space().as_box().unwrap().high()[0].is_infinite());
    clipped.reset(Some(4));
    plain.reset(Some(4));
    let a = clipped.step(Action::Continuous(&[7.0])).unwrap();
    let b = plain.step(Action::Continuous(&[1.0])).unwrap();
    // Same dynamics and, as the inner env only sees the clipped action, the same reward.
    assert_eq!(a, b);
    assert!(clipped.step(Action::Continuous(&[f32::NAN])).is_err());
    assert!(matches!(
        ClipAction::new(CartPole::new()),
        Err(EnvError::IncompatibleEnv { .. })
    ));
}

#[test]
fn rescale_action_maps_the_interval_affinely() {
    let mut rescaled = RescaleAction::new(Pendulum::new(), -1.0, 1.0).unwrap();
    let mut plain = Pendulum::new();
    for (outer, inner) in [(-1.0, -2.0), (0.5, 1.0), (1.0, 2.0), (0.0, 0.0)] {
        rescaled.reset(Some(9));
        plain.reset(Some(9));
        let a = rescaled.step(Action::Continuous(&[outer])).unwrap();
        let b = plain.step(Action::Continuous(&[inner])).unwrap();
        assert_eq!(a, b, "{outer} -> {inner}");
    }
    assert_eq!(rescaled.action_space().as_box().unwrap().high(), &[1.0]);
    assert!(RescaleAction::new(Pendulum::new(), 1.0, 1.0).is_err());
    assert!(RescaleAction::new(make("CartPole-v1").unwrap(), -1.0, 1.0).is_err());
}

#[test]
fn normalize_observation_standardises_and_its_statistics_round_trip() {
    let mut env = NormalizeObservation::new(make("CartPole-v1").unwrap()).unwrap();
    env.reset(Some(0));
    let mut seen = Vec::new();
    for t in 0..2000 {
        let step = env.step(Action::Discrete(t % 2)).unwrap();
        if t >= 1000 {
            seen.extend(step.observation.clone());
        }
        if step.terminated || step.truncated {
            env.reset(None);
        }
    }
    // Late observations are roughly standardised: mean near 0, variance near 1.
    for j in 0..4 {
        let xs: Vec<f64> = seen
            .iter()
            .skip(j)
            .step_by(4)
            .map(|&v| f64::from(v))
            .collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(
            mean.abs() < 0.3 && (0.5..1.5).contains(&var),
            "{j}: {mean} {var}"
        );
    }

    let saved: RunningMeanStd = env.statistics().clone();
    let json = serde_json::to_string(&saved).unwrap();
    let mut restored = NormalizeObservation::new(make("CartPole-v1").unwrap()).unwrap();
    restored
        .set_statistics(serde_json::from_str(&json).unwrap())
        .unwrap();
    restored.set_update_statistics(false);
    env.set_update_statistics(false);
    assert_eq!(restored.reset(Some(5)), env.reset(Some(5)));
    assert_eq!(
        restored.statistics(),
        &saved,
        "frozen statistics must not move"
    );

    let wrong = RunningMeanStd::new(3);
    assert!(restored.set_statistics(wrong).is_err());
    let mut nan = saved.clone();
    nan.var[0] = f64::NAN;
    assert!(restored.set_statistics(nan).is_err());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// ClipAction of any finite action steps exactly like the clamped action.
        #[test]
        fn clip_action_equals_the_clamped_action(a in -1e6f32..1e6, seed in 0u64..1000) {
            let mut clipped = ClipAction::new(Pendulum::new()).unwrap();
            let mut plain = Pendulum::new();
            clipped.reset(Some(seed));
            plain.reset(Some(seed));
            let x = clipped.step(Action::Continuous(&[a])).unwrap();
            let y = plain.step(Action::Continuous(&[a.clamp(-2.0, 2.0)])).unwrap();
            prop_assert_eq!(x, y);
        }

        /// RescaleAction from [-1, 1] lands every action inside the env's bounds, at the
        /// affine image of the action.
        #[test]
        fn rescale_action_is_affine_and_in_bounds(a in 0.0f32..=1.0, seed in 0u64..1000) {
            // [0, 1] onto Pendulum's [-2, 2]: a ↦ 4a − 2.
            let mut rescaled = RescaleAction::new(Pendulum::new(), 0.0, 1.0).unwrap();
            let mut plain = Pendulum::new();
            rescaled.reset(Some(seed));
            plain.reset(Some(seed));
            rescaled.step(Action::Continuous(&[a])).unwrap();
            plain.step(Action::Continuous(&[4.0 * a - 2.0])).unwrap();
            let (x, y) = (rescaled.state().unwrap(), plain.state().unwrap());
            for (x, y) in x.iter().zip(&y) {
                // One f32 rounding of the torque moves θ̇ by at most 3·2.4e-7·dt.
                prop_assert!((x - y).abs() < 1e-7, "{x} vs {y}");
            }
        }
    }
}
