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

/// MountainCar's hill dynamics (semi-implicit Euler, unit time step; MountainCarContinuous
/// runs the same in NumPy's types, [`drive`]): the velocity gains `push`
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

/// A number as Gymnasium's MountainCarContinuous step holds it under NumPy 2: a float32
/// scalar (the action; the state after a step, which it stores as float32), a float64 one (the
/// state a reset draws) or a Python float (constants, clipped values), which takes the type
/// of the NumPy scalar it meets (NEP 50), comparisons included.
#[derive(Debug, Clone, Copy)]
enum Scalar {
    F32(f32),
    F64(f64),
    Py(f64),
}

impl Scalar {
    fn value(self) -> f64 {
        match self {
            Scalar::F32(v) => f64::from(v),
            Scalar::F64(v) | Scalar::Py(v) => v,
        }
    }

    /// Both operands in the type NumPy computes `self ∘ other` in: `Ok` float32, `Err` float64.
    fn promote(self, other: Scalar) -> Result<(f32, f32), (f64, f64)> {
        match (self, other) {
            (Scalar::F32(a), Scalar::F32(b)) => Ok((a, b)),
            (Scalar::F32(a), Scalar::Py(b)) => Ok((a, b as f32)),
            (Scalar::Py(a), Scalar::F32(b)) => Ok((a as f32, b)),
            _ => Err((self.value(), other.value())),
        }
    }

    fn arithmetic(
        self,
        other: Scalar,
        on32: fn(f32, f32) -> f32,
        on64: fn(f64, f64) -> f64,
    ) -> Self {
        match (self, other, self.promote(other)) {
            (Scalar::Py(a), Scalar::Py(b), _) => Scalar::Py(on64(a, b)),
            (_, _, Ok((a, b))) => Scalar::F32(on32(a, b)),
            (_, _, Err((a, b))) => Scalar::F64(on64(a, b)),
        }
    }

    fn add(self, other: Scalar) -> Self {
        self.arithmetic(other, |a, b| a + b, |a, b| a + b)
    }

    fn sub(self, other: Scalar) -> Self {
        self.arithmetic(other, |a, b| a - b, |a, b| a - b)
    }

    fn mul(self, other: Scalar) -> Self {
        self.arithmetic(other, |a, b| a * b, |a, b| a * b)
    }

    fn compare(self, other: Scalar) -> Option<std::cmp::Ordering> {
        match self.promote(other) {
            Ok((a, b)) => a.partial_cmp(&b),
            Err((a, b)) => a.partial_cmp(&b),
        }
    }

    fn gt(self, other: Scalar) -> bool {
        self.compare(other) == Some(std::cmp::Ordering::Greater)
    }

    fn lt(self, other: Scalar) -> bool {
        self.compare(other) == Some(std::cmp::Ordering::Less)
    }
}

/// Gymnasium's step of MountainCarContinuous with the float32 `throttle`, number for number in
/// NumPy 2's types; returns the new state (float32 values) and whether it is terminal. A state
/// whose values are all float32 values is taken as the float32 array Gymnasium stores after a
/// step; another (a reset's draw) as float64.
fn drive(state: [f64; 2], throttle: f32) -> ([f64; 2], bool) {
    use Scalar::Py;
    let stored_f32 = state.iter().all(|&v| f64::from(v as f32) == v);
    let [position, velocity] = state.map(|v| {
        if stored_f32 {
            Scalar::F32(v as f32)
        } else {
            Scalar::F64(v)
        }
    });
    // `min(max(action[0], -1.0), 1.0)`: Python's max and min return the bound only when it wins.
    let mut force = Scalar::F32(throttle);
    if Py(-1.0).gt(force) {
        force = Py(-1.0);
    }
    if Py(1.0).lt(force) {
        force = Py(1.0);
    }
    // `math.cos(3 * position)`: the product in the position's type, the cosine in float64.
    let pull = Py(GRAVITY * position.mul(Py(3.0)).value().cos());
    let mut velocity = velocity.add(force.mul(Py(MountainCarContinuous::POWER)).sub(pull));
    if velocity.gt(Py(MAX_SPEED)) {
        velocity = Py(MAX_SPEED);
    }
    if velocity.lt(Py(-MAX_SPEED)) {
        velocity = Py(-MAX_SPEED);
    }
    let mut position = position.add(velocity);
    if position.gt(Py(MAX_POSITION)) {
        position = Py(MAX_POSITION);
    }
    if position.lt(Py(MIN_POSITION)) {
        position = Py(MIN_POSITION);
    }
    if position.compare(Py(MIN_POSITION)) == Some(std::cmp::Ordering::Equal) && velocity.lt(Py(0.0))
    {
        velocity = Py(0.0);
    }
    let terminated =
        !position.lt(Py(MountainCarContinuous::GOAL_POSITION)) && !velocity.lt(Py(0.0));
    let state = [position, velocity].map(|v| f64::from(v.value() as f32));
    (state, terminated)
}

impl Env for MountainCarContinuous {
    env_boilerplate!(snapshot);

    fn reset_into(&mut self, seed: Option<u64>, observation: &mut [f32]) {
        // Gymnasium keeps the drawn state in float64 until the first step.
        let state = start_state(&mut self.physics, seed);
        self.physics.set(state);
        write_observation(observation, &state);
    }

    fn step_into(&mut self, action: Action<'_>, observation: &mut [f32]) -> Stepped {
        let values = self.action_space.continuous_values(Self::ID, action)?;
        let (state, terminated) = drive(self.physics.current()?, values[0]);
        self.physics.set(state);
        write_observation(observation, &state);
        let throttle = f64::from(values[0]);
        let goal_bonus = if terminated { 100.0 } else { 0.0 };
        Ok(StepOutcome {
            reward: goal_bonus - throttle * throttle * 0.1,
            terminated,
            truncated: false,
        })
    }
}
