use crate::env::{Action, Env, StepOutcome};
use crate::error::EnvError;
use crate::space::{BoxSpace, Space};

use super::{box_action_space, forward_env};

/// Maps actions from `[min, max]` affinely onto the wrapped environment's `[low, high]`
/// (Gymnasium's `RescaleAction`), e.g. so that a policy acts in `[-1, 1]`.
///
/// `a_env = low + (high - low) · (a - min) / (max - min)`, clipped to `[low, high]` against
/// rounding (and, as in Gymnasium, against actions outside `[min, max]`). The wrapped space must
/// be bounded.
#[derive(Debug, Clone)]
pub struct RescaleAction<E> {
    env: E,
    inner_space: BoxSpace,
    action_space: Space,
    min_action: f32,
    max_action: f32,
    rescaled: Vec<f32>,
}

impl<E: Env> RescaleAction<E> {
    /// Wraps `env` so that it takes actions in `[min_action, max_action]` on every component.
    pub fn new(env: E, min_action: f32, max_action: f32) -> Result<Self, EnvError> {
        let inner_space = box_action_space(&env, "RescaleAction")?;
        let context = || format!("RescaleAction({})", env.id());
        if !inner_space.is_bounded() {
            return Err(EnvError::IncompatibleEnv {
                context: context(),
                reason: format!("needs a bounded action space, got {inner_space}"),
            });
        }
        if !(min_action.is_finite() && max_action.is_finite() && min_action < max_action) {
            return Err(EnvError::IncompatibleEnv {
                context: context(),
                reason: format!("needs finite min < max, got [{min_action}, {max_action}]"),
            });
        }
        let action_space = Space::Box(BoxSpace::uniform(
            min_action,
            max_action,
            inner_space.shape().to_vec(),
        )?);
        Ok(Self {
            rescaled: vec![0.0; inner_space.flat_dim()],
            env,
            inner_space,
            action_space,
            min_action,
            max_action,
        })
    }
}

impl<E: Env> Env for RescaleAction<E> {
    forward_env!(observation_space, reset_into);

    fn action_space(&self) -> &Space {
        &self.action_space
    }

    fn step_into(
        &mut self,
        action: Action<'_>,
        observation: &mut [f32],
    ) -> Result<StepOutcome, EnvError> {
        let values = self.action_space.continuous_values(self.env.id(), action)?;
        let inner = &self.inner_space;
        let (min, max) = (f64::from(self.min_action), f64::from(self.max_action));
        for (i, (out, &a)) in self.rescaled.iter_mut().zip(values).enumerate() {
            let (low, high) = (f64::from(inner.low()[i]), f64::from(inner.high()[i]));
            *out = (low + (high - low) * (f64::from(a) - min) / (max - min)) as f32;
        }
        inner.clip(&mut self.rescaled);
        self.env
            .step_into(Action::Continuous(&self.rescaled), observation)
    }
}
