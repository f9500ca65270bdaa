//! A program's own environment through the run machinery the CLI uses: it trains, and a
//! resume of an environment that cannot save its state is refused in one line instead of
//! going on inexactly.

use cinder::core::{Action, BoxSpace, Discrete, Env, EnvError, Space, StepOutcome};
use cinder::envs::{EnvSpec, register};
use cinder::run::{RunError, TrainRequest, execute, prepare, resume};

/// A walk on a line to +3; it keeps no snapshot of its state.
struct Walk {
    x: i32,
    observation_space: Space,
    action_space: Space,
}

impl Walk {
    fn new() -> Self {
        Self {
            x: 0,
            observation_space: Space::Box(BoxSpace::uniform(-10.0, 10.0, vec![1]).unwrap()),
            action_space: Space::Discrete(Discrete::new(3).unwrap()),
        }
    }
}

impl Env for Walk {
    fn id(&self) -> &str {
        "Walk-v0"
    }
    fn observation_space(&self) -> &Space {
        &self.observation_space
    }
    fn action_space(&self) -> &Space {
        &self.action_space
    }
    fn reset_into(&mut self, _seed: Option<u64>, observation: &mut [f32]) {
        self.x = 0;
        observation[0] = 0.0;
    }
    fn step_into(
        &mut self,
        action: Action<'_>,
        observation: &mut [f32],
    ) -> Result<StepOutcome, EnvError> {
        let step = self.action_space.discrete_index("Walk-v0", action)? as i32 - 1;
        self.x = (self.x + step).clamp(-10, 10);
        observation[0] = self.x as f32;
        Ok(StepOutcome {
            reward: -1.0,
            terminated: self.x >= 3,
            truncated: false,
        })
    }
}

#[test]
fn a_registered_env_trains_and_an_inexact_resume_is_refused() {
    register(EnvSpec::new("Walk-v0", 20, Walk::new)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let request = TrainRequest {
        algo: "ppo".into(),
        env: "Walk-v0".into(),
        preset: None,
        overrides: vec!["eval_every=1".into(), "eval_episodes=1".into()],
        seed: 0,
        steps: Some(4096),
        device: "flex".into(),
        out: out.path().to_path_buf(),
        workers: None,
        icm: false,
        progress_bar: false,
    };
    let (dir, summary) = execute(prepare(&request).unwrap(), out.path(), false).unwrap();
    assert_eq!(summary.env, "Walk-v0");
    assert!(dir.join("snapshots/latest/policy.bpk").exists());
    match resume(&dir, Some(8192), None, false) {
        Err(RunError::Input(message)) => {
            assert!(
                message.contains("Walk-v0") && message.contains("does not save its state"),
                "{message}"
            );
            assert_eq!(message.lines().count(), 1, "{message}");
            assert!(!message.contains("  "), "stray spaces: {message}");
        }
        other => panic!(
            "resume of Walk-v0 was not refused: {:?}",
            other.map(|s| s.env)
        ),
    }
}
