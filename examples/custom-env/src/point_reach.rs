//! `PointReach-v0`: a point in the square `[-1, 1]²` must reach a goal drawn anew each episode.
//! Written as a user writes an environment: the [`Env`] trait, a generator of its own, and
//! `snapshot`/`restore` so that a CLI run can be resumed bit for bit.

use cinder::core::seeding::{EnvRng, rng_from_entropy, rng_from_seed};
use cinder::core::{Action, BoxSpace, Env, EnvError, Space, StepOutcome};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How far one step with a unit action moves the point along each axis.
const SPEED: f32 = 0.1;
/// The goal counts as reached within this distance.
const GOAL_RADIUS: f32 = 0.1;

/// The point, its goal and the generator the goals and starts are drawn from.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    position: [f32; 2],
    goal: [f32; 2],
    rng: EnvRng,
    started: bool,
}

/// Observation `[x, y, goal_x, goal_y]`; action: a velocity in `[-1, 1]²` (`SPEED` per unit);
/// reward: minus the distance to the goal after the move; terminated on reaching it.
#[derive(Debug, Clone)]
pub struct PointReach {
    state: State,
    observation_space: Space,
    action_space: Space,
}

impl PointReach {
    /// The id it is registered under.
    pub const ID: &'static str = "PointReach-v0";

    /// A new environment; call `reset` before stepping.
    pub fn new() -> Self {
        let square = |dims| Space::Box(BoxSpace::uniform(-1.0, 1.0, vec![dims]).expect("static"));
        Self {
            state: State {
                position: [0.0; 2],
                goal: [0.0; 2],
                rng: rng_from_entropy(),
                started: false,
            },
            observation_space: square(4),
            action_space: square(2),
        }
    }

    fn write_observation(&self, observation: &mut [f32]) {
        let State { position, goal, .. } = self.state;
        observation.copy_from_slice(&[position[0], position[1], goal[0], goal[1]]);
    }
}

impl Default for PointReach {
    fn default() -> Self {
        Self::new()
    }
}

impl Env for PointReach {
    fn id(&self) -> &str {
        Self::ID
    }

    fn observation_space(&self) -> &Space {
        &self.observation_space
    }

    fn action_space(&self) -> &Space {
        &self.action_space
    }

    fn reset_into(&mut self, seed: Option<u64>, observation: &mut [f32]) {
        let state = &mut self.state;
        if let Some(seed) = seed {
            state.rng = rng_from_seed(seed);
        }
        let mut point = || [0, 1].map(|_| state.rng.random_range(-1.0f32..1.0));
        (state.position, state.goal) = (point(), point());
        state.started = true;
        self.write_observation(observation);
    }

    fn step_into(
        &mut self,
        action: Action<'_>,
        observation: &mut [f32],
    ) -> Result<StepOutcome, EnvError> {
        let velocity = self.action_space.continuous_values(Self::ID, action)?;
        if !self.state.started {
            return Err(EnvError::ResetNeeded {
                env: Self::ID.into(),
            });
        }
        let State { position, goal, .. } = &mut self.state;
        for (p, v) in position.iter_mut().zip(velocity) {
            *p = (*p + SPEED * v.clamp(-1.0, 1.0)).clamp(-1.0, 1.0);
        }
        let distance = (position[0] - goal[0]).hypot(position[1] - goal[1]);
        self.write_observation(observation);
        Ok(StepOutcome {
            reward: -f64::from(distance),
            terminated: distance < GOAL_RADIUS,
            truncated: false,
        })
    }

    fn snapshot(&self) -> Result<Value, EnvError> {
        serde_json::to_value(&self.state).map_err(|e| EnvError::BadSnapshot {
            env: Self::ID.into(),
            reason: e.to_string(),
        })
    }

    fn restore(&mut self, snapshot: &Value) -> Result<(), EnvError> {
        self.state = State::deserialize(snapshot).map_err(|e| EnvError::BadSnapshot {
            env: Self::ID.into(),
            reason: e.to_string(),
        })?;
        Ok(())
    }
}
