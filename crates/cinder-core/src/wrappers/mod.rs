//! Wrappers that change one aspect of an environment and forward the rest.
//!
//! They follow Gymnasium's wrappers of the same names. Each is generic over the wrapped
//! environment and is itself an [`crate::Env`], so they stack:
//! `NormalizeObservation::new(TimeLimit::new(env, 500))`.

mod clip_action;
mod normalize_observation;
mod rescale_action;
mod time_limit;

pub use clip_action::ClipAction;
pub use normalize_observation::NormalizeObservation;
pub use rescale_action::RescaleAction;
pub use time_limit::TimeLimit;

use crate::Env;
use crate::error::EnvError;
use crate::space::BoxSpace;

/// Forwards the [`Env`] methods a wrapper does not change to its `env` field.
macro_rules! forward_env {
    ($($method:ident),* $(,)?) => {
        fn id(&self) -> &str {
            self.env.id()
        }
        fn state(&self) -> Result<Vec<f64>, $crate::EnvError> {
            self.env.state()
        }
        fn set_state(&mut self, state: &[f64]) -> Result<(), $crate::EnvError> {
            self.env.set_state(state)
        }
        $(forward_env!(@one $method);)*
    };
    (@one observation_space) => {
        fn observation_space(&self) -> &$crate::Space {
            self.env.observation_space()
        }
    };
    (@one action_space) => {
        fn action_space(&self) -> &$crate::Space {
            self.env.action_space()
        }
    };
    (@one reset_into) => {
        fn reset_into(&mut self, seed: Option<u64>, observation: &mut [f32]) {
            self.env.reset_into(seed, observation)
        }
    };
}
use forward_env;

/// The box action space of `env`, or an error naming `wrapper` if its actions are discrete.
fn box_action_space<E: Env>(env: &E, wrapper: &str) -> Result<BoxSpace, EnvError> {
    env.action_space()
        .as_box()
        .cloned()
        .ok_or_else(|| EnvError::IncompatibleEnv {
            context: format!("{wrapper}({})", env.id()),
            reason: format!("needs a Box action space, got {}", env.action_space()),
        })
}
