//! Action and observation spaces, with Gymnasium's semantics.
//!
//! A [`Space`] is either [`Discrete`] (`{0, 1, ..., n-1}`) or a [`BoxSpace`] (a product of
//! intervals `[low_i, high_i]`, possibly unbounded, in f32). Spaces sample, test membership and
//! clip.

use std::fmt;

use rand::Rng;
use rand_distr::{Distribution, Exp1, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::env::Action;
use crate::error::EnvError;

/// The finite set `{0, 1, ..., n - 1}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discrete {
    n: usize,
}

impl Discrete {
    /// The space of `n` actions; `n` must be at least 1.
    pub fn new(n: usize) -> Result<Self, EnvError> {
        if n == 0 {
            return Err(EnvError::InvalidSpace(
                "Discrete space needs n >= 1".to_string(),
            ));
        }
        Ok(Self { n })
    }

    /// Number of elements.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Whether `index` is an element.
    pub fn contains(&self, index: usize) -> bool {
        index < self.n
    }

    /// A uniformly drawn element.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        rng.random_range(0..self.n)
    }
}

/// A box `[low_0, high_0] x ... x [low_{k-1}, high_{k-1}]` of f32 values, stored flat in
/// row-major order with its `shape`. Bounds may be infinite (serialised as `"inf"` and
/// `"-inf"`, which JSON has no number for); a deserialised box is checked as
/// [`BoxSpace::with_shape`] checks one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "SavedBox", try_from = "SavedBox")]
pub struct BoxSpace {
    low: Vec<f32>,
    high: Vec<f32>,
    shape: Vec<usize>,
}

/// A [`BoxSpace`] as serialised.
#[derive(Clone, Serialize, Deserialize)]
struct SavedBox {
    low: Vec<Bound>,
    high: Vec<Bound>,
    shape: Vec<usize>,
}

/// A bound as serialised: a number, or `"inf"` / `"-inf"`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum Bound {
    Finite(f32),
    Infinite(String),
}

impl From<BoxSpace> for SavedBox {
    fn from(b: BoxSpace) -> Self {
        let saved = |values: Vec<f32>| {
            values
                .into_iter()
                .map(|v| match v {
                    f32::INFINITY => Bound::Infinite("inf".into()),
                    f32::NEG_INFINITY => Bound::Infinite("-inf".into()),
                    v => Bound::Finite(v),
                })
                .collect()
        };
        Self {
            low: saved(b.low),
            high: saved(b.high),
            shape: b.shape,
        }
    }
}

impl TryFrom<SavedBox> for BoxSpace {
    type Error = String;

    fn try_from(saved: SavedBox) -> Result<Self, String> {
        let values = |bounds: Vec<Bound>| {
            bounds
                .into_iter()
                .map(|b| match b {
                    Bound::Finite(v) => Ok(v),
                    Bound::Infinite(text) => match text.as_str() {
                        "inf" => Ok(f32::INFINITY),
                        "-inf" => Ok(f32::NEG_INFINITY),
                        other => Err(format!("bound `{other}`: expected a number, inf or -inf")),
                    },
                })
                .collect::<Result<Vec<f32>, String>>()
        };
        Self::with_shape(values(saved.low)?, values(saved.high)?, saved.shape)
            .map_err(|e| e.to_string())
    }
}

impl BoxSpace {
    /// A one-dimensional box with per-component bounds.
    pub fn new(low: Vec<f32>, high: Vec<f32>) -> Result<Self, EnvError> {
        let shape = vec![low.len()];
        Self::with_shape(low, high, shape)
    }

    /// A box of any shape; `low` and `high` hold `shape.iter().product()` values each.
    pub fn with_shape(low: Vec<f32>, high: Vec<f32>, shape: Vec<usize>) -> Result<Self, EnvError> {
        let size: usize = shape.iter().product();
        if low.len() != size || high.len() != size {
            return Err(EnvError::InvalidSpace(format!(
                "Box of shape {shape:?} needs {size} bounds, got {} low and {} high",
                low.len(),
                high.len()
            )));
        }
        if size == 0 {
            return Err(EnvError::InvalidSpace(
                "Box needs at least one component".to_string(),
            ));
        }
        for (i, (&lo, &hi)) in low.iter().zip(&high).enumerate() {
            if lo.is_nan()
                || hi.is_nan()
                || lo > hi
                || lo == f32::INFINITY
                || hi == f32::NEG_INFINITY
            {
                return Err(EnvError::InvalidSpace(format!(
                    "Box component {i} has bounds [{lo}, {hi}]"
                )));
            }
        }
        Ok(Self { low, high, shape })
    }

    /// A box with the same bounds on every component.
    pub fn uniform(low: f32, high: f32, shape: Vec<usize>) -> Result<Self, EnvError> {
        let size = shape.iter().product();
        Self::with_shape(vec![low; size], vec![high; size], shape)
    }

    /// Lower bounds, flat.
    pub fn low(&self) -> &[f32] {
        &self.low
    }

    /// Upper bounds, flat.
    pub fn high(&self) -> &[f32] {
        &self.high
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of components (`shape.iter().product()`).
    pub fn flat_dim(&self) -> usize {
        self.low.len()
    }

    /// Whether every bound is finite.
    pub fn is_bounded(&self) -> bool {
        self.low.iter().chain(&self.high).all(|v| v.is_finite())
    }

    /// Whether `values` has the right length and every component lies within its bounds
    /// (NaN never does).
    pub fn contains(&self, values: &[f32]) -> bool {
        values.len() == self.flat_dim()
            && values
                .iter()
                .zip(self.low.iter().zip(&self.high))
                .all(|(v, (lo, hi))| *lo <= *v && *v <= *hi)
    }

    /// Clamps each component into its bounds, in place (NaN stays NaN).
    pub fn clip(&self, values: &mut [f32]) {
        for (v, (lo, hi)) in values.iter_mut().zip(self.low.iter().zip(&self.high)) {
            *v = v.clamp(*lo, *hi);
        }
    }

    /// A sample drawn as Gymnasium's `Box.sample` draws it: uniform on bounded components,
    /// standard normal on unbounded ones, `low + Exp(1)` / `high - Exp(1)` on half-bounded ones.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<f32> {
        let mut out = vec![0.0; self.flat_dim()];
        self.sample_into(rng, &mut out);
        out
    }

    /// [`BoxSpace::sample`] into a slice of length [`BoxSpace::flat_dim`].
    pub fn sample_into<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut [f32]) {
        for (v, (&lo, &hi)) in out.iter_mut().zip(self.low.iter().zip(&self.high)) {
            let (lo, hi) = (f64::from(lo), f64::from(hi));
            let x = match (lo.is_finite(), hi.is_finite()) {
                (true, true) => lo + (hi - lo) * rng.random::<f64>(),
                (true, false) => lo + exp1(rng),
                (false, true) => hi - exp1(rng),
                (false, false) => Distribution::<f64>::sample(&StandardNormal, rng),
            };
            *v = (x as f32).clamp(lo as f32, hi as f32);
        }
    }
}

/// A draw from the exponential distribution of rate 1.
fn exp1<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    Distribution::<f64>::sample(&Exp1, rng)
}

/// An action or observation space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Space {
    /// A finite set of actions.
    Discrete(Discrete),
    /// A box of continuous values.
    Box(BoxSpace),
}

/// An action owned by its holder, as drawn by [`Space::sample`].
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedAction {
    /// An index into a [`Discrete`] space.
    Discrete(usize),
    /// A point of a [`BoxSpace`].
    Continuous(Vec<f32>),
}

impl OwnedAction {
    /// The borrowed form that [`crate::Env::step`] takes.
    pub fn as_action(&self) -> Action<'_> {
        match self {
            OwnedAction::Discrete(i) => Action::Discrete(*i),
            OwnedAction::Continuous(v) => Action::Continuous(v),
        }
    }
}

impl Space {
    /// Number of values an element takes when flattened: 1 for `Discrete` (its index), the
    /// number of components for `Box`.
    pub fn flat_dim(&self) -> usize {
        match self {
            Space::Discrete(_) => 1,
            Space::Box(b) => b.flat_dim(),
        }
    }

    /// The box, if this is a `Box` space.
    pub fn as_box(&self) -> Option<&BoxSpace> {
        match self {
            Space::Box(b) => Some(b),
            Space::Discrete(_) => None,
        }
    }

    /// The discrete space, if this is one.
    pub fn as_discrete(&self) -> Option<&Discrete> {
        match self {
            Space::Discrete(d) => Some(d),
            Space::Box(_) => None,
        }
    }

    /// A uniformly drawn element (see [`BoxSpace::sample`] for boxes).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> OwnedAction {
        match self {
            Space::Discrete(d) => OwnedAction::Discrete(d.sample(rng)),
            Space::Box(b) => OwnedAction::Continuous(b.sample(rng)),
        }
    }

    /// Whether `action` is an element of this space.
    pub fn contains(&self, action: Action<'_>) -> bool {
        match (self, action) {
            (Space::Discrete(d), Action::Discrete(i)) => d.contains(i),
            (Space::Box(b), Action::Continuous(v)) => b.contains(v),
            _ => false,
        }
    }

    /// `Ok` if `action` is an element, else [`EnvError::InvalidAction`] naming `env_id`.
    pub fn check(&self, env_id: &str, action: Action<'_>) -> Result<(), EnvError> {
        if self.contains(action) {
            Ok(())
        } else {
            Err(self.invalid(env_id, action))
        }
    }

    /// The index of a discrete `action` if it is an element of this space, else
    /// [`EnvError::InvalidAction`] naming `env_id`.
    pub fn discrete_index(&self, env_id: &str, action: Action<'_>) -> Result<usize, EnvError> {
        match (self, action) {
            (Space::Discrete(d), Action::Discrete(i)) if d.contains(i) => Ok(i),
            _ => Err(self.invalid(env_id, action)),
        }
    }

    /// The values of a continuous `action` if this is a box space and the action has its length
    /// and no NaN, whatever its bounds; else [`EnvError::InvalidAction`]. This is the check for
    /// environments and wrappers that clip out-of-bounds actions themselves (as Gymnasium's
    /// Pendulum and MountainCarContinuous do).
    pub fn continuous_values<'a>(
        &self,
        env_id: &str,
        action: Action<'a>,
    ) -> Result<&'a [f32], EnvError> {
        match (self, action) {
            (Space::Box(b), Action::Continuous(v))
                if v.len() == b.flat_dim() && v.iter().all(|x| !x.is_nan()) =>
            {
                Ok(v)
            }
            _ => Err(self.invalid(env_id, action)),
        }
    }

    fn invalid(&self, env_id: &str, action: Action<'_>) -> EnvError {
        EnvError::InvalidAction {
            env: env_id.to_string(),
            action: action.to_string(),
            space: self.to_string(),
        }
    }
}

impl fmt::Display for Discrete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Discrete({})", self.n)
    }
}

impl fmt::Display for BoxSpace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Box(low={:?}, high={:?}, shape={:?})",
            self.low, self.high, self.shape
        )
    }
}

impl fmt::Display for Space {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Space::Discrete(d) => d.fmt(f),
            Space::Box(b) => b.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests;
