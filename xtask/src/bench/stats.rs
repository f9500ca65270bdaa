//! The statistics of `bench compare --protocol sb3`: mean and standard deviation over seeds,
//! Welch's t statistic with its Welch–Satterthwaite degrees of freedom, and a percentile
//! bootstrap interval of the difference of two means (Efron & Tibshirani 1993, ch. 13).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Mean and sample standard deviation (n − 1; 0 for a single value).
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, 0.0);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Welch's t statistic of `mean(a) − mean(b)` and its degrees of freedom; `None` with fewer
/// than two values on a side or no spread on either.
pub fn welch(a: &[f64], b: &[f64]) -> Option<(f64, f64)> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let ((ma, sa), (mb, sb)) = (mean_std(a), mean_std(b));
    let (va, vb) = (sa * sa / a.len() as f64, sb * sb / b.len() as f64);
    if va + vb == 0.0 {
        return None;
    }
    let t = (ma - mb) / (va + vb).sqrt();
    let df =
        (va + vb).powi(2) / (va * va / (a.len() as f64 - 1.0) + vb * vb / (b.len() as f64 - 1.0));
    Some((t, df))
}

/// The 95 % percentile bootstrap interval of `mean(a) − mean(b)`: each side resampled with
/// replacement `resamples` times (a fixed generator, so the interval is reproducible).
pub fn bootstrap_difference(a: &[f64], b: &[f64], resamples: usize) -> (f64, f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut resampled_mean = |values: &[f64]| {
        (0..values.len())
            .map(|_| values[rng.random_range(0..values.len())])
            .sum::<f64>()
            / values.len() as f64
    };
    let mut differences: Vec<f64> = (0..resamples)
        .map(|_| resampled_mean(a) - resampled_mean(b))
        .collect();
    differences.sort_by(f64::total_cmp);
    let at = |q: f64| differences[((resamples - 1) as f64 * q).round() as usize];
    (at(0.025), at(0.975))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welch_matches_the_closed_form() {
        // a: mean 2, variance 1 (n − 1); b: mean 5, variance 4.
        let (a, b) = ([1.0, 2.0, 3.0], [3.0, 5.0, 7.0]);
        assert_eq!(mean_std(&a), (2.0, 1.0));
        assert_eq!(mean_std(&b), (5.0, 2.0));
        let (t, df) = welch(&a, &b).unwrap();
        // t = −3 / √(1/3 + 4/3); df = (5/3)² / ((1/3)²/2 + (4/3)²/2) = 25/9 / (17/18).
        assert!((t + 3.0 / (5.0f64 / 3.0).sqrt()).abs() < 1e-12, "{t}");
        assert!((df - 50.0 / 17.0).abs() < 1e-12, "{df}");
        assert_eq!(welch(&[1.0], &b), None);
        assert_eq!(welch(&[1.0, 1.0], &[2.0, 2.0]), None);
    }

    #[test]
    fn the_bootstrap_interval_holds_the_difference_and_shrinks_to_it_without_spread() {
        let (a, b) = ([10.0, 12.0, 11.0, 13.0, 9.0], [1.0, 2.0, 0.0, 3.0, 4.0]);
        let (lo, hi) = bootstrap_difference(&a, &b, 10_000);
        assert!(lo < 9.0 && 9.0 < hi, "[{lo}, {hi}]");
        assert!(lo > 5.0 && hi < 13.0, "[{lo}, {hi}]");
        assert_eq!(bootstrap_difference(&[3.0; 4], &[1.0; 4], 1000), (2.0, 2.0));
    }
}
