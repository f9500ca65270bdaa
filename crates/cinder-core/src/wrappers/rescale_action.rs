use crate::env::{Action, Env, StepOutcome};
use crate::error::EnvError;
use crate::space::Space;

use super::{ActionMap, forward_env};

/// Maps actions from `[min, max]` affinely onto the wrapped environment's `[low, high]`
/// (Gymnasium's `RescaleAction`), e.g. so that a policy acts in `[-1, 1]`.
///
/// `a_env = gradient · a + intercept` with `gradient = (high − low) / (max − min)` and
/// `intercept = low − gradient · min` (per component, in f64), clipped to `[low, high]` against
/// rounding (and, as in Gymnasium, against actions outside `[min, max]`). The wrapped space must
/// be bounded.
#[derive(Debug, Clone)]
pub struct RescaleAction<E> {
    env: E,
    actions: ActionMap,
    gradient: Vec<f64>,
    intercept: Vec<f64>,
}

impl<E: Env> RescaleAction<E> {
    /// Wraps `env` so that it takes actions in `[min_action, max_action]` on every component.
    pub fn new(env: E, min_action: f32, max_action: f32) -> Result<Self, EnvError> {
        let context = || format!("RescaleAction({})", env.id());
        if !(min_action.is_finite() && max_action.is_finite() && min_action < max_action) {
            return Err(EnvError::IncompatibleEnv {
                context: context(),
                reason: format!("needs finite min < max, got [{min_action}, {max_action}]"),
            });
        }
        let actions = ActionMap::new(&env, "RescaleAction", min_action, max_action)?;
        if !actions.inner.is_bounded() {
            return Err(EnvError::IncompatibleEnv {
                context: context(),
                reason: format!("needs a bounded action space, got {}", actions.inner),
            });
        }
        let (min, max) = (f64::from(min_action), f64::from(max_action));
        let inner = &actions.inner;
        let gradient: Vec<f64> = (inner.low().iter().zip(inner.high()))
            .map(|(&low, &high)| (f64::from(high) - f64::from(low)) / (max - min))
            .collect();
        let intercept = (inner.low().iter().zip(&gradient))
            .map(|(&low, g)| f64::from(low) - g * min)
            .collect();
        Ok(Self {
            env,
            actions,
            gradient,
            intercept,
        })
    }
}

impl<E: Env> Env for RescaleAction<E> {
    forward_env!(observation_space, reset_into, snapshot);

    fn action_space(&self) -> &Space {
        &self.actions.outer
    }

    fn step_into(
        &mut self,
        action: Action<'_>,
        observation: &mut [f32],
    ) -> Result<StepOutcome, EnvError> {
        let (gradient, intercept) = (&self.gradient, &self.intercept);
        let rescaled = self.actions.apply(self.env.id(), action, |i, a| {
            (gradient[i] * f64::from(a) + intercept[i]) as f32
        })?;
        self.env.step_into(rescaled, observation)
    }
}
