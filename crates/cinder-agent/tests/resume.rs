//! The environments' part of a snapshot: saved and restored with the learner's files, put back
//! when the learner's files fail to load, and skipped for environments that cannot save
//! their state (a user's own), whose runs then resume with new episodes.

use cinder_agent::AgentError;
use cinder_agent::resume::{ENVS_FILE, restore_envs_then, save_envs};
use cinder_core::env::{from_snapshot, to_snapshot};
use cinder_core::space::{BoxSpace, Discrete};
use cinder_core::{Action, Actions, Env, EnvError, Snapshot, Space, StepOutcome, VecEnv};
use serde_json::Value;

/// Observes how many steps it took since its reset; saves that count if `saves`.
struct Counter {
    steps: usize,
    saves: bool,
    observation_space: Space,
    action_space: Space,
}

impl Counter {
    fn new(saves: bool) -> Self {
        Self {
            steps: 0,
            saves,
            observation_space: Space::Box(BoxSpace::uniform(0.0, 1e6, vec![1]).unwrap()),
            action_space: Space::Discrete(Discrete::new(2).unwrap()),
        }
    }
}

impl Env for Counter {
    fn id(&self) -> &str {
        "Counter"
    }
    fn observation_space(&self) -> &Space {
        &self.observation_space
    }
    fn action_space(&self) -> &Space {
        &self.action_space
    }
    fn reset_into(&mut self, _seed: Option<u64>, observation: &mut [f32]) {
        self.steps = 0;
        observation[0] = 0.0;
    }
    fn step_into(
        &mut self,
        _: Action<'_>,
        observation: &mut [f32],
    ) -> Result<StepOutcome, EnvError> {
        self.steps += 1;
        observation[0] = self.steps as f32;
        Ok(StepOutcome {
            reward: 1.0,
            terminated: false,
            truncated: false,
        })
    }
    fn snapshot(&self) -> Result<Value, EnvError> {
        match self.saves {
            true => to_snapshot(self.id(), &self.steps),
            false => Err(EnvError::StateUnsupported {
                env: self.id().into(),
            }),
        }
    }
    fn restore(&mut self, snapshot: &Value) -> Result<(), EnvError> {
        self.steps = from_snapshot(self.id(), snapshot)?;
        Ok(())
    }
}

fn counters(saves: bool, steps: usize) -> VecEnv {
    let mut envs =
        VecEnv::from_fn(2, |_| Ok(Box::new(Counter::new(saves)) as Box<dyn Env>)).unwrap();
    envs.reset(Some(0));
    for _ in 0..steps {
        envs.step(Actions::Discrete(&[0, 1])).unwrap();
    }
    envs
}

#[test]
fn environments_come_back_with_the_learner_and_go_back_if_it_fails() {
    let mut snapshot = Snapshot::new();
    save_envs(&mut snapshot, &counters(true, 5)).unwrap();
    assert!(snapshot.contains(ENVS_FILE));

    let mut envs = counters(true, 2);
    let loaded = restore_envs_then(&snapshot, &mut envs, || Ok(7)).unwrap();
    assert_eq!(loaded, 7);
    assert_eq!(envs.observations(), &[5.0, 5.0]);
    let step = envs.step(Actions::Discrete(&[0, 0])).unwrap();
    assert_eq!(step.observations, &[6.0, 6.0], "the episodes go on");

    let mut envs = counters(true, 2);
    let failed = restore_envs_then(&snapshot, &mut envs, || -> Result<(), AgentError> {
        Err(AgentError::UnsupportedSpace("the learner's files".into()))
    });
    assert!(failed.is_err());
    assert_eq!(envs.observations(), &[2.0, 2.0], "put back");
    let step = envs.step(Actions::Discrete(&[0, 0])).unwrap();
    assert_eq!(step.observations, &[3.0, 3.0]);
}

#[test]
fn environments_that_cannot_save_their_state_are_left_out() {
    let mut snapshot = Snapshot::new();
    save_envs(&mut snapshot, &counters(false, 5)).unwrap();
    assert!(!snapshot.contains(ENVS_FILE));
    let mut envs = counters(false, 2);
    restore_envs_then(&snapshot, &mut envs, || Ok(())).unwrap();
    assert_eq!(
        envs.observations(),
        &[2.0, 2.0],
        "new episodes, not the saved ones"
    );
}
