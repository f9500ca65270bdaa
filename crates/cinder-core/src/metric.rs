//! Named scalars an algorithm reports per iteration.

/// One named scalar an algorithm reports per iteration (a loss, the entropy, the learning rate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric {
    /// Column / tag name, e.g. `policy_loss`.
    pub name: &'static str,
    /// Its value.
    pub value: f64,
}

impl Metric {
    /// `name = value`.
    pub fn new(name: &'static str, value: f64) -> Self {
        Self { name, value }
    }
}
