//! Environments a program registers, and what a badly written one gets: registration beside
//! the built-in ids, refused duplicates, a panicking factory, and non-finite or unwritten
//! observations and rewards named with the environment and the step.

use cinder_core::{Action, BoxSpace, Env, EnvError, Space, StepOutcome, VecEnv};
use cinder_envs::{CartPole, EnvSpec, ids, make, register, spec};

/// What a faulty environment does wrong.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    /// Nothing.
    None,
    /// Its observation has a NaN from the third step on.
    NanObservation,
    /// It writes only the first of its two observation values from the third step on.
    ShortObservation,
    /// Its reward is infinite from the third step on.
    InfiniteReward,
    /// Its reset observation is NaN.
    NanReset,
}

/// A 2-D observation, one continuous action; episodes never end by themselves.
#[derive(Debug)]
struct Faulty {
    fault: Fault,
    t: usize,
    observation_space: Space,
    action_space: Space,
}

impl Faulty {
    fn new(fault: Fault) -> Self {
        let space = |n| Space::Box(BoxSpace::uniform(-1.0, 1.0, vec![n]).unwrap());
        Self {
            fault,
            t: 0,
            observation_space: space(2),
            action_space: space(1),
        }
    }
}

impl Env for Faulty {
    fn id(&self) -> &str {
        "Faulty-v0"
    }
    fn observation_space(&self) -> &Space {
        &self.observation_space
    }
    fn action_space(&self) -> &Space {
        &self.action_space
    }
    fn reset_into(&mut self, _seed: Option<u64>, observation: &mut [f32]) {
        self.t = 0;
        let first = if self.fault == Fault::NanReset {
            f32::NAN
        } else {
            0.0
        };
        observation.copy_from_slice(&[first, 0.0]);
    }
    fn step_into(
        &mut self,
        _action: Action<'_>,
        observation: &mut [f32],
    ) -> Result<StepOutcome, EnvError> {
        self.t += 1;
        let late = self.t >= 3;
        let value = self.t as f32 * 0.1;
        match (self.fault, late) {
            (Fault::NanObservation, true) => observation.copy_from_slice(&[value, f32::NAN]),
            (Fault::ShortObservation, true) => observation[0] = value,
            _ => observation.copy_from_slice(&[value, -value]),
        }
        let reward = if self.fault == Fault::InfiniteReward && late {
            f64::INFINITY
        } else {
            1.0
        };
        Ok(StepOutcome {
            reward,
            terminated: false,
            truncated: false,
        })
    }
}

/// The error of stepping two `fault` environments until one fails.
fn first_error(fault: Fault) -> EnvError {
    let mut envs =
        VecEnv::from_fn(2, |_| Ok(Box::new(Faulty::new(fault)) as Box<dyn Env>)).unwrap();
    envs.reset(Some(0));
    for _ in 0..10 {
        if let Err(e) = envs.step(cinder_core::Actions::Continuous(&[0.0, 0.0])) {
            return e;
        }
    }
    panic!("{fault:?} was never reported");
}

#[test]
fn registered_envs_are_made_beside_the_built_in_ones() {
    register(EnvSpec::new("Registered-v0", 7, || {
        Faulty::new(Fault::None)
    }))
    .unwrap();
    assert!(ids().iter().any(|id| id == "Registered-v0"));
    assert!(ids().iter().any(|id| id == "CartPole-v1"));
    let spec = spec("Registered-v0").unwrap();
    assert_eq!(spec.max_episode_steps, 7);
    let mut env = make("Registered-v0").unwrap();
    env.reset(Some(0));
    let steps = (0..7)
        .map(|_| env.step(Action::Continuous(&[0.0])).unwrap())
        .collect::<Vec<_>>();
    assert!(steps[..6].iter().all(|s| !s.truncated));
    assert!(steps[6].truncated, "its time limit truncates the episode");
    let err = make("Nowhere-v0").err().unwrap();
    assert!(err.to_string().contains("Registered-v0"), "{err}");
}

#[test]
fn an_id_registers_once_and_a_time_limit_is_at_least_one() {
    let err = register(EnvSpec::new("CartPole-v1", 10, CartPole::new)).unwrap_err();
    assert!(err.to_string().contains("already registered"), "{err}");
    register(EnvSpec::new("Twice-v0", 10, CartPole::new)).unwrap();
    let err = register(EnvSpec::new("Twice-v0", 10, CartPole::new)).unwrap_err();
    assert!(err.to_string().contains("already registered"), "{err}");
    let err = register(EnvSpec::new("NoLimit-v0", 0, CartPole::new)).unwrap_err();
    assert!(err.to_string().contains("max_episode_steps"), "{err}");
}

#[test]
fn a_panicking_factory_is_an_error_naming_the_env() {
    let spec = EnvSpec::new("Panics-v0", 10, || -> CartPole {
        panic!("no licence file")
    });
    let err = spec.make().err().unwrap();
    let message = err.to_string();
    assert!(message.contains("Panics-v0"), "{message}");
    assert!(message.contains("no licence file"), "{message}");
}

#[test]
fn bad_observations_and_rewards_name_the_env_the_value_and_the_step() {
    let err = first_error(Fault::NanObservation);
    assert!(
        matches!(&err, EnvError::NonFinite { env, what, value }
            if env == "Faulty-v0" && what.starts_with("observation component 1 ")
                && what.ends_with("at step 3 of environment 0's episode") && value.is_nan()),
        "{err}"
    );
    let err = first_error(Fault::ShortObservation);
    assert!(
        matches!(&err, EnvError::NonFinite { what, .. } if what.contains("component 1")),
        "an unwritten value is caught, not trained on: {err}"
    );
    assert!(err.to_string().contains("did not write"), "{err}");
    let err = first_error(Fault::InfiniteReward);
    assert!(
        matches!(&err, EnvError::NonFinite { what, value, .. }
            if what.starts_with("the reward") && *value == f64::INFINITY),
        "{err}"
    );
    let err = first_error(Fault::NanReset);
    assert!(
        matches!(&err, EnvError::NonFinite { what, .. }
            if what.contains("component 0") && what.contains("step 0")),
        "a bad reset observation is reported at the first step: {err}"
    );
}

/// Two discrete actions; action 1 is invalid on even steps, and no action is valid once
/// `dead_end` steps have passed (if given).
#[derive(Debug)]
struct Gate {
    t: usize,
    dead_end: Option<usize>,
    observation_space: Space,
    action_space: Space,
}

impl Gate {
    fn new(dead_end: Option<usize>) -> Self {
        Self {
            t: 0,
            dead_end,
            observation_space: Space::Box(BoxSpace::uniform(0.0, 10.0, vec![1]).unwrap()),
            action_space: Space::Discrete(cinder_core::Discrete::new(2).unwrap()),
        }
    }
}

impl Env for Gate {
    fn id(&self) -> &str {
        "Gate-v0"
    }
    fn observation_space(&self) -> &Space {
        &self.observation_space
    }
    fn action_space(&self) -> &Space {
        &self.action_space
    }
    fn reset_into(&mut self, _seed: Option<u64>, observation: &mut [f32]) {
        self.t = 0;
        observation[0] = 0.0;
    }
    fn step_into(
        &mut self,
        _action: Action<'_>,
        observation: &mut [f32],
    ) -> Result<StepOutcome, EnvError> {
        self.t += 1;
        observation[0] = self.t as f32;
        Ok(StepOutcome {
            reward: 0.0,
            terminated: false,
            truncated: false,
        })
    }
    fn action_mask(&self, mask: &mut [bool]) {
        let open = self.dead_end.is_none_or(|end| self.t < end);
        mask[0] = open;
        mask[1] = open && self.t % 2 == 1;
    }
}

#[test]
fn masks_are_reported_and_a_masked_action_never_reaches_the_env() {
    let mut envs = VecEnv::from_fn(2, |_| Ok(Box::new(Gate::new(None)) as Box<dyn Env>)).unwrap();
    envs.reset(Some(0));
    assert_eq!(envs.action_masks(), Some(&[true, false, true, false][..]));
    let err = envs
        .step(cinder_core::Actions::Discrete(&[0, 1]))
        .unwrap_err();
    assert!(
        matches!(&err, EnvError::InvalidAction { env, .. } if env == "Gate-v0"),
        "{err}"
    );
    assert!(err.to_string().contains("mask forbids 1"), "{err}");
    let step = envs.step(cinder_core::Actions::Discrete(&[0, 0])).unwrap();
    assert_eq!(
        step.action_masks, None,
        "every action is valid on odd steps"
    );
    envs.step(cinder_core::Actions::Discrete(&[1, 1])).unwrap();
    assert_eq!(envs.action_masks(), Some(&[true, false, true, false][..]));
}

#[test]
fn a_state_without_a_valid_action_is_an_error_naming_the_env_and_the_step() {
    let mut envs =
        VecEnv::from_fn(1, |_| Ok(Box::new(Gate::new(Some(2))) as Box<dyn Env>)).unwrap();
    envs.reset(Some(0));
    envs.step(cinder_core::Actions::Discrete(&[0])).unwrap();
    let err = envs
        .step(cinder_core::Actions::Discrete(&[0]))
        .err()
        .unwrap();
    assert!(
        matches!(&err, EnvError::NoValidAction { env, when }
            if env == "Gate-v0" && when == "at step 2 of environment 0's episode"),
        "{err}"
    );
}
