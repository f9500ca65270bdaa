//! Pendulum-v1: swing up an underactuated pendulum, as in Gymnasium 1.4.

use std::f64::consts::PI;

use cinder_core::{Action, Env, Space, StepOutcome};

use crate::common::{
    Physics, Stepped, env_boilerplate, env_type, numpy_square, numpy_square_f32, symmetric_box,
    uniform, write_observation,
};

env_type!(
    /// A frictionless pendulum to swing up and hold upright with a bounded torque.
    ///
    /// - State `[theta, theta_dot]` (f64; θ = 0 is upright and is never wrapped).
    /// - Observation `[cos θ, sin θ, θ̇]` as f32.
    /// - Action: torque in `[-2, 2]`; larger values are clipped, as Gymnasium does.
    /// - Dynamics: semi-implicit Euler, dt = 0.05: θ̇ ← clip(θ̇ + (3g/(2l)·sin θ + 3/(ml²)·u)·dt, ±8),
    ///   then θ ← θ + θ̇·dt.
    /// - Reward on the old state: −(normalize(θ)² + 0.1·θ̇² + 0.001·u²). Never terminates.
    /// - Reset: θ from U(−π, π), θ̇ from U(−1, 1).
    Pendulum, "Pendulum-v1", ["theta", "theta_dot"];
    symmetric_box(&[1.0, 1.0, Self::MAX_SPEED as f32]),
    symmetric_box(&[Self::MAX_TORQUE as f32]),
);

impl Pendulum {
    const MAX_SPEED: f64 = 8.0;
    const MAX_TORQUE: f64 = 2.0;
    const DT: f64 = 0.05;
    const G: f64 = 10.0;
    const M: f64 = 1.0;
    const L: f64 = 1.0;

    fn write_obs(observation: &mut [f32], [theta, theta_dot]: [f64; 2]) {
        write_observation(observation, &[theta.cos(), theta.sin(), theta_dot]);
    }
}

/// θ wrapped into [−π, π) with a floored modulo (Python's `%`, hence `rem_euclid`).
fn angle_normalize(x: f64) -> f64 {
    (x + PI).rem_euclid(2.0 * PI) - PI
}

impl Env for Pendulum {
    env_boilerplate!(snapshot);

    fn reset_into(&mut self, seed: Option<u64>, observation: &mut [f32]) {
        let rng = self.physics.reset_rng(seed);
        let theta = uniform(rng, -PI, PI);
        let theta_dot = uniform(rng, -1.0, 1.0);
        self.physics.set([theta, theta_dot]);
        Self::write_obs(observation, [theta, theta_dot]);
    }

    fn step_into(&mut self, action: Action<'_>, observation: &mut [f32]) -> Stepped {
        let values = self.action_space.continuous_values(Self::ID, action)?;
        let [theta, theta_dot] = self.physics.current()?;
        // NumPy 2 keeps a float32 scalar float32 against a Python float (NEP 50), so with the
        // float32 action Gymnasium clips `u` and computes `0.001·u²` and `3/(m l²)·u` in float32
        // before they join the float64 sums; its squares are the C library's `pow`.
        let u = values[0].clamp(-Self::MAX_TORQUE as f32, Self::MAX_TORQUE as f32);
        let u_cost = f64::from(0.001f32 * numpy_square_f32(u));
        let u_accel = f64::from((3.0 / (Self::M * Self::L * Self::L)) as f32 * u);
        let cost = numpy_square(angle_normalize(theta)) + 0.1 * numpy_square(theta_dot) + u_cost;

        let new_theta_dot = (theta_dot
            + (3.0 * Self::G / (2.0 * Self::L) * theta.sin() + u_accel) * Self::DT)
            .clamp(-Self::MAX_SPEED, Self::MAX_SPEED);
        let new_theta = theta + new_theta_dot * Self::DT;
        self.physics.set([new_theta, new_theta_dot]);
        Self::write_obs(observation, [new_theta, new_theta_dot]);
        Ok(StepOutcome {
            reward: -cost,
            terminated: false,
            truncated: false,
        })
    }
}
