use crate::env::{Action, Env, StepOutcome};
use crate::error::EnvError;
use crate::space::{BoxSpace, Space};

use super::{box_action_space, forward_env};

/// Clips continuous actions into the wrapped environment's bounds (Gymnasium's `ClipAction`).
///
/// The wrapper's own action space is unbounded with the same shape, so any finite action is
/// accepted; NaN and wrong lengths are still errors.
#[derive(Debug, Clone)]
pub struct ClipAction<E> {
    env: E,
    inner_space: BoxSpace,
    action_space: Space,
    clipped: Vec<f32>,
}

impl<E: Env> ClipAction<E> {
    /// Wraps `env`, whose action space must be a box.
    pub fn new(env: E) -> Result<Self, EnvError> {
        let inner_space = box_action_space(&env, "ClipAction")?;
        let action_space = Space::Box(BoxSpace::uniform(
            f32::NEG_INFINITY,
            f32::INFINITY,
            inner_space.shape().to_vec(),
        )?);
        Ok(Self {
            clipped: vec![0.0; inner_space.flat_dim()],
            env,
            inner_space,
            action_space,
        })
    }
}

impl<E: Env> Env for ClipAction<E> {
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
        self.clipped.copy_from_slice(values);
        self.inner_space.clip(&mut self.clipped);
        self.env
            .step_into(Action::Continuous(&self.clipped), observation)
    }
}
