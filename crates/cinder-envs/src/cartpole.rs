//! CartPole-v1: balance a pole on a cart (Barto, Sutton & Anderson 1983), as in Gymnasium 1.4.

use cinder_core::{Action, Env, EnvError, Space, StepOutcome};

use crate::common::{
    Physics, Stepped, discrete, env_boilerplate, env_type, symmetric_box, uniform,
    write_observation,
};

env_type!(
    /// A pole hinged on a cart that moves along a track; push the cart left or right.
    ///
    /// - State `[x, x_dot, theta, theta_dot]` (f64); observation: the state as f32.
    /// - Actions: `0` pushes with −10 N, `1` with +10 N.
    /// - Dynamics: explicit Euler with τ = 0.02 s (positions advance with the old velocities).
    /// - Reward +1 on every step, the terminating one included; 0 for steps taken after
    ///   termination without a reset.
    /// - Terminated when |x| > 2.4 or |θ| > 12° on the new state (strict inequalities).
    /// - Reset: every component from U(−0.05, 0.05).
    CartPole, "CartPole-v1", ["x", "x_dot", "theta", "theta_dot"];
    symmetric_box(&[
        (Self::X_THRESHOLD * 2.0) as f32,
        f32::INFINITY,
        (Self::THETA_THRESHOLD_RADIANS * 2.0) as f32,
        f32::INFINITY,
    ]),
    discrete(2),
    steps_beyond_terminated: Option<usize> = None,
);

impl CartPole {
    const GRAVITY: f64 = 9.8;
    const MASS_CART: f64 = 1.0;
    const MASS_POLE: f64 = 0.1;
    const TOTAL_MASS: f64 = Self::MASS_POLE + Self::MASS_CART;
    /// Half the pole's length.
    const LENGTH: f64 = 0.5;
    const POLE_MASS_LENGTH: f64 = Self::MASS_POLE * Self::LENGTH;
    const FORCE_MAG: f64 = 10.0;
    const TAU: f64 = 0.02;
    /// 12 degrees, computed as Gymnasium does (`12 * 2 * pi / 360`).
    pub const THETA_THRESHOLD_RADIANS: f64 = 12.0 * 2.0 * std::f64::consts::PI / 360.0;
    /// Cart position beyond which the episode terminates.
    pub const X_THRESHOLD: f64 = 2.4;
}

impl Env for CartPole {
    env_boilerplate!();

    fn snapshot(&self) -> Result<serde_json::Value, EnvError> {
        self.physics.snapshot(self.steps_beyond_terminated)
    }

    fn restore(&mut self, snapshot: &serde_json::Value) -> Result<(), EnvError> {
        self.steps_beyond_terminated = self.physics.restore(snapshot)?;
        Ok(())
    }

    fn reset_into(&mut self, seed: Option<u64>, observation: &mut [f32]) {
        let rng = self.physics.reset_rng(seed);
        let state = std::array::from_fn(|_| uniform(rng, -0.05, 0.05));
        self.physics.set(state);
        self.steps_beyond_terminated = None;
        write_observation(observation, &state);
    }

    fn step_into(&mut self, action: Action<'_>, observation: &mut [f32]) -> Stepped {
        let push_right = self.action_space.discrete_index(Self::ID, action)? == 1;
        let [x, x_dot, theta, theta_dot] = self.physics.current()?;
        let force = if push_right {
            Self::FORCE_MAG
        } else {
            -Self::FORCE_MAG
        };
        let (sin_theta, cos_theta) = theta.sin_cos();
        // Florian (2007), "Correct equations for the dynamics of the cart-pole system", eq. 23-24
        // with the friction terms dropped, in Gymnasium's order of operations.
        let temp = (force + Self::POLE_MASS_LENGTH * (theta_dot * theta_dot) * sin_theta)
            / Self::TOTAL_MASS;
        let theta_acc = (Self::GRAVITY * sin_theta - cos_theta * temp)
            / (Self::LENGTH
                * (4.0 / 3.0 - Self::MASS_POLE * (cos_theta * cos_theta) / Self::TOTAL_MASS));
        let x_acc = temp - Self::POLE_MASS_LENGTH * theta_acc * cos_theta / Self::TOTAL_MASS;

        let state = [
            x + Self::TAU * x_dot,
            x_dot + Self::TAU * x_acc,
            theta + Self::TAU * theta_dot,
            theta_dot + Self::TAU * theta_acc,
        ];
        self.physics.set(state);
        write_observation(observation, &state);

        let [x, _, theta, _] = state;
        // Strictly beyond a threshold: exactly ±2.4 or ±12° is not terminal.
        let terminated = !(-Self::X_THRESHOLD..=Self::X_THRESHOLD).contains(&x)
            || !(-Self::THETA_THRESHOLD_RADIANS..=Self::THETA_THRESHOLD_RADIANS).contains(&theta);
        let reward = if !terminated {
            1.0
        } else if self.steps_beyond_terminated.is_none() {
            self.steps_beyond_terminated = Some(0);
            1.0
        } else {
            // Stepping a terminated episode again: Gymnasium warns and pays nothing.
            self.steps_beyond_terminated = self.steps_beyond_terminated.map(|s| s + 1);
            0.0
        };
        Ok(StepOutcome {
            reward,
            terminated,
            truncated: false,
        })
    }
}
