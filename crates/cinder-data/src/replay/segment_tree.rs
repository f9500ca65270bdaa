//! A segment tree over `f64` leaves: O(log n) point updates and whole-range reductions.

/// A complete binary tree whose inner nodes hold `combine` of their children: with `+` it is
/// the sum tree of prioritized replay (prefix-sum search), with `min` the tree giving the
/// smallest priority for the importance-weight normalisation.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentTree {
    /// Leaves live at `nodes[size..size + len]`; `nodes[1]` is the root.
    nodes: Vec<f64>,
    size: usize,
    len: usize,
    reduction: Reduction,
}

/// What an inner node holds of its children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reduction {
    Sum,
    Min,
}

impl Reduction {
    fn identity(self) -> f64 {
        match self {
            Reduction::Sum => 0.0,
            Reduction::Min => f64::INFINITY,
        }
    }

    fn combine(self, a: f64, b: f64) -> f64 {
        match self {
            Reduction::Sum => a + b,
            Reduction::Min => a.min(b),
        }
    }
}

impl SegmentTree {
    /// A sum tree of `len` leaves, all zero.
    pub fn sum(len: usize) -> Self {
        Self::new(len, Reduction::Sum)
    }

    /// A min tree of `len` leaves, all `+∞` (empty).
    pub fn min(len: usize) -> Self {
        Self::new(len, Reduction::Min)
    }

    fn new(len: usize, reduction: Reduction) -> Self {
        let size = len.max(1).next_power_of_two();
        Self {
            nodes: vec![reduction.identity(); 2 * size],
            size,
            len,
            reduction,
        }
    }

    /// Number of leaves.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sets leaf `index` to `value` and updates its ancestors.
    ///
    /// # Panics
    /// If `index >= len` (an internal indexing bug, never user input).
    pub fn set(&mut self, index: usize, value: f64) {
        assert!(index < self.len, "leaf {index} of {}", self.len);
        let mut node = index + self.size;
        self.nodes[node] = value;
        while node > 1 {
            node /= 2;
            self.nodes[node] = self
                .reduction
                .combine(self.nodes[2 * node], self.nodes[2 * node + 1]);
        }
    }

    /// The value of leaf `index`.
    pub fn get(&self, index: usize) -> f64 {
        if index < self.len {
            self.nodes[index + self.size]
        } else {
            self.reduction.identity()
        }
    }

    /// `combine` over every leaf (the total of a sum tree, the minimum of a min tree).
    pub fn reduce(&self) -> f64 {
        self.nodes[1]
    }

    /// For a sum tree with non-negative leaves: the leaf `i` with
    /// `Σ_{j<i} leaf_j ≤ prefix < Σ_{j≤i} leaf_j`, i.e. where `prefix` falls when the leaves
    /// are laid end to end. A `prefix` at or past the total gives the last positive leaf.
    pub fn find_prefix(&self, prefix: f64) -> usize {
        let mut remaining = prefix.max(0.0);
        let mut node = 1;
        while node < self.size {
            let left = self.nodes[2 * node];
            if remaining < left || self.nodes[2 * node + 1] <= 0.0 {
                node *= 2;
                remaining = remaining.min(left);
            } else {
                remaining -= left;
                node = 2 * node + 1;
            }
        }
        // Rounding can land on a zero leaf at the far end; step back to a positive one.
        let mut leaf = (node - self.size).min(self.len.saturating_sub(1));
        while leaf > 0 && self.get(leaf) <= 0.0 {
            leaf -= 1;
        }
        leaf
    }
}
