use crate::env::{Action, Env, StepOutcome};
use crate::error::EnvError;
use crate::space::Space;

use super::{ActionMap, forward_env};

/// Clips continuous actions into the wrapped environment's bounds (Gymnasium's `ClipAction`).
///
/// The wrapper's own action space is unbounded with the same shape, so any finite action is
/// accepted; NaN and wrong lengths are still errors.
#[derive(Debug, Clone)]
pub struct ClipAction<E> {
    env: E,
    actions: ActionMap,
}

impl<E: Env> ClipAction<E> {
    /// Wraps `env`, whose action space must be a box.
    pub fn new(env: E) -> Result<Self, EnvError> {
        let actions = ActionMap::new(&env, "ClipAction", f32::NEG_INFINITY, f32::INFINITY)?;
        Ok(Self { env, actions })
    }
}

impl<E: Env> Env for ClipAction<E> {
    forward_env!(observation_space, reset_into, snapshot);

    fn action_space(&self) -> &Space {
        &self.actions.outer
    }

    fn step_into(
        &mut self,
        action: Action<'_>,
        observation: &mut [f32],
    ) -> Result<StepOutcome, EnvError> {
        let clipped = self.actions.apply(self.env.id(), action, |_, a| a)?;
        self.env.step_into(clipped, observation)
    }
}
