//! Acrobot-v1: swing the tip of a two-link pendulum above a line (Sutton 1996; dynamics from
//! Sutton & Barto, "Reinforcement Learning: An Introduction", 1998), as in Gymnasium 1.4.

use std::f64::consts::PI;

use cinder_core::{Action, Env, Space, StepOutcome};

use crate::common::{
    Physics, Stepped, discrete, env_boilerplate, env_type, symmetric_box, uniform,
    write_observation,
};

env_type!(
    /// Two links, actuated only at the joint between them.
    ///
    /// - State `[θ1, θ2, θ̇1, θ̇2]` (f64; f32-valued right after a reset, as in Gymnasium).
    /// - Observation `[cos θ1, sin θ1, cos θ2, sin θ2, θ̇1, θ̇2]` as f32.
    /// - Actions `0, 1, 2` apply torque −1, 0, +1 (no noise).
    /// - Dynamics: one classical RK4 step over dt = 0.2 of the book equations of motion, then θ1 and
    ///   θ2 wrapped into [−π, π] and the velocities bounded to ±4π and ±9π.
    /// - Reward −1 per step, 0 on the terminating one; terminated when
    ///   −cos θ1 − cos(θ1 + θ2) > 1 (the tip is above the bar).
    /// - Reset: every component from U(−0.1, 0.1), rounded to f32.
    Acrobot, "Acrobot-v1", ["theta1", "theta2", "dtheta1", "dtheta2"];
    symmetric_box(&[1.0, 1.0, 1.0, 1.0, Self::MAX_VEL_1 as f32, Self::MAX_VEL_2 as f32]),
    discrete(3),
);

impl Acrobot {
    const DT: f64 = 0.2;
    const LINK_LENGTH_1: f64 = 1.0;
    const LINK_MASS_1: f64 = 1.0;
    const LINK_MASS_2: f64 = 1.0;
    const LINK_COM_POS_1: f64 = 0.5;
    const LINK_COM_POS_2: f64 = 0.5;
    const LINK_MOI: f64 = 1.0;
    const MAX_VEL_1: f64 = 4.0 * PI;
    const MAX_VEL_2: f64 = 9.0 * PI;
    const AVAIL_TORQUE: [f64; 3] = [-1.0, 0.0, 1.0];

    fn write_obs(observation: &mut [f32], [t1, t2, dt1, dt2]: [f64; 4]) {
        write_observation(
            observation,
            &[t1.cos(), t1.sin(), t2.cos(), t2.sin(), dt1, dt2],
        );
    }

    /// Time derivative of `[θ1, θ2, θ̇1, θ̇2]` under `torque` (the "book" equations).
    fn derivatives([theta1, theta2, dtheta1, dtheta2]: [f64; 4], torque: f64) -> [f64; 4] {
        let (m1, m2) = (Self::LINK_MASS_1, Self::LINK_MASS_2);
        let l1 = Self::LINK_LENGTH_1;
        let (lc1, lc2) = (Self::LINK_COM_POS_1, Self::LINK_COM_POS_2);
        let (i1, i2) = (Self::LINK_MOI, Self::LINK_MOI);
        let g = 9.8;
        let d1 =
            m1 * (lc1 * lc1) + m2 * (l1 * l1 + lc2 * lc2 + 2.0 * l1 * lc2 * theta2.cos()) + i1 + i2;
        let d2 = m2 * (lc2 * lc2 + l1 * lc2 * theta2.cos()) + i2;
        let phi2 = m2 * lc2 * g * (theta1 + theta2 - PI / 2.0).cos();
        let phi1 = -m2 * l1 * lc2 * (dtheta2 * dtheta2) * theta2.sin()
            - 2.0 * m2 * l1 * lc2 * dtheta2 * dtheta1 * theta2.sin()
            + (m1 * lc1 + m2 * l1) * g * (theta1 - PI / 2.0).cos()
            + phi2;
        let ddtheta2 =
            (torque + d2 / d1 * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * theta2.sin() - phi2)
                / (m2 * (lc2 * lc2) + i2 - (d2 * d2) / d1);
        let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
        [dtheta1, dtheta2, ddtheta1, ddtheta2]
    }

    /// One classical Runge-Kutta 4 step of length `DT`, in Gymnasium's order of operations.
    fn rk4(y: [f64; 4], torque: f64) -> [f64; 4] {
        let half = Self::DT / 2.0;
        let shifted = |k: [f64; 4], h: f64| std::array::from_fn(|i| y[i] + h * k[i]);
        let k1 = Self::derivatives(y, torque);
        let k2 = Self::derivatives(shifted(k1, half), torque);
        let k3 = Self::derivatives(shifted(k2, half), torque);
        let k4 = Self::derivatives(shifted(k3, Self::DT), torque);
        std::array::from_fn(|i| y[i] + Self::DT / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]))
    }
}

/// Brings `x` into `[low, high]` by repeated shifts of `high − low` (Gymnasium's `wrap`).
fn wrap(mut x: f64, low: f64, high: f64) -> f64 {
    let period = high - low;
    while x > high {
        x -= period;
    }
    while x < low {
        x += period;
    }
    x
}

impl Env for Acrobot {
    env_boilerplate!(snapshot);

    fn reset_into(&mut self, seed: Option<u64>, observation: &mut [f32]) {
        let rng = self.physics.reset_rng(seed);
        let state = std::array::from_fn(|_| f64::from(uniform(rng, -0.1, 0.1) as f32));
        self.physics.set(state);
        Self::write_obs(observation, state);
    }

    fn step_into(&mut self, action: Action<'_>, observation: &mut [f32]) -> Stepped {
        let index = self.action_space.discrete_index(Self::ID, action)?;
        let state = self.physics.current()?;
        let [t1, t2, dt1, dt2] = Self::rk4(state, Self::AVAIL_TORQUE[index]);
        let state = [
            wrap(t1, -PI, PI),
            wrap(t2, -PI, PI),
            dt1.clamp(-Self::MAX_VEL_1, Self::MAX_VEL_1),
            dt2.clamp(-Self::MAX_VEL_2, Self::MAX_VEL_2),
        ];
        self.physics.set(state);
        Self::write_obs(observation, state);
        let terminated = -state[0].cos() - (state[1] + state[0]).cos() > 1.0;
        Ok(StepOutcome {
            reward: if terminated { 0.0 } else { -1.0 },
            terminated,
            truncated: false,
        })
    }
}
