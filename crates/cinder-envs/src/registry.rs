//! The environment registry, as Gymnasium's `register` and `make`: the environments this crate
//! ships, and those a program registers beside them ([`register`]) so that everything keyed by
//! an environment id (the CLI's `--env`, presets, run directories, datasets) reaches them.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, PoisonError, RwLock};

use cinder_core::{Env, EnvError, TimeLimit};

/// Builds an environment in a time limit of the given number of steps, or without one (`None`).
type Factory = dyn Fn(Option<usize>) -> Result<Box<dyn Env>, EnvError> + Send + Sync;

/// A registered environment: its id, how to build it, and its time limit.
#[derive(Clone)]
pub struct EnvSpec {
    /// The id `make` takes, e.g. `"CartPole-v1"`.
    pub id: String,
    /// Episodes are truncated after this many steps.
    pub max_episode_steps: usize,
    /// The mean return at which the task counts as solved, if one is registered.
    pub reward_threshold: Option<f64>,
    factory: Arc<Factory>,
}

impl std::fmt::Debug for EnvSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvSpec")
            .field("id", &self.id)
            .field("max_episode_steps", &self.max_episode_steps)
            .field("reward_threshold", &self.reward_threshold)
            .finish_non_exhaustive()
    }
}

impl EnvSpec {
    /// `id`, built by `factory` and truncated after `max_episode_steps` steps. A factory that
    /// panics is an error naming the id, not a crash.
    pub fn new<E, F>(id: impl Into<String>, max_episode_steps: usize, factory: F) -> Self
    where
        E: Env + 'static,
        F: Fn() -> E + Send + Sync + 'static,
    {
        Self::fallible(id, max_episode_steps, move || Ok(factory()))
    }

    /// As [`EnvSpec::new`] with a factory that can fail (an environment outside Rust, a
    /// resource to open): its error is what `make` returns.
    pub fn fallible<E, F>(id: impl Into<String>, max_episode_steps: usize, factory: F) -> Self
    where
        E: Env + 'static,
        F: Fn() -> Result<E, EnvError> + Send + Sync + 'static,
    {
        let id = id.into();
        let name = id.clone();
        let factory = move |limit: Option<usize>| -> Result<Box<dyn Env>, EnvError> {
            let env = catch_unwind(AssertUnwindSafe(&factory)).map_err(|panic| {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".into());
                EnvError::IncompatibleEnv {
                    context: name.clone(),
                    reason: format!("its factory panicked: {message}"),
                }
            })??;
            Ok(match limit {
                // TimeLimit over the concrete type: one dynamic call per step, not two.
                Some(limit) => Box::new(TimeLimit::new(env, limit)?),
                None => Box::new(env),
            })
        };
        Self {
            id,
            max_episode_steps,
            reward_threshold: None,
            factory: Arc::new(factory),
        }
    }

    /// The same registration with a return at which the task counts as solved.
    pub fn with_reward_threshold(mut self, threshold: f64) -> Self {
        self.reward_threshold = Some(threshold);
        self
    }

    /// A fresh environment without its time limit.
    pub fn make_unwrapped(&self) -> Result<Box<dyn Env>, EnvError> {
        (self.factory)(None)
    }

    /// A fresh environment in its registered [`TimeLimit`].
    pub fn make(&self) -> Result<Box<dyn Env>, EnvError> {
        (self.factory)(Some(self.max_episode_steps))
    }
}

/// The environments registered by this program, after the built-in ones.
static REGISTERED: RwLock<Vec<EnvSpec>> = RwLock::new(Vec::new());

/// Registers `spec` beside the built-in environments, for this process: `make`, `spec` and
/// the CLI find it by its id. An id that is already registered, or a time limit of 0, is an
/// error.
pub fn register(spec: EnvSpec) -> Result<(), EnvError> {
    if spec.max_episode_steps == 0 {
        return Err(EnvError::IncompatibleEnv {
            context: spec.id,
            reason: "max_episode_steps must be at least 1".into(),
        });
    }
    let mut registered = REGISTERED.write().unwrap_or_else(PoisonError::into_inner);
    if crate::builtin()
        .iter()
        .chain(registered.iter())
        .any(|s| s.id == spec.id)
    {
        return Err(EnvError::IncompatibleEnv {
            context: spec.id,
            reason: "an environment with this id is already registered".into(),
        });
    }
    registered.push(spec);
    Ok(())
}

/// Every registered environment: the built-in ones, then the program's in registration order.
pub fn registry() -> Vec<EnvSpec> {
    let registered = REGISTERED.read().unwrap_or_else(PoisonError::into_inner);
    crate::builtin()
        .into_iter()
        .chain(registered.iter().cloned())
        .collect()
}

/// The registered ids.
pub fn ids() -> Vec<String> {
    registry().into_iter().map(|s| s.id).collect()
}

/// The registration of `id`, or [`EnvError::UnknownEnv`] listing the registered ids. With the
/// `gym` feature, a `gym:<id>` id that is not registered yet is built through Gymnasium once
/// (to read its time limit) and registered.
pub fn spec(id: &str) -> Result<EnvSpec, EnvError> {
    let all = registry();
    if let Some(found) = all.iter().find(|s| s.id == id) {
        return Ok(found.clone());
    }
    #[cfg(feature = "gym")]
    if let Some(gym_id) = id.strip_prefix(cinder_gym::PREFIX) {
        return gym_spec(gym_id);
    }
    let mut known = all
        .iter()
        .map(|s| s.id.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if cfg!(not(feature = "gym")) && id.starts_with("gym:") {
        known.push_str(" (gym:<id> needs Cinder built with the `gym` feature)");
    }
    Err(EnvError::UnknownEnv {
        id: id.to_string(),
        known,
    })
}

/// Registers the Gymnasium environment `gym_id` (`name?key=value&...`) under its canonical
/// id, in Gymnasium's own time limit (none registered: no limit).
#[cfg(feature = "gym")]
fn gym_spec(gym_id: &str) -> Result<EnvSpec, EnvError> {
    let parsed = cinder_gym::GymId::parse(gym_id)?;
    let canonical = format!("{}{parsed}", cinder_gym::PREFIX);
    if let Some(found) = registry().into_iter().find(|s| s.id == canonical) {
        return Ok(found);
    }
    let probe = cinder_gym::GymEnv::make(&parsed)?;
    let limit = probe.max_episode_steps().unwrap_or(usize::MAX);
    let threshold = probe.reward_threshold();
    drop(probe);
    let mut spec = EnvSpec::fallible(canonical.clone(), limit, move || {
        cinder_gym::GymEnv::make(&parsed)
    });
    spec.reward_threshold = threshold;
    // Another thread may have registered it meanwhile: theirs is the same environment.
    let _ = register(spec);
    registry()
        .into_iter()
        .find(|s| s.id == canonical)
        .ok_or_else(|| EnvError::UnknownEnv {
            id: canonical,
            known: ids().join(", "),
        })
}

/// The environment `id` wrapped in its registered [`TimeLimit`], as `gymnasium.make(id)`.
pub fn make(id: &str) -> Result<Box<dyn Env>, EnvError> {
    spec(id)?.make()
}
