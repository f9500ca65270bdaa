//! Any Gymnasium 1.x environment as a Cinder [`Env`], through an embedded Python (pyo3).
//!
//! [`GymEnv::make`] builds `gymnasium.make(id, **kwargs)` and translates its spaces: a `Box` of
//! any shape is flattened to a Cinder box (observations cast to f32), a `Discrete(n, start)`
//! action space becomes `Discrete(n)` (index `i` is Gymnasium's `start + i`), a `Discrete`
//! observation is one-hot; any other space (`MultiBinary`, `Dict`, `Tuple`, ...) is refused
//! with an error that names it. Terminated and truncated come back as Gymnasium returns them
//! and `reset(Some(seed))` passes the seed through, so a Cinder [`cinder_core::VecEnv`] over
//! bridged environments runs Gymnasium's episodes with Cinder's same-step autoreset.
//!
//! The Python lock is held only around each call into Python (one per step: the small Python
//! half, `bridge.py`, returns the observation as float32 bytes); while the learner works the
//! lock is free. Packages come from the interpreter this crate was built against
//! (`PYO3_PYTHON`, else `python3`) and, first, from an activated virtual environment
//! (`VIRTUAL_ENV`).
//!
//! Ids carry their keyword arguments: [`GymId`] reads `LunarLander-v3?continuous=true`.
#![warn(missing_docs)]

use std::ffi::CString;

use cinder_core::{Action, BoxSpace, Discrete, Env, EnvError, Space, StepOutcome};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyModuleNotFoundError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyModule, PyTuple};

mod id;

pub use id::{GymId, KwargValue};

/// The prefix of a Gymnasium id in Cinder's registry: `gym:CartPole-v1`.
pub const PREFIX: &str = "gym:";

/// The Python half, imported once per process.
static BRIDGE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// A Gymnasium environment stepped from Rust.
pub struct GymEnv {
    /// The Cinder id, `gym:` and the canonical [`GymId`].
    id: String,
    /// The Python `Bridged` object.
    env: Py<PyAny>,
    observation_space: Space,
    action_space: Space,
    /// `env.spec.max_episode_steps`, if Gymnasium registers one.
    max_episode_steps: Option<usize>,
    /// `env.spec.reward_threshold`, if Gymnasium registers one.
    reward_threshold: Option<f64>,
    /// Set when a reset raised: the next step returns it (a reset cannot return an error).
    failed_reset: Option<EnvError>,
}

impl std::fmt::Debug for GymEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GymEnv")
            .field("id", &self.id)
            .field("observation_space", &self.observation_space)
            .field("action_space", &self.action_space)
            .finish_non_exhaustive()
    }
}

impl GymEnv {
    /// `gymnasium.make(id.name, **id.kwargs)`, with its spaces translated; every failure
    /// (no gymnasium, an unknown id, a missing extra such as box2d, an unsupported space) is
    /// an error of one line naming the cause and what to install.
    pub fn make(id: &GymId) -> Result<Self, EnvError> {
        let cinder_id = format!("{PREFIX}{id}");
        Python::attach(|py| {
            let fail = |e: PyErr| python_error(py, &cinder_id, e);
            let bridge = bridge(py).map_err(fail)?;
            let kwargs = PyDict::new(py);
            for (key, value) in id.kwargs() {
                let value = match value {
                    KwargValue::Bool(b) => b.into_bound_py_any(py),
                    KwargValue::Int(i) => i.into_bound_py_any(py),
                    KwargValue::Float(x) => x.into_bound_py_any(py),
                    KwargValue::Str(s) => s.into_bound_py_any(py),
                    KwargValue::None => Ok(py.None().into_bound(py)),
                }
                .map_err(fail)?;
                kwargs.set_item(key, value).map_err(fail)?;
            }
            let env = bridge
                .getattr("Bridged")
                .and_then(|class| class.call1((id.name(), kwargs)))
                .map_err(fail)?;
            let space = |which: &str| -> Result<Space, EnvError> {
                let described = env.getattr(which).map_err(fail)?;
                let described = described
                    .cast_into::<PyTuple>()
                    .map_err(|e| fail(e.into()))?;
                translate(py, &cinder_id, which, &described)
            };
            let observation_space = match space("observation")? {
                // One-hot: a point of [0, 1]^n.
                Space::Discrete(d) => Space::Box(
                    BoxSpace::new(vec![0.0; d.n()], vec![1.0; d.n()])
                        .map_err(|e| incompatible(&cinder_id, e.to_string()))?,
                ),
                boxed => boxed,
            };
            let action_space = space("action")?;
            let max_episode_steps = env
                .getattr("max_episode_steps")
                .and_then(|m| m.extract::<Option<usize>>())
                .map_err(fail)?;
            let reward_threshold = env
                .getattr("reward_threshold")
                .and_then(|m| m.extract::<Option<f64>>())
                .map_err(fail)?;
            Ok(Self {
                id: cinder_id.clone(),
                env: env.unbind(),
                observation_space,
                action_space,
                max_episode_steps,
                reward_threshold,
                failed_reset: None,
            })
        })
    }

    /// The time limit Gymnasium registers for the environment (its `TimeLimit` wrapper
    /// truncates there), if any.
    pub fn max_episode_steps(&self) -> Option<usize> {
        self.max_episode_steps
    }

    /// The mean return at which Gymnasium counts the task solved, if it registers one.
    pub fn reward_threshold(&self) -> Option<f64> {
        self.reward_threshold
    }

    /// Copies the float32 bytes the Python half returned into `observation`.
    fn write(&self, bytes: &[u8], observation: &mut [f32]) -> Result<(), EnvError> {
        if bytes.len() != 4 * observation.len() {
            return Err(incompatible(
                &self.id,
                format!(
                    "an observation of {} values where the observation space has {}",
                    bytes.len() / 4,
                    observation.len()
                ),
            ));
        }
        for (o, chunk) in observation.iter_mut().zip(bytes.chunks_exact(4)) {
            *o = f32::from_le_bytes(chunk.try_into().expect("4 bytes"));
        }
        Ok(())
    }
}

impl Env for GymEnv {
    fn id(&self) -> &str {
        &self.id
    }

    fn observation_space(&self) -> &Space {
        &self.observation_space
    }

    fn action_space(&self) -> &Space {
        &self.action_space
    }

    /// A reset that raises leaves `observation` as it was (a vector environment reads the
    /// unwritten values as NaN) and its error is what the next step returns.
    fn reset_into(&mut self, seed: Option<u64>, observation: &mut [f32]) {
        let result = Python::attach(|py| {
            let bytes = self
                .env
                .call_method1(py, "reset", (seed,))
                .map_err(|e| python_error(py, &self.id, e))?;
            let bytes = bytes
                .cast_bound::<PyBytes>(py)
                .map_err(|e| python_error(py, &self.id, e.into()))?;
            self.write(bytes.as_bytes(), observation)
        });
        self.failed_reset = result.err();
    }

    fn step_into(
        &mut self,
        action: Action<'_>,
        observation: &mut [f32],
    ) -> Result<StepOutcome, EnvError> {
        if let Some(e) = self.failed_reset.take() {
            return Err(e);
        }
        // Out-of-bounds box actions go through: the Gymnasium environment clips (or refuses)
        // them as it does in Python.
        match self.action_space {
            Space::Discrete(_) => {
                self.action_space.discrete_index(&self.id, action)?;
            }
            Space::Box(_) => {
                self.action_space.continuous_values(&self.id, action)?;
            }
        }
        Python::attach(|py| {
            let fail = |e: PyErr| python_error(py, &self.id, e);
            let stepped = match action {
                Action::Discrete(i) => self.env.call_method1(py, "step_discrete", (i,)),
                Action::Continuous(v) => self.env.call_method1(py, "step_box", (v.to_vec(),)),
            }
            .map_err(fail)?;
            let (bytes, reward, terminated, truncated): (Bound<PyBytes>, f64, bool, bool) =
                stepped.extract(py).map_err(fail)?;
            self.write(bytes.as_bytes(), observation)?;
            Ok(StepOutcome {
                reward,
                terminated,
                truncated,
            })
        })
    }
}

impl Drop for GymEnv {
    fn drop(&mut self) {
        // Rendering windows and simulator handles go with the environment; an error on the
        // way out has no one to go to.
        Python::attach(|py| {
            let _ = self.env.call_method0(py, "close");
        });
    }
}

/// The Python half, imported on first use (an import that fails is tried again next time).
fn bridge(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    BRIDGE
        .get_or_try_init(py, || {
            let code = CString::new(include_str!("bridge.py")).expect("no NUL in bridge.py");
            PyModule::from_code(py, &code, c"cinder_gym_bridge.py", c"cinder_gym_bridge")
                .map(Bound::unbind)
        })
        .map(|module| module.bind(py))
}

/// A space as `bridge.describe` described it.
fn translate(
    py: Python<'_>,
    env: &str,
    which: &str,
    described: &Bound<'_, PyTuple>,
) -> Result<Space, EnvError> {
    let fail = |e: PyErr| python_error(py, env, e);
    let kind: String = described
        .get_item(0)
        .and_then(|k| k.extract())
        .map_err(fail)?;
    let space = match kind.as_str() {
        "box" => {
            let (_, low, high): (String, Vec<f64>, Vec<f64>) = described.extract().map_err(fail)?;
            let to_f32 = |v: Vec<f64>| v.into_iter().map(|x| x as f32).collect();
            BoxSpace::new(to_f32(low), to_f32(high)).map(Space::Box)
        }
        "discrete" => {
            let (_, n, _start): (String, usize, i64) = described.extract().map_err(fail)?;
            Discrete::new(n).map(Space::Discrete)
        }
        other => {
            return Err(incompatible(
                env,
                format!(
                    "its {which} space is a {other}; the bridge takes flat Box and Discrete \
                     spaces only (flatten it with a Gymnasium wrapper first)"
                ),
            ));
        }
    };
    space.map_err(|e| incompatible(env, format!("its {which} space: {e}")))
}

fn incompatible(env: &str, reason: String) -> EnvError {
    EnvError::IncompatibleEnv {
        context: env.to_string(),
        reason,
    }
}

/// A Python exception as one line naming the cause; a missing gymnasium or numpy names what
/// to install and where.
fn python_error(py: Python<'_>, env: &str, error: PyErr) -> EnvError {
    let missing = error.is_instance_of::<PyModuleNotFoundError>(py).then(|| {
        error
            .value(py)
            .getattr("name")
            .and_then(|n| n.extract::<String>())
            .unwrap_or_default()
    });
    let reason = match missing.as_deref() {
        Some(module @ ("gymnasium" | "numpy")) => {
            let python = py
                .import("sys")
                .and_then(|sys| sys.getattr("prefix"))
                .map(|p| p.to_string())
                .unwrap_or_default();
            format!(
                "the Python cinder-gym runs ({python}) has no `{module}`: pip install \
                 gymnasium==1.4.0 into it, or activate a virtual environment that has it \
                 (VIRTUAL_ENV)"
            )
        }
        // Gymnasium's messages may span lines: one line of words.
        _ => error
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    };
    EnvError::External {
        env: env.to_string(),
        reason,
    }
}
