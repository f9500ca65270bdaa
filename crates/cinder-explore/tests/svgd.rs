//! The Stein variational gradient on known targets: particles driven by `∇ log p` of a
//! Gaussian reach its mean and variance (1-D and 2-D; the closed form is the target's own), two nearby particles under the same
//! gradient move apart only through the repulsion, and the identity kernel leaves each
//! particle its own scaled gradient.

use cinder_explore::svgd::{Kernel, mean_pairwise_distance, stein_directions, stein_terms};

/// `∇ log N(x; μ, diag(σ²))`.
fn gaussian_score(x: &[f32], mean: &[f64], var: &[f64]) -> Vec<f32> {
    x.iter()
        .zip(mean.iter().zip(var))
        .map(|(&x, (&m, &v))| (-(f64::from(x) - m) / v) as f32)
        .collect()
}

/// Runs SVGD with step `eps` for `steps` steps from `particles` towards the Gaussian.
fn transport(
    mut particles: Vec<Vec<f32>>,
    mean: &[f64],
    var: &[f64],
    steps: usize,
    eps: f32,
) -> Vec<Vec<f32>> {
    for _ in 0..steps {
        let grads: Vec<Vec<f32>> = particles
            .iter()
            .map(|x| gaussian_score(x, mean, var))
            .collect();
        let phi = stein_directions(&particles, &grads, 1.0, Kernel::Rbf);
        for (x, d) in particles.iter_mut().zip(phi) {
            for (x, d) in x.iter_mut().zip(d) {
                *x += eps * d;
            }
        }
    }
    particles
}

/// Per-dimension sample mean and variance.
fn moments(particles: &[Vec<f32>]) -> (Vec<f64>, Vec<f64>) {
    let n = particles.len() as f64;
    let dim = particles[0].len();
    let mean: Vec<f64> = (0..dim)
        .map(|c| particles.iter().map(|p| f64::from(p[c])).sum::<f64>() / n)
        .collect();
    let var = (0..dim)
        .map(|c| {
            particles
                .iter()
                .map(|p| (f64::from(p[c]) - mean[c]).powi(2))
                .sum::<f64>()
                / n
        })
        .collect();
    (mean, var)
}

/// `n` pseudo-random points in `[lo, hi]^dim` (a fixed LCG stream).
fn start(n: usize, dim: usize, lo: f32, hi: f32) -> Vec<Vec<f32>> {
    let mut state = 0x5EED_u64;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    (0..n)
        .map(|_| (0..dim).map(|_| lo + (hi - lo) * uniform()).collect())
        .collect()
}

#[test]
fn particles_reach_a_1d_gaussian() {
    let (mean, var) = ([2.0], [0.5]);
    let particles = transport(start(50, 1, -6.0, -3.0), &mean, &var, 1000, 0.1);
    let (m, v) = moments(&particles);
    assert!((m[0] - mean[0]).abs() < 0.05, "mean {m:?}");
    assert!(
        (v[0] / var[0] - 1.0).abs() < 0.1,
        "variance {v:?} vs {var:?}"
    );
}

#[test]
fn particles_reach_a_2d_gaussian() {
    let (mean, var) = ([-1.0, 3.0], [1.0, 0.25]);
    let particles = transport(start(60, 2, 0.0, 1.0), &mean, &var, 1000, 0.05);
    let (m, v) = moments(&particles);
    for c in 0..2 {
        assert!((m[c] - mean[c]).abs() < 0.1, "mean {m:?}");
        assert!(
            (v[c] / var[c] - 1.0).abs() < 0.25,
            "variance {v:?} vs {var:?}"
        );
    }
}

#[test]
fn the_repulsion_pushes_nearby_particles_apart() {
    let particles = vec![vec![0.0f32, 0.0], vec![0.1, -0.05]];
    let grads = vec![vec![1.0f32, 2.0]; 2];
    let (driving, repulsion) = stein_terms(&particles, &grads, 1.0, Kernel::Rbf);
    let step = |with_repulsion: bool| -> f64 {
        let moved: Vec<Vec<f32>> = (0..2)
            .map(|i| {
                (0..2)
                    .map(|c| {
                        let r = if with_repulsion { repulsion[i][c] } else { 0.0 };
                        particles[i][c] + (0.1 * (driving[i][c] + r)) as f32
                    })
                    .collect()
            })
            .collect();
        mean_pairwise_distance(&moved)
    };
    let before = mean_pairwise_distance(&particles);
    // The same gradient through a symmetric kernel moves both alike...
    assert!(
        (step(false) - before).abs() < 1e-6,
        "{} vs {before}",
        step(false)
    );
    // ...and the repulsion separates them.
    assert!(step(true) > before + 1e-3, "{} vs {before}", step(true));
    let phi = stein_directions(&particles, &grads, 1.0, Kernel::Rbf);
    let apart: f32 = (0..2)
        .map(|c| (phi[1][c] - phi[0][c]) * (particles[1][c] - particles[0][c]))
        .sum();
    assert!(
        apart > 0.0,
        "φ_1 − φ_0 points from particle 0 to particle 1"
    );
}

#[test]
fn the_identity_kernel_scales_each_particles_own_gradient() {
    let particles = vec![vec![0.0f32, 1.0], vec![0.01, 1.0], vec![5.0, -3.0]];
    let grads = vec![vec![1.0f32, -2.0], vec![0.5, 0.25], vec![-4.0, 8.0]];
    let temperature = 0.5;
    let phi = stein_directions(&particles, &grads, temperature, Kernel::Identity);
    for (p, g) in phi.iter().zip(&grads) {
        for (&p, &g) in p.iter().zip(g) {
            assert_eq!(p, (f64::from(g) / (3.0 * temperature)) as f32);
        }
    }
    let (_, repulsion) = stein_terms(&particles, &grads, temperature, Kernel::Identity);
    assert!(repulsion.iter().flatten().all(|&r| r == 0.0));
}

#[test]
fn one_particle_or_coincident_particles_get_no_repulsion() {
    let grads = vec![vec![1.0f32, -1.0]];
    let phi = stein_directions(&[vec![0.3, 0.4]], &grads, 2.0, Kernel::Rbf);
    assert_eq!(phi, vec![vec![0.5, -0.5]]);
    let same = vec![vec![0.3f32, 0.4]; 3];
    let phi = stein_directions(&same, &vec![vec![1.0, -1.0]; 3], 1.0, Kernel::Rbf);
    assert!(phi.iter().all(|p| p == &vec![1.0, -1.0]), "{phi:?}");
    assert!(phi.iter().flatten().all(|x| x.is_finite()));
}
