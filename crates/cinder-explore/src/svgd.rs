//! Stein variational gradient descent (Liu & Wang 2016, "Stein Variational Gradient Descent",
//! arXiv:1608.04471) on flat parameter vectors, as SVPG (Liu et al. 2017) uses it:
//!
//! ```text
//! φ(θ_i) = (1/N) Σ_j [ k(θ_j, θ_i) · g_j / T  +  ∇_{θ_j} k(θ_j, θ_i) ]
//! ```
//!
//! with `g_j` the gradient of the objective (a policy gradient, or `∇ log p`) at particle `j`
//! and `T` the temperature. The first term drives particles up the objective, shared through
//! the kernel; the second is the repulsive force that keeps them apart. Moving every `θ_i`
//! along `φ(θ_i)` transports the particles towards `p ∝ exp(J / T)`.
//!
//! The RBF kernel is `k(x, y) = exp(−‖x − y‖² / (2h²))` with the median heuristic of the
//! SVGD reference code: `h² = ½ · median(‖θ_i − θ_j‖²) / ln(N + 1)` over all pairs (the
//! diagonal included). Then
//! `∇_{θ_j} k(θ_j, θ_i) = k(θ_j, θ_i) · (θ_i − θ_j) / h²`, which points from `θ_j` to `θ_i`.

/// The kernel between particles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kernel {
    /// RBF with the median-heuristic bandwidth.
    #[default]
    Rbf,
    /// `k(θ_j, θ_i) = 1` if `i = j` else 0, without repulsion: independent particles, each
    /// moving along `g_i / (N · T)`.
    Identity,
}

impl Kernel {
    /// `rbf` or `identity`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "rbf" => Some(Kernel::Rbf),
            "identity" => Some(Kernel::Identity),
            _ => None,
        }
    }
}

/// The squared distances `‖θ_i − θ_j‖²` of every pair.
fn squared_distances(params: &[Vec<f32>]) -> Vec<Vec<f64>> {
    params
        .iter()
        .map(|a| {
            params
                .iter()
                .map(|b| {
                    a.iter()
                        .zip(b)
                        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
                        .sum()
                })
                .collect()
        })
        .collect()
}

/// The mean distance `‖θ_i − θ_j‖` over pairs `i < j` (0 for fewer than two particles).
pub fn mean_pairwise_distance(params: &[Vec<f32>]) -> f64 {
    let n = params.len();
    if n < 2 {
        return 0.0;
    }
    let d2 = squared_distances(params);
    let sum: f64 = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .map(|(i, j)| d2[i][j].sqrt())
        .sum();
    sum / (n * (n - 1) / 2) as f64
}

/// The median-heuristic `h²`; 1 when every particle sits at the same point (no pair to scale
/// by, and no repulsion either way).
fn bandwidth(d2: &[Vec<f64>]) -> f64 {
    let n = d2.len();
    let mut all: Vec<f64> = d2.iter().flatten().copied().collect();
    all.sort_by(f64::total_cmp);
    let m = all.len();
    let median = if m % 2 == 1 {
        all[m / 2]
    } else {
        0.5 * (all[m / 2 - 1] + all[m / 2])
    };
    if median > 0.0 {
        0.5 * median / ((n + 1) as f64).ln()
    } else {
        1.0
    }
}

/// The two terms of `φ(θ_i)` for every particle, each already divided by `N`: the driving
/// term `(1/N) Σ_j k(θ_j, θ_i) · g_j / T` and the repulsion `(1/N) Σ_j ∇_{θ_j} k(θ_j, θ_i)`
/// (zero for the identity kernel). `params[i]` and `grads[i]` are particle `i`'s parameters
/// and objective gradient, all of one length.
pub fn stein_terms(
    params: &[Vec<f32>],
    grads: &[Vec<f32>],
    temperature: f64,
    kernel: Kernel,
) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let n = params.len();
    let scale = 1.0 / n as f64;
    let dim = params.first().map_or(0, Vec::len);
    let mut driving = vec![vec![0.0f64; dim]; n];
    let mut repulsion = vec![vec![0.0f64; dim]; n];
    match kernel {
        Kernel::Identity => {
            for (drive, g) in driving.iter_mut().zip(grads) {
                for (d, &x) in drive.iter_mut().zip(g) {
                    *d = f64::from(x) / temperature * scale;
                }
            }
        }
        Kernel::Rbf => {
            let d2 = squared_distances(params);
            let h2 = bandwidth(&d2);
            for i in 0..n {
                for j in 0..n {
                    let k = (-d2[i][j] / (2.0 * h2)).exp();
                    for (c, (&g, (&theta_i, &theta_j))) in grads[j]
                        .iter()
                        .zip(params[i].iter().zip(&params[j]))
                        .enumerate()
                    {
                        driving[i][c] += k * f64::from(g) / temperature * scale;
                        repulsion[i][c] +=
                            k * (f64::from(theta_i) - f64::from(theta_j)) / h2 * scale;
                    }
                }
            }
        }
    }
    (driving, repulsion)
}

/// `φ(θ_i)` for every particle: the sum of the [`stein_terms`].
pub fn stein_directions(
    params: &[Vec<f32>],
    grads: &[Vec<f32>],
    temperature: f64,
    kernel: Kernel,
) -> Vec<Vec<f32>> {
    let (driving, repulsion) = stein_terms(params, grads, temperature, kernel);
    driving
        .into_iter()
        .zip(repulsion)
        .map(|(d, r)| d.into_iter().zip(r).map(|(a, b)| (a + b) as f32).collect())
        .collect()
}
