//! MountainCar-v0 and MountainCarContinuous-v0: drive an underpowered car up a hill
//! (Moore 1990), as in Gymnasium 1.4.

use cinder_core::{Action, BoxSpace, Env, Space, StepOutcome};

use crate::common::{
    Physics, Stepped, discrete, env_boilerplate, env_type, symmetric_box, uniform,
    write_observation,
};

const MIN_POSITION: f64 = -1.2;
const MAX_POSITION: f64 = 0.6;
const MAX_SPEED: f64 = 0.07;
const GRAVITY: f64 = 0.0025;
const STATE_NAMES: [&str; 2] = ["position", "velocity"];

fn observation_space() -> Space {
    let low = vec![MIN_POSITION as f32, -MAX_SPEED as f32];
    let high = vec![MAX_POSITION as f32, MAX_SPEED as f32];
    Space::Box(BoxSpace::new(low, high).expect("static bounds"))
}

/// The shared hill dynamics (semi-implicit Euler, unit time step): the velocity gains `push`
/// and loses `gravity·cos(3·position)`, is clipped, moves the car, the position is clipped, and
/// the car stops dead against the left wall.
fn move_car(position: f64, velocity: f64, push: f64) -> (f64, f64) {
    let velocity =
        (velocity + (push - GRAVITY * (3.0 * position).cos())).clamp(-MAX_SPEED, MAX_SPEED);
    let position = (position + velocity).clamp(MIN_POSITION, MAX_POSITION);
    let velocity = if position == MIN_POSITION && velocity < 0.0 {
        0.0
    } else {
        velocity
    };
    (position, velocity)
}

/// The starting state: position from U(−0.6, −0.4), at rest.
fn start_state(physics: &mut Physics<2>, seed: Option<u64>) -> [f64; 2] {
    [uniform(physics.reset_rng(seed), -0.6, -0.4), 0.0]
}

env_type!(
    /// The car with three discrete actions: push left, do nothing, push right.
    ///
    /// - State `[position, velocity]` (f64); observation: the state as f32.
    /// - Velocity update `v + (a − 1)·0.001 − 0.0025·cos(3·position)`.
    /// - Reward −1 per step; terminated when position ≥ 0.5 and velocity ≥ 0.
    MountainCar, "MountainCar-v0", STATE_NAMES;
    observation_space(),
    discrete(3),
);

impl MountainCar {
    const FORCE: f64 = 0.001;
    const GOAL_POSITION: f64 = 0.5;
}

impl Env for MountainCar {
    env_boilerplate!(snapshot);

    fn reset_into(&mut self, seed: Option<u64>, observation: &mut [f32]) {
        let state = start_state(&mut self.physics, seed);
        self.physics.set(state);
        write_observation(observation, &state);
    }

    fn step_into(&mut self, action: Action<'_>, observation: &mut [f32]) -> Stepped {
        let index = self.action_space.discrete_index(Self::ID, action)?;
        let [position, velocity] = self.physics.current()?;
        let push = (index as f64 - 1.0) * Self::FORCE;
        let (position, velocity) = move_car(position, velocity, push);
        self.physics.set([position, velocity]);
        write_observation(observation, &[position, velocity]);
        Ok(StepOutcome {
            reward: -1.0,
            terminated: position >= Self::GOAL_POSITION && velocity >= 0.0,
            truncated: false,
        })
    }
}

env_type!(
    /// The car with a continuous throttle in `[-1, 1]`.
    ///
    /// - State `[position, velocity]`, rounded to f32 after every step as Gymnasium stores it;
    ///   observation: the state.
    /// - Velocity update `v + clip(a, −1, 1)·0.0015 − 0.0025·cos(3·position)`; out-of-range
    ///   actions are clipped for the dynamics, as Gymnasium does.
    /// - Reward `100·[goal reached] − 0.1·a²` with the *unclipped* action; terminated when
    ///   position ≥ 0.45 and velocity ≥ 0.
    MountainCarContinuous, "MountainCarContinuous-v0", STATE_NAMES;
    observation_space(),
    symmetric_box(&[1.0]),
);

impl MountainCarContinuous {
    const POWER: f64 = 0.0015;
    const GOAL_POSITION: f64 = 0.45;
}

/// Rounds each component to f32, as Gymnasium stores this environment's state.
fn as_f32_values(state: [f64; 2]) -> [f64; 2] {
    state.map(|v| f64::from(v as f32))
}

impl Env for MountainCarContinuous {
    env_boilerplate!(snapshot);

    fn reset_into(&mut self, seed: Option<u64>, observation: &mut [f32]) {
        let state = as_f32_values(start_state(&mut self.physics, seed));
        self.physics.set(state);
        write_observation(observation, &state);
    }

    fn step_into(&mut self, action: Action<'_>, observation: &mut [f32]) -> Stepped {
        let values = self.action_space.continuous_values(Self::ID, action)?;
        let [position, velocity] = self.physics.current()?;
        let throttle = f64::from(values[0]);
        let push = throttle.clamp(-1.0, 1.0) * Self::POWER;
        let (position, velocity) = move_car(position, velocity, push);
        let terminated = position >= Self::GOAL_POSITION && velocity >= 0.0;
        let state = as_f32_values([position, velocity]);
        self.physics.set(state);
        write_observation(observation, &state);
        let goal_bonus = if terminated { 100.0 } else { 0.0 };
        Ok(StepOutcome {
            reward: goal_bonus - throttle * throttle * 0.1,
            terminated,
            truncated: false,
        })
    }
}
