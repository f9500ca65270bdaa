//! Running mean and variance over vectors (Chan et al.'s parallel update, as in Gymnasium's
//! `RunningMeanStd`).

use serde::{Deserialize, Serialize};

/// Per-component running mean and (population) variance, in f64.
///
/// Starts from mean 0, variance 1 and a pseudo-count of `1e-4`, like Gymnasium's
/// `RunningMeanStd(epsilon=1e-4)`, so the first update essentially replaces the prior.
/// Serialisable: save it with a policy to normalise observations the same way later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningMeanStd {
    /// Running mean of each component.
    pub mean: Vec<f64>,
    /// Running population variance of each component.
    pub var: Vec<f64>,
    /// Number of samples seen (plus the initial pseudo-count).
    pub count: f64,
}

impl RunningMeanStd {
    /// Fresh statistics for vectors of `dim` components.
    pub fn new(dim: usize) -> Self {
        Self {
            mean: vec![0.0; dim],
            var: vec![1.0; dim],
            count: 1e-4,
        }
    }

    /// Number of components.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Folds in a batch of `batch.len() / dim` vectors stored row-major.
    ///
    /// Combines the batch's mean and variance with the running ones (Chan, Golub & LeVeque
    /// 1979): `M2 = var·n_a + var_b·n_b + δ²·n_a·n_b / (n_a + n_b)`.
    pub fn update<T: Copy + Into<f64>>(&mut self, batch: &[T]) {
        let dim = self.dim();
        if dim == 0 || batch.is_empty() {
            return;
        }
        let rows = batch.len() / dim;
        let n_b = rows as f64;
        let total = self.count + n_b;
        for j in 0..dim {
            let column = batch.chunks_exact(dim).map(|row| -> f64 { row[j].into() });
            let batch_mean = column.clone().sum::<f64>() / n_b;
            let batch_var = column.map(|x| (x - batch_mean).powi(2)).sum::<f64>() / n_b;
            let delta = batch_mean - self.mean[j];
            let m2 = self.var[j] * self.count
                + batch_var * n_b
                + delta * delta * self.count * n_b / total;
            self.mean[j] += delta * n_b / total;
            self.var[j] = m2 / total;
        }
        self.count = total;
    }

    /// Writes `(x - mean) / sqrt(var + epsilon)` over `values` in place.
    pub fn normalize(&self, values: &mut [f32], epsilon: f64) {
        for ((v, m), var) in values.iter_mut().zip(&self.mean).zip(&self.var) {
            *v = ((f64::from(*v) - m) / (var + epsilon).sqrt()) as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Updating one row at a time, or all rows at once, gives the same statistics, and they
        /// are the plain mean and variance of the data up to the 1e-4 pseudo-count of the prior
        /// (mean 0, variance 1), whose pull is at most ~1e-4·(1 + mean²) / rows.
        #[test]
        fn matches_batch_moments(data in proptest::collection::vec(-100.0f32..100.0, 2..200)) {
            let dim = 2;
            let rows = data.len() / dim;
            let data = &data[..rows * dim];
            let mut one_by_one = RunningMeanStd::new(dim);
            for row in data.chunks_exact(dim) {
                one_by_one.update(row);
            }
            let mut all_at_once = RunningMeanStd::new(dim);
            all_at_once.update(data);
            for j in 0..dim {
                let xs: Vec<f64> = data.chunks_exact(dim).map(|r| f64::from(r[j])).collect();
                let mean = xs.iter().sum::<f64>() / rows as f64;
                let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / rows as f64;
                let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + a.abs());
                prop_assert!(close(one_by_one.mean[j], all_at_once.mean[j]));
                prop_assert!(close(one_by_one.var[j], all_at_once.var[j]));
                let prior_pull = 1e-3 * (1.0 + mean * mean + var);
                prop_assert!((all_at_once.mean[j] - mean).abs() <= prior_pull);
                prop_assert!((all_at_once.var[j] - var).abs() <= prior_pull);
            }
        }
    }
}
