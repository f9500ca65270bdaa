//! Distributions against closed forms, on the device of the test matrix.

mod common;

use std::f64::consts::PI;

use burn::tensor::{Bool, Int, Tensor, TensorData};
use cinder_nn::device::test_device;
use cinder_nn::{Categorical, DiagGaussian, TanhGaussian};
use common::{assert_close, to_f32, to_i64};

fn softmax(logits: &[f64]) -> Vec<f64> {
    let max = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let z: f64 = logits.iter().map(|l| (l - max).exp()).sum();
    logits.iter().map(|l| (l - max).exp() / z).collect()
}

fn matrix(rows: &[&[f32]]) -> Tensor<2> {
    let cols = rows[0].len();
    let flat: Vec<f32> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Tensor::from_data(TensorData::new(flat, [rows.len(), cols]), &test_device())
}

#[test]
fn categorical_log_prob_and_entropy_match_closed_form() {
    let rows: [&[f32]; 3] = [&[1.0, 2.0, 3.0], &[0.0, 0.0, 0.0], &[-5.0, 4.0, 0.5]];
    let dist = Categorical::new(matrix(&rows));
    let actions =
        Tensor::<1, Int>::from_data(TensorData::new(vec![2i64, 0, 1], [3]), &test_device());
    let mut want_log_prob = Vec::new();
    let mut want_entropy = Vec::new();
    for (row, action) in rows.iter().zip([2, 0, 1]) {
        let p = softmax(&row.iter().map(|&v| f64::from(v)).collect::<Vec<_>>());
        want_log_prob.push(p[action].ln());
        want_entropy.push(-p.iter().map(|q| q * q.ln()).sum::<f64>());
    }
    assert_close(
        "log_prob",
        &to_f32(dist.log_prob(actions)),
        &want_log_prob,
        1e-5,
    );
    assert_close("entropy", &to_f32(dist.entropy()), &want_entropy, 1e-5);
    assert_eq!(to_i64(dist.mode()), vec![2, 0, 1]);
    // Uniform over 3: entropy ln 3.
    assert!((want_entropy[1] - 3f64.ln()).abs() < 1e-12);
}

#[test]
fn categorical_samples_follow_the_probabilities() {
    let n = 20_000;
    let logits: Vec<f32> = (0..n).flat_map(|_| [0.0, 2f32.ln(), 3f32.ln()]).collect();
    let dist = Categorical::new(Tensor::from_data(
        TensorData::new(logits, [n, 3]),
        &test_device(),
    ));
    let samples = to_i64(dist.sample());
    for (k, p) in [1.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0].into_iter().enumerate() {
        let freq = samples.iter().filter(|&&s| s == k as i64).count() as f64 / n as f64;
        // 5 standard deviations of a binomial frequency.
        let sd = (p * (1.0 - p) / n as f64).sqrt();
        assert!((freq - p).abs() < 5.0 * sd, "action {k}: {freq} vs {p}");
    }
}

#[test]
fn masked_actions_get_probability_zero() {
    let device = test_device();
    let n = 4000;
    let logits: Vec<f32> = (0..n).flat_map(|_| [1.0, 2.0, 3.0, 4.0]).collect();
    let allowed: Vec<bool> = (0..n).flat_map(|_| [true, false, true, false]).collect();
    let dist = Categorical::masked(
        Tensor::from_data(TensorData::new(logits, [n, 4]), &device),
        Tensor::<2, Bool>::from_data(TensorData::new(allowed, [n, 4]), &device),
    );
    let p = softmax(&[1.0, 3.0]);
    let probs = to_f32(dist.probs());
    assert_eq!(probs[1], 0.0);
    assert_eq!(probs[3], 0.0);
    assert_close("probs", &probs[..4], &[p[0], 0.0, p[1], 0.0], 1e-6);
    let entropy = to_f32(dist.entropy());
    assert_close(
        "entropy",
        &entropy[..1],
        &[-(p[0] * p[0].ln() + p[1] * p[1].ln())],
        1e-5,
    );
    assert!(entropy.iter().all(|e| e.is_finite()));
    // The largest logit (action 3) is masked: the mode is action 2.
    assert!(to_i64(dist.mode()).iter().all(|&m| m == 2));
    let samples = to_i64(dist.sample());
    assert!(
        samples.iter().all(|&s| s == 0 || s == 2),
        "a masked action was sampled"
    );
    let freq0 = samples.iter().filter(|&&s| s == 0).count() as f64 / n as f64;
    assert!((freq0 - p[0]).abs() < 5.0 * (p[0] * (1.0 - p[0]) / n as f64).sqrt());
}

fn normal_log_density(x: f64, mean: f64, std: f64) -> f64 {
    -0.5 * ((x - mean) / std).powi(2) - std.ln() - 0.5 * (2.0 * PI).ln()
}

#[test]
fn diag_gaussian_log_prob_and_entropy_match_closed_form() {
    let mean = [[0.0f32, 1.0], [-2.0, 0.5]];
    let log_std = [-0.5f32, 0.3];
    let x = [[0.3f32, -1.0], [-2.0, 2.5]];
    let dist = DiagGaussian::new(matrix(&[&mean[0], &mean[1]]), matrix(&[&log_std]));
    let mut want_log_prob = Vec::new();
    for (m, xv) in mean.iter().zip(&x) {
        want_log_prob.push(
            (0..2)
                .map(|j| {
                    normal_log_density(
                        f64::from(xv[j]),
                        f64::from(m[j]),
                        f64::from(log_std[j]).exp(),
                    )
                })
                .sum::<f64>(),
        );
    }
    let entropy: f64 = log_std
        .iter()
        .map(|&l| 0.5 + 0.5 * (2.0 * PI).ln() + f64::from(l))
        .sum();
    assert_close(
        "log_prob",
        &to_f32(dist.log_prob(matrix(&[&x[0], &x[1]]))),
        &want_log_prob,
        1e-5,
    );
    assert_close(
        "entropy",
        &to_f32(dist.entropy()),
        &[entropy, entropy],
        1e-5,
    );
    assert_close("mode", &to_f32(dist.mode()), &[0.0, 1.0, -2.0, 0.5], 0.0);
}

#[test]
fn diag_gaussian_samples_have_the_right_moments() {
    let n = 20_000;
    let mean: Vec<f32> = (0..n).flat_map(|_| [1.5f32, -3.0]).collect();
    let device = test_device();
    let dist = DiagGaussian::new(
        Tensor::from_data(TensorData::new(mean, [n, 2]), &device),
        matrix(&[&[0.0, 2f32.ln()]]),
    );
    let samples = to_f32(dist.sample());
    for (j, (mu, sd)) in [(1.5, 1.0), (-3.0, 2.0)].into_iter().enumerate() {
        let xs: Vec<f64> = samples
            .iter()
            .skip(j)
            .step_by(2)
            .map(|&v| f64::from(v))
            .collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let s = (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n as f64).sqrt();
        assert!(
            (m - mu).abs() < 5.0 * sd / (n as f64).sqrt(),
            "mean {m} vs {mu}"
        );
        assert!((s - sd).abs() < 0.03 * sd, "std {s} vs {sd}");
    }
}

#[test]
fn diag_gaussian_log_prob_gradient_is_the_score() {
    let device = test_device().autodiff();
    let mean =
        Tensor::<2>::from_data(TensorData::new(vec![0.2f32, -0.4], [1, 2]), &device).require_grad();
    let log_std = Tensor::<2>::from_data(TensorData::new(vec![0.1f32, -0.2], [1, 2]), &device);
    let x = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 0.0], [1, 2]), &device);
    let loss = DiagGaussian::new(mean.clone(), log_std).log_prob(x).sum();
    let grads = loss.backward();
    let grad = to_f32(mean.grad(&grads).unwrap());
    // d/dμ log N(x; μ, σ) = (x − μ) / σ².
    let want: Vec<f64> = [(1.0, 0.2, 0.1), (0.0, -0.4, -0.2)]
        .iter()
        .map(|&(x, m, l): &(f64, f64, f64)| (x - m) / (2.0 * l).exp())
        .collect();
    assert_close("score", &grad, &want, 1e-5);
}

#[test]
fn tanh_gaussian_log_prob_has_the_jacobian_correction() {
    let (mu, log_std) = (0.3f32, (0.8f32).ln());
    let actions = [-0.95f32, -0.5, 0.0, 0.2, 0.7, 0.99];
    let n = actions.len();
    let device = test_device();
    let dist = TanhGaussian::new(
        Tensor::from_data(TensorData::new(vec![mu; n], [n, 1]), &device),
        Tensor::from_data(TensorData::new(vec![log_std], [1, 1]), &device),
    );
    let got = to_f32(dist.log_prob(Tensor::from_data(
        TensorData::new(actions.to_vec(), [n, 1]),
        &device,
    )));
    let want: Vec<f64> = actions
        .iter()
        .map(|&a| {
            let a = f64::from(a);
            normal_log_density(a.atanh(), f64::from(mu), 0.8) - (1.0 - a * a).ln()
        })
        .collect();
    assert_close("log_prob", &got, &want, 2e-4);
}

/// The corrected density integrates to one over (−1, 1); without the correction it would not.
#[test]
fn tanh_gaussian_density_integrates_to_one() {
    let n = 4000;
    let device = test_device();
    let grid: Vec<f32> = (0..n)
        .map(|i| -1.0 + (i as f32 + 0.5) * 2.0 / n as f32)
        .collect();
    let dist = TanhGaussian::new(
        Tensor::from_data(TensorData::new(vec![0.5f32; n], [n, 1]), &device),
        Tensor::from_data(TensorData::new(vec![(0.7f32).ln()], [1, 1]), &device),
    );
    let log_p = to_f32(dist.log_prob(Tensor::from_data(TensorData::new(grid, [n, 1]), &device)));
    let integral: f64 = log_p
        .iter()
        .map(|&l| f64::from(l).exp() * 2.0 / n as f64)
        .sum();
    assert!((integral - 1.0).abs() < 5e-3, "integral {integral}");
}

#[test]
fn tanh_gaussian_samples_are_bounded_and_their_log_probs_agree() {
    let n = 1000;
    let device = test_device();
    let dist = TanhGaussian::new(
        Tensor::from_data(TensorData::new(vec![0.1f32; 2 * n], [n, 2]), &device),
        Tensor::from_data(TensorData::new(vec![-0.5f32, 0.0], [1, 2]), &device),
    );
    let (actions, log_prob) = dist.rsample_with_log_prob();
    let values = to_f32(actions.clone());
    assert!(values.iter().all(|a| a.abs() < 1.0));
    let direct = to_f32(dist.log_prob(actions));
    let from_sample = to_f32(log_prob);
    for (i, (d, s)) in direct.iter().zip(&from_sample).enumerate() {
        let saturated = values[2 * i].abs() > 0.999 || values[2 * i + 1].abs() > 0.999;
        if !saturated {
            assert!((d - s).abs() < 2e-3, "{i}: {d} vs {s}");
        }
    }
    assert_close(
        "mode",
        &to_f32(dist.mode())[..2],
        &[0.1f64.tanh(), 0.1f64.tanh()],
        1e-6,
    );
}

/// A given noise `ε` gives `tanh(μ + σ ε)` and the log-probability of that action (SAC draws
/// the noise of a whole minibatch before splitting it into halves).
#[test]
fn tanh_gaussian_sample_from_given_noise() {
    let device = test_device();
    let (mu, log_std) = ([0.2f32, -0.4], [(0.5f32).ln(), (1.5f32).ln()]);
    let dist = TanhGaussian::new(
        Tensor::from_data(
            TensorData::new(vec![mu[0], mu[1], mu[0], mu[1]], [2, 2]),
            &device,
        ),
        Tensor::from_data(TensorData::new(log_std.to_vec(), [1, 2]), &device),
    );
    let noise = [1.0f32, -2.0, 0.0, 0.5];
    let (actions, log_prob) = dist.rsample_with_log_prob_from(Tensor::from_data(
        TensorData::new(noise.to_vec(), [2, 2]),
        &device,
    ));
    let stds = [0.5f64, 1.5];
    let want: Vec<f64> = noise
        .iter()
        .enumerate()
        .map(|(i, &e)| (f64::from(mu[i % 2]) + stds[i % 2] * f64::from(e)).tanh())
        .collect();
    assert_close("actions", &to_f32(actions.clone()), &want, 1e-5);
    let direct: Vec<f64> = to_f32(dist.log_prob(actions))
        .into_iter()
        .map(f64::from)
        .collect();
    assert_close("log_prob", &to_f32(log_prob), &direct, 1e-3);
}
