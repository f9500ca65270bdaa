//! Pieces every classic-control environment shares.

use cinder_core::env::{from_snapshot, to_snapshot};
use cinder_core::seeding::{NumpyRng, numpy_rng};
use cinder_core::{BoxSpace, Discrete, EnvError, Space};
use rand::Rng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The internal state of an environment (`None` until the first reset or `set_state`) and the
/// generator its resets draw from: NumPy's, seeded as Gymnasium seeds it, so that a seed gives
/// the episodes it gives in Gymnasium.
#[derive(Debug, Clone)]
pub(crate) struct Physics<const N: usize> {
    id: &'static str,
    names: [&'static str; N],
    state: Option<[f64; N]>,
    rng: NumpyRng,
}

impl<const N: usize> Physics<N> {
    /// No state yet; the generator is seeded from the operating system until a reset seeds it.
    pub(crate) fn new(id: &'static str, names: [&'static str; N]) -> Self {
        Self {
            id,
            names,
            state: None,
            rng: rand::SeedableRng::from_os_rng(),
        }
    }

    /// The generator, reseeded first if `seed` is given.
    pub(crate) fn reset_rng(&mut self, seed: Option<u64>) -> &mut NumpyRng {
        if let Some(seed) = seed {
            self.rng = numpy_rng(seed);
        }
        &mut self.rng
    }

    /// The current state, or [`EnvError::ResetNeeded`] before the first reset.
    pub(crate) fn current(&self) -> Result<[f64; N], EnvError> {
        self.state.ok_or_else(|| EnvError::ResetNeeded {
            env: self.id.to_string(),
        })
    }

    pub(crate) fn set(&mut self, state: [f64; N]) {
        self.state = Some(state);
    }

    /// `Env::state`.
    pub(crate) fn get_vec(&self) -> Result<Vec<f64>, EnvError> {
        self.current().map(|s| s.to_vec())
    }

    /// `Env::set_state`: checks the length and that every component is finite.
    pub(crate) fn set_from_slice(&mut self, state: &[f64]) -> Result<(), EnvError> {
        let parsed: [f64; N] = state.try_into().map_err(|_| EnvError::StateLength {
            env: self.id.to_string(),
            expected: N,
            got: state.len(),
            names: self.names.join(", "),
        })?;
        if let Some(index) = parsed.iter().position(|v| !v.is_finite()) {
            return Err(EnvError::NonFiniteState {
                env: self.id.to_string(),
                index,
                name: self.names[index].to_string(),
                value: parsed[index],
            });
        }
        self.state = Some(parsed);
        Ok(())
    }

    /// `Env::snapshot`: state, generator and `extra`.
    pub(crate) fn snapshot<X: Serialize>(&self, extra: X) -> Result<Value, EnvError> {
        let saved = Saved {
            state: self.state.map(|s| s.to_vec()),
            rng: self.rng.clone(),
            extra,
        };
        to_snapshot(self.id, &saved)
    }

    /// `Env::restore`: puts state and generator back and returns `extra`; an error (wrong
    /// length, non-finite values, another format) changes nothing.
    pub(crate) fn restore<X: DeserializeOwned>(&mut self, snapshot: &Value) -> Result<X, EnvError> {
        let saved: Saved<X> = from_snapshot(self.id, snapshot)?;
        match &saved.state {
            Some(state) => self.set_from_slice(state)?,
            // Taken before the first reset: nothing to step from yet.
            None => self.state = None,
        }
        self.rng = saved.rng;
        Ok(saved.extra)
    }
}

/// What an environment's `Env::snapshot` holds: its state, its generator and its own episode
/// bookkeeping `extra` (`()` for most).
#[derive(Serialize, Deserialize)]
struct Saved<X> {
    state: Option<Vec<f64>>,
    rng: NumpyRng,
    extra: X,
}

/// A draw from U(low, high), as `numpy.random.Generator.uniform` computes it from a U(0, 1).
pub(crate) fn uniform(rng: &mut NumpyRng, low: f64, high: f64) -> f64 {
    low + (high - low) * rng.random::<f64>()
}

/// `x ** 2` as NumPy computes it for a float64 scalar: the C library's `pow(x, 2.0)`, which is
/// not always the correctly rounded `x·x` (glibc's differs in about 1 of 1,300 draws); the
/// opaque exponent keeps the compiler from turning the call into `x·x`.
pub(crate) fn numpy_square(x: f64) -> f64 {
    x.powf(std::hint::black_box(2.0))
}

/// `x ** 2` for a NumPy float32 scalar: the C library's `powf(x, 2.0f)`.
pub(crate) fn numpy_square_f32(x: f32) -> f32 {
    x.powf(std::hint::black_box(2.0))
}

/// Writes `values` cast to f32 into `observation`.
pub(crate) fn write_observation(observation: &mut [f32], values: &[f64]) {
    for (o, v) in observation.iter_mut().zip(values) {
        *o = *v as f32;
    }
}

/// Implements the `Env` methods that only forward to the `physics` field and the space fields.
macro_rules! env_boilerplate {
    () => {
        fn id(&self) -> &str {
            Self::ID
        }
        fn observation_space(&self) -> &cinder_core::Space {
            &self.observation_space
        }
        fn action_space(&self) -> &cinder_core::Space {
            &self.action_space
        }
        fn state(&self) -> Result<Vec<f64>, cinder_core::EnvError> {
            self.physics.get_vec()
        }
        fn set_state(&mut self, state: &[f64]) -> Result<(), cinder_core::EnvError> {
            self.physics.set_from_slice(state)
        }
    };
    (snapshot) => {
        env_boilerplate!();
        fn snapshot(&self) -> Result<serde_json::Value, cinder_core::EnvError> {
            self.physics.snapshot(())
        }
        fn restore(&mut self, snapshot: &serde_json::Value) -> Result<(), cinder_core::EnvError> {
            self.physics.restore::<()>(snapshot)
        }
    };
}
pub(crate) use env_boilerplate;

/// Declares an environment type with its registered `ID`, its physics of `N` named state
/// values, its two spaces and any further fields with their initial values, and `new`.
macro_rules! env_type {
    (
        $(#[$meta:meta])* $name:ident, $id:literal, $names:expr;
        $observation:expr, $action:expr $(, $field:ident: $ty:ty = $init:expr)* $(,)?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name {
            physics: Physics<{ $names.len() }>,
            $($field: $ty,)*
            observation_space: Space,
            action_space: Space,
        }

        impl $name {
            /// The registered id.
            pub const ID: &'static str = $id;

            /// A new environment; call `reset` before stepping.
            pub fn new() -> Self {
                Self {
                    physics: Physics::new(Self::ID, $names),
                    $($field: $init,)*
                    observation_space: $observation,
                    action_space: $action,
                }
            }
        }
    };
}
pub(crate) use env_type;

/// What `Env::step_into` returns.
pub(crate) type Stepped = Result<cinder_core::StepOutcome, EnvError>;

/// The box `[-high, high]`.
pub(crate) fn symmetric_box(high: &[f32]) -> Space {
    let low = high.iter().map(|h| -h).collect();
    Space::Box(BoxSpace::new(low, high.to_vec()).expect("static bounds"))
}

/// `n` discrete actions.
pub(crate) fn discrete(n: usize) -> Space {
    Space::Discrete(Discrete::new(n).expect("n > 0"))
}

/// `impl Default` as `Self::new()` for each environment type.
macro_rules! default_is_new {
    ($($env:ty),* $(,)?) => {
        $(impl Default for $env {
            fn default() -> Self {
                Self::new()
            }
        })*
    };
}
pub(crate) use default_is_new;
