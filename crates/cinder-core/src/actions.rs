//! The actions of a batch of environments: borrowed ([`Actions`], what
//! [`VecEnv::step`](crate::VecEnv::step) takes) and owned ([`ActionBatch`], what a policy
//! produces).
use crate::space::Space;

/// Actions for every environment of a [`VecEnv`](crate::VecEnv), flat.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Actions<'a> {
    /// One index per environment.
    Discrete(&'a [usize]),
    /// `num_envs × action_dim` values, environment-major.
    Continuous(&'a [f32]),
}

/// Owned actions for every environment of a [`VecEnv`](crate::VecEnv), as a policy produces them.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionBatch {
    /// One index per environment.
    Discrete(Vec<usize>),
    /// `num_envs × action_dim` values, environment-major.
    Continuous(Vec<f32>),
}

impl ActionBatch {
    /// The borrowed form [`VecEnv::step`](crate::VecEnv::step) takes.
    pub fn as_actions(&self) -> Actions<'_> {
        match self {
            ActionBatch::Discrete(a) => Actions::Discrete(a),
            ActionBatch::Continuous(a) => Actions::Continuous(a),
        }
    }

    /// An empty batch of the kind `space` takes.
    pub fn empty_for(space: &Space) -> Self {
        match space {
            Space::Discrete(_) => ActionBatch::Discrete(Vec::new()),
            Space::Box(_) => ActionBatch::Continuous(Vec::new()),
        }
    }

    /// `num_envs` actions drawn from `space` (uniformly where it is bounded; Gymnasium's
    /// `Space.sample`).
    pub fn sample<R: rand::Rng + ?Sized>(space: &Space, num_envs: usize, rng: &mut R) -> Self {
        match space {
            Space::Discrete(d) => {
                ActionBatch::Discrete((0..num_envs).map(|_| d.sample(rng)).collect())
            }
            Space::Box(b) => {
                let mut values = vec![0.0; num_envs * b.flat_dim()];
                for row in values.chunks_exact_mut(b.flat_dim().max(1)) {
                    b.sample_into(rng, row);
                }
                ActionBatch::Continuous(values)
            }
        }
    }

    /// Appends `other`'s actions; `false` (and nothing appended) if the kinds differ.
    pub fn extend_from(&mut self, other: &ActionBatch) -> bool {
        match (self, other) {
            (ActionBatch::Discrete(a), ActionBatch::Discrete(b)) => a.extend_from_slice(b),
            (ActionBatch::Continuous(a), ActionBatch::Continuous(b)) => a.extend_from_slice(b),
            _ => return false,
        }
        true
    }
}

/// An action drawn uniformly from those `valid` allows (one environment's row of
/// [`crate::VecEnv::action_masks`]); `None`, and nothing drawn, if it allows none.
pub fn sample_valid<R: rand::Rng + ?Sized>(valid: &[bool], rng: &mut R) -> Option<usize> {
    let count = valid.iter().filter(|&&v| v).count();
    if count == 0 {
        return None;
    }
    let k = rng.random_range(0..count);
    (0..valid.len()).filter(|&a| valid[a]).nth(k)
}
