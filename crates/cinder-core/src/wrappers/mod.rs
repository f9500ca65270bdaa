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
use crate::env::Action;
use crate::error::EnvError;
use crate::space::{BoxSpace, Space};

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
        fn action_mask(&self, mask: &mut [bool]) {
            self.env.action_mask(mask)
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
    (@one snapshot) => {
        fn snapshot(&self) -> Result<serde_json::Value, $crate::EnvError> {
            self.env.snapshot()
        }
        fn restore(&mut self, snapshot: &serde_json::Value) -> Result<(), $crate::EnvError> {
            self.env.restore(snapshot)
        }
    };
    (@one reset_into) => {
        fn reset_into(&mut self, seed: Option<u64>, observation: &mut [f32]) {
            self.env.reset_into(seed, observation)
        }
    };
}
use forward_env;

/// The action side of a wrapper that maps continuous actions before the wrapped env sees them:
/// actions are checked against the wrapper's own space (length, no NaN), mapped component by
/// component, then clipped into the wrapped env's bounds. [`ClipAction`] and [`RescaleAction`]
/// are this with the identity and an affine map.
#[derive(Debug, Clone)]
struct ActionMap {
    inner: BoxSpace,
    outer: Space,
    mapped: Vec<f32>,
}

impl ActionMap {
    /// For `env`, whose action space must be a box; the wrapper takes actions in
    /// `[low, high]` on every component.
    fn new<E: Env>(env: &E, wrapper: &str, low: f32, high: f32) -> Result<Self, EnvError> {
        let inner =
            env.action_space()
                .as_box()
                .cloned()
                .ok_or_else(|| EnvError::IncompatibleEnv {
                    context: format!("{wrapper}({})", env.id()),
                    reason: format!("needs a Box action space, got {}", env.action_space()),
                })?;
        let outer = Space::Box(BoxSpace::uniform(low, high, inner.shape().to_vec())?);
        Ok(Self {
            mapped: vec![0.0; inner.flat_dim()],
            inner,
            outer,
        })
    }

    /// `action` mapped by `f(component, value)` and clipped into the inner bounds.
    fn apply(
        &mut self,
        env_id: &str,
        action: Action<'_>,
        f: impl Fn(usize, f32) -> f32,
    ) -> Result<Action<'_>, EnvError> {
        let values = self.outer.continuous_values(env_id, action)?;
        for (i, (out, &a)) in self.mapped.iter_mut().zip(values).enumerate() {
            *out = f(i, a);
        }
        self.inner.clip(&mut self.mapped);
        Ok(Action::Continuous(&self.mapped))
    }
}
