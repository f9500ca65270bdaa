//! Proportional prioritized experience replay (Schaul et al. 2016, sections 3.3 and 3.4).

use rand::Rng;

use super::batch::ReplayBatch;
use super::buffer::{Lookahead, ReplayBuffer, ReplayError};
use super::segment_tree::SegmentTree;
use super::transitions::Transitions;

/// The prioritization exponents.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrioritizedConfig {
    /// `α`: how strongly priorities skew sampling, `P(i) ∝ p_i^α` (0 is uniform). Schaul et
    /// al. use 0.6 for the proportional variant.
    pub alpha: f64,
    /// `β` at the start of training, annealed linearly to 1 (Schaul et al.: 0.4).
    pub beta_init: f64,
    /// Added to each |TD error| so that no transition gets priority 0.
    pub epsilon: f64,
}

impl Default for PrioritizedConfig {
    fn default() -> Self {
        Self {
            alpha: 0.6,
            beta_init: 0.4,
            epsilon: 1e-6,
        }
    }
}

impl PrioritizedConfig {
    /// Checks `α ≥ 0`, `β ∈ [0, 1]` and `ε > 0`.
    pub fn validate(&self) -> Result<(), ReplayError> {
        let check = |name, value: f64, ok: bool, expected| {
            if ok && value.is_finite() {
                Ok(())
            } else {
                Err(ReplayError::InvalidParameter {
                    name,
                    value,
                    expected,
                })
            }
        };
        check("alpha", self.alpha, self.alpha >= 0.0, "non-negative")?;
        check(
            "beta_init",
            self.beta_init,
            (0.0..=1.0).contains(&self.beta_init),
            "in [0, 1]",
        )?;
        check("epsilon", self.epsilon, self.epsilon > 0.0, "positive")
    }

    /// `β` at training progress `progress ∈ [0, 1]`: linear from `beta_init` to 1.
    pub fn beta(&self, progress: f64) -> f64 {
        self.beta_init + (1.0 - self.beta_init) * progress.clamp(0.0, 1.0)
    }
}

/// A [`ReplayBuffer`] sampled in proportion to `p_i^α`, with importance weights
/// `w_i = (N·P(i))^−β / max_j w_j` and priorities `p_i = |δ_i| + ε` set after each update.
/// New transitions get the largest priority seen so far, so each is replayed at least once
/// with high probability.
#[derive(Debug, Clone, PartialEq)]
pub struct PrioritizedReplay {
    buffer: ReplayBuffer,
    config: PrioritizedConfig,
    /// `p_i^α` per transition.
    sums: SegmentTree,
    /// Same leaves, for `min_i P(i)`.
    mins: SegmentTree,
    max_priority: f64,
}

impl PrioritizedReplay {
    /// Prioritized sampling over `buffer` (which should be empty).
    pub fn new(buffer: ReplayBuffer, config: PrioritizedConfig) -> Result<Self, ReplayError> {
        config.validate()?;
        let capacity = buffer.capacity();
        let mut replay = Self {
            buffer,
            config,
            sums: SegmentTree::sum(capacity),
            mins: SegmentTree::min(capacity),
            max_priority: 1.0,
        };
        for i in 0..replay.buffer.len() {
            replay.set_priority(i, 1.0);
        }
        Ok(replay)
    }

    /// The storage.
    pub fn buffer(&self) -> &ReplayBuffer {
        &self.buffer
    }

    /// The exponents.
    pub fn config(&self) -> &PrioritizedConfig {
        &self.config
    }

    /// The priority `p_i` (before the exponent) of transition `index`.
    pub fn priority(&self, index: usize) -> f64 {
        self.sums
            .get(index)
            .powf(1.0 / self.config.alpha.max(f64::MIN_POSITIVE))
    }

    /// The largest priority seen, given to new transitions.
    pub fn max_priority(&self) -> f64 {
        self.max_priority
    }

    fn set_priority(&mut self, index: usize, priority: f64) {
        self.set_scaled(index, priority.powf(self.config.alpha));
    }

    fn set_scaled(&mut self, index: usize, scaled: f64) {
        self.sums.set(index, scaled);
        self.mins.set(index, scaled);
    }

    /// Stores a step like [`ReplayBuffer::push`], with the maximal priority.
    pub fn push(&mut self, transitions: Transitions<'_>) -> Result<usize, ReplayError> {
        let first = self.buffer.push(transitions)?;
        for i in first..first + self.buffer.num_streams() {
            self.set_priority(i, self.max_priority);
        }
        Ok(first)
    }

    /// `batch_size` indices drawn in proportion to `p^α` (one from each of `batch_size` equal
    /// slices of the total, the stratified scheme of Schaul et al.) and their importance
    /// weights for exponent `beta`.
    pub fn sample_indices<R: Rng + ?Sized>(
        &self,
        batch_size: usize,
        beta: f64,
        rng: &mut R,
    ) -> Result<(Vec<usize>, Vec<f32>), ReplayError> {
        self.buffer.check_batch(batch_size)?;
        let total = self.sums.reduce();
        let segment = total / batch_size as f64;
        let n = self.buffer.len() as f64;
        // max_j w_j belongs to the smallest probability.
        let max_weight = (n * self.mins.reduce() / total).powf(-beta);
        let mut indices = Vec::with_capacity(batch_size);
        let mut weights = Vec::with_capacity(batch_size);
        for b in 0..batch_size {
            let prefix = segment * (b as f64 + rng.random::<f64>());
            let index = self.sums.find_prefix(prefix);
            let probability = self.sums.get(index) / total;
            indices.push(index);
            weights.push(((n * probability).powf(-beta) / max_weight) as f32);
        }
        Ok((indices, weights))
    }

    /// A prioritized minibatch with `lookahead` targets and importance weights for `beta`.
    pub fn sample<R: Rng + ?Sized>(
        &self,
        batch_size: usize,
        lookahead: Lookahead,
        beta: f64,
        rng: &mut R,
    ) -> Result<ReplayBatch, ReplayError> {
        let (indices, weights) = self.sample_indices(batch_size, beta, rng)?;
        self.buffer.gather(indices, lookahead, weights)
    }

    /// Sets the priorities of `indices` to `|td_errors| + ε` after a learning step.
    pub fn update_priorities(
        &mut self,
        indices: &[usize],
        td_errors: &[f32],
    ) -> Result<(), ReplayError> {
        if indices.len() != td_errors.len() {
            return Err(ReplayError::Shape(format!(
                "{} indices but {} TD errors",
                indices.len(),
                td_errors.len()
            )));
        }
        for (&index, &delta) in indices.iter().zip(td_errors) {
            if index >= self.buffer.len() || !delta.is_finite() {
                return Err(ReplayError::Shape(format!(
                    "priority update for index {index} with TD error {delta}"
                )));
            }
            let priority = f64::from(delta.abs()) + self.config.epsilon;
            self.max_priority = self.max_priority.max(priority);
            self.set_priority(index, priority);
        }
        Ok(())
    }

    /// The parts a snapshot stores: the buffer, `p_i^α` of each stored transition and the
    /// maximal priority.
    pub(super) fn parts(&self) -> (&ReplayBuffer, Vec<f64>, f64) {
        let scaled = (0..self.buffer.len()).map(|i| self.sums.get(i)).collect();
        (&self.buffer, scaled, self.max_priority)
    }

    /// Replaces the contents with saved parts (the buffer's shape was checked by the caller).
    pub(super) fn set_parts(
        &mut self,
        buffer: ReplayBuffer,
        scaled: &[f64],
        max_priority: f64,
    ) -> Result<(), ReplayError> {
        if scaled.len() != buffer.len()
            || scaled.iter().any(|p| !(p.is_finite() && *p > 0.0))
            || !(max_priority.is_finite() && max_priority > 0.0)
        {
            return Err(ReplayError::Corrupt(format!(
                "{} priorities for {} transitions, or a non-positive priority",
                scaled.len(),
                buffer.len()
            )));
        }
        self.buffer = buffer;
        let capacity = self.buffer.capacity();
        self.sums = SegmentTree::sum(capacity);
        self.mins = SegmentTree::min(capacity);
        for (i, &p) in scaled.iter().enumerate() {
            self.set_scaled(i, p);
        }
        self.max_priority = max_priority;
        Ok(())
    }
}
