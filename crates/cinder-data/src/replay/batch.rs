//! A sampled minibatch of n-step windows: what learners update from.

use cinder_core::ActionBatch;

/// A sampled minibatch on the host, ready to become tensors.
///
/// The target of row `m` is `returns[m] + discounts[m] · V(next_observations[m])` with
/// `returns[m] = Σ_{i<k} γ^i r_{t+i}` and `discounts[m] = γ^k (1 − terminated_{t+k−1})`, where
/// the window of `k ≤ n` transitions stops early at a termination, a truncation or the newest
/// transition of the stream (Tianshou's `compute_nstep_return`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayBatch {
    /// Buffer indices `t` of the sampled transitions.
    pub indices: Vec<usize>,
    /// `batch × obs_dim` observations `s_t`.
    pub observations: Vec<f32>,
    /// Actions `a_t`.
    pub actions: ActionBatch,
    /// Discounted reward sums over each window.
    pub returns: Vec<f32>,
    /// `batch × obs_dim` next observations of each window's last transition.
    pub next_observations: Vec<f32>,
    /// `batch × n` valid actions in each next state (discrete spaces whose environments
    /// masked some action; `None`: all valid), for targets over valid actions only.
    pub next_masks: Option<Vec<bool>>,
    /// Bootstrap weights `γ^k (1 − terminated)`.
    pub discounts: Vec<f32>,
    /// Buffer index of each window's last transition.
    pub last_indices: Vec<usize>,
    /// Importance-sampling weights (all 1 for uniform sampling).
    pub weights: Vec<f32>,
    /// Every transition of every row's window, the first being the row's own: what a reward
    /// computed per step (ICM's curiosity) needs to change `returns`.
    pub steps: WindowSteps,
}

/// The transitions inside the windows of a [`ReplayBatch`], row after row.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowSteps {
    /// The batch row each step belongs to (ascending: a row's steps are consecutive).
    pub rows: Vec<usize>,
    /// `γ^i` of each step, `i` its place in its window (0 for the row's own transition).
    pub discounts: Vec<f32>,
    /// `steps × obs_dim` observations `s_{t+i}`.
    pub observations: Vec<f32>,
    /// Actions `a_{t+i}`.
    pub actions: ActionBatch,
    /// `steps × obs_dim` next observations `s_{t+i+1}` (the real final observation where an
    /// episode ended).
    pub next_observations: Vec<f32>,
}

impl ReplayBatch {
    /// Applies `f` to every observation block of the batch (the rows' observations and next
    /// observations, and their windows'): how a normalisation is applied at sampling time.
    pub fn map_observations(&mut self, f: impl Fn(&mut [f32])) {
        f(&mut self.observations);
        f(&mut self.next_observations);
        f(&mut self.steps.observations);
        f(&mut self.steps.next_observations);
    }
}

impl WindowSteps {
    /// Number of steps over all windows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

impl ReplayBatch {
    /// Rows in the batch.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Whether the batch has no rows.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// Adds a reward per window step to the targets: `returns[m] += Σ_i γ^i · extra[j]` over
    /// the steps `j` of row `m` (`extra` in the order of [`ReplayBatch::steps`]), as if each
    /// step's stored reward had been `r + extra` when the n-step return was summed.
    pub fn add_step_rewards(&mut self, extra: &[f32]) {
        debug_assert_eq!(extra.len(), self.steps.len());
        let steps = &self.steps;
        for ((&row, &discount), &r) in steps.rows.iter().zip(&steps.discounts).zip(extra) {
            self.returns[row] += discount * r;
        }
    }
}
