//! Action distributions over batches, as tensors.
//!
//! Every method works on a batch: parameters are `[batch, dim]`, log-probabilities and
//! entropies `[batch]` (summed over action dimensions). All operations stay on the device and
//! are differentiable where the maths is (sampling of Gaussians uses the reparameterisation
//! trick; categorical sampling is not differentiable).

use std::f64::consts::PI;

use burn::tensor::activation::{log_softmax, softplus};
use burn::tensor::{Bool, Device, Distribution, Int, Tensor};

/// Logit given to masked actions: its probability underflows to exactly 0 in f32 while
/// `p · log p` stays finite (0), unlike with `-inf`.
const MASKED_LOGIT: f32 = -1e8;

/// A categorical distribution per row, from unnormalised logits, optionally masked.
#[derive(Debug, Clone)]
pub struct Categorical {
    log_probs: Tensor<2>,
}

impl Categorical {
    /// The distribution `softmax(logits)` of each row of `logits` (`[batch, n]`).
    pub fn new(logits: Tensor<2>) -> Self {
        Self {
            log_probs: log_softmax(logits, 1),
        }
    }

    /// The distribution restricted to the actions where `allowed` (`[batch, n]`) is true:
    /// masked actions get probability 0 and are never sampled nor chosen as the mode. Every row
    /// must allow at least one action (a row that allows none is uniform).
    pub fn masked(logits: Tensor<2>, allowed: Tensor<2, Bool>) -> Self {
        Self::new(logits.mask_fill(allowed.bool_not(), MASKED_LOGIT))
    }

    /// Normalised log-probabilities, `[batch, n]`.
    pub fn log_probs(&self) -> Tensor<2> {
        self.log_probs.clone()
    }

    /// Probabilities, `[batch, n]`.
    pub fn probs(&self) -> Tensor<2> {
        self.log_probs.clone().exp()
    }

    /// `log p(a_i)` of one action per row (`actions`: `[batch]`) → `[batch]`.
    pub fn log_prob(&self, actions: Tensor<1, Int>) -> Tensor<1> {
        let [batch, _] = self.log_probs.dims();
        self.log_probs
            .clone()
            .gather(1, actions.reshape([batch, 1]))
            .reshape([batch])
    }

    /// Entropy `−Σ p log p` of each row → `[batch]`.
    pub fn entropy(&self) -> Tensor<1> {
        let [batch, _] = self.log_probs.dims();
        (self.probs() * self.log_probs.clone())
            .sum_dim(1)
            .neg()
            .reshape([batch])
    }

    /// The most likely action of each row → `[batch]`.
    pub fn mode(&self) -> Tensor<1, Int> {
        let [batch, _] = self.log_probs.dims();
        self.log_probs.clone().argmax(1).reshape([batch])
    }

    /// One sampled action per row → `[batch]`, by the Gumbel-max trick:
    /// `argmax(log p + G)` with `G = −log(−log U)`, which never picks a masked action.
    pub fn sample(&self) -> Tensor<1, Int> {
        let [batch, n] = self.log_probs.dims();
        let device = self.log_probs.device();
        let uniform = Tensor::<2>::random([batch, n], Distribution::Uniform(0.0, 1.0), &device)
            .clamp(1e-7, 1.0 - 1e-7);
        let gumbel = uniform.log().neg().log().neg();
        (self.log_probs.clone().inner() + gumbel)
            .argmax(1)
            .reshape([batch])
    }
}

/// `ε ~ N(0, I)` of shape `dims`, drawn from the device's generator onto the plain (no
/// autodiff) side of `device`.
pub fn standard_normal(dims: [usize; 2], device: &Device) -> Tensor<2> {
    Tensor::random(
        dims,
        Distribution::Normal(0.0, 1.0),
        &device.clone().inner(),
    )
}

/// `−½ ((x − μ)/σ)² − log σ − ½ log 2π`, elementwise.
fn normal_log_density(x: Tensor<2>, mean: Tensor<2>, log_std: Tensor<2>) -> Tensor<2> {
    let z = (x - mean) / log_std.clone().exp();
    z.powi_scalar(2).mul_scalar(-0.5) - log_std - 0.5 * (2.0 * PI).ln()
}

/// Sums `[batch, dim]` over `dim` → `[batch]`.
fn sum_rows(x: Tensor<2>) -> Tensor<1> {
    let [batch, _] = x.dims();
    x.sum_dim(1).reshape([batch])
}

/// A Gaussian with diagonal covariance per row: `N(mean, diag(exp(log_std)²))`.
///
/// `log_std` may be `[1, dim]` (a state-independent parameter, broadcast over the batch) or
/// `[batch, dim]`.
#[derive(Debug, Clone)]
pub struct DiagGaussian {
    mean: Tensor<2>,
    log_std: Tensor<2>,
}

impl DiagGaussian {
    /// The distribution with the given mean (`[batch, dim]`) and log standard deviation.
    pub fn new(mean: Tensor<2>, log_std: Tensor<2>) -> Self {
        let shape = mean.dims();
        Self {
            log_std: log_std.expand(shape),
            mean,
        }
    }

    /// The mean, `[batch, dim]`.
    pub fn mean(&self) -> Tensor<2> {
        self.mean.clone()
    }

    /// The standard deviation, `[batch, dim]`.
    pub fn std(&self) -> Tensor<2> {
        self.log_std.clone().exp()
    }

    /// `log p(x)` summed over dimensions → `[batch]`.
    pub fn log_prob(&self, x: Tensor<2>) -> Tensor<1> {
        sum_rows(normal_log_density(
            x,
            self.mean.clone(),
            self.log_std.clone(),
        ))
    }

    /// Entropy `Σ (½ + ½ log 2π + log σ)` → `[batch]`.
    pub fn entropy(&self) -> Tensor<1> {
        sum_rows(self.log_std.clone().add_scalar(0.5 + 0.5 * (2.0 * PI).ln()))
    }

    /// The mode (the mean), `[batch, dim]`.
    pub fn mode(&self) -> Tensor<2> {
        self.mean.clone()
    }

    /// A reparameterised sample `μ + σ·ε`, `ε ~ N(0, I)`: differentiable in μ and σ.
    pub fn rsample(&self) -> Tensor<2> {
        self.rsample_with(standard_normal(self.mean.dims(), &self.mean.device()))
    }

    /// The reparameterised sample `μ + σ·ε` for a given `ε` (`[batch, dim]`, plain device).
    pub fn rsample_with(&self, noise: Tensor<2>) -> Tensor<2> {
        self.mean.clone() + self.std() * noise
    }

    /// A sample with no gradient, `[batch, dim]`.
    pub fn sample(&self) -> Tensor<2> {
        self.rsample().detach()
    }
}

/// `a = tanh(u)` with `u ~ N(mean, diag(σ²))`: the squashed Gaussian of SAC
/// (Haarnoja et al. 2018, appendix C).
///
/// Its log-density carries the change-of-variables correction
/// `log p(a) = log N(u) − Σ log(1 − tanh(u)²)`, computed in the overflow-free form
/// `log(1 − tanh(u)²) = 2 (log 2 − u − softplus(−2u))`.
#[derive(Debug, Clone)]
pub struct TanhGaussian {
    base: DiagGaussian,
}

/// Largest |a| that `log_prob` inverts, so `atanh` stays finite.
const TANH_BOUND: f64 = 1.0 - 1e-6;

impl TanhGaussian {
    /// The squashed distribution of `N(mean, diag(exp(log_std)²))`.
    pub fn new(mean: Tensor<2>, log_std: Tensor<2>) -> Self {
        Self {
            base: DiagGaussian::new(mean, log_std),
        }
    }

    /// `Σ log(1 − tanh(u)²)` → `[batch]`: the log-Jacobian of the squashing.
    fn log_abs_det_jacobian(u: Tensor<2>) -> Tensor<1> {
        let correction =
            (u.clone().neg().add_scalar(2f64.ln()) - softplus(u.mul_scalar(-2.0), 1.0)) * 2.0;
        sum_rows(correction)
    }

    /// A reparameterised action in `(−1, 1)` and its log-probability `[batch]`, computed from
    /// the pre-squash sample (exact, no `atanh`).
    pub fn rsample_with_log_prob(&self) -> (Tensor<2>, Tensor<1>) {
        self.rsample_with_log_prob_from(standard_normal(
            self.base.mean.dims(),
            &self.base.mean.device(),
        ))
    }

    /// [`rsample_with_log_prob`](Self::rsample_with_log_prob) for a given standard normal
    /// `ε` (`[batch, dim]`, plain device): the action is `tanh(μ + σ·ε)`.
    pub fn rsample_with_log_prob_from(&self, noise: Tensor<2>) -> (Tensor<2>, Tensor<1>) {
        let u = self.base.rsample_with(noise);
        let log_prob = self.base.log_prob(u.clone()) - Self::log_abs_det_jacobian(u.clone());
        (u.tanh(), log_prob)
    }

    /// `log p(a)` of given actions in `(−1, 1)` → `[batch]`, inverting the squash with
    /// `atanh` (actions are clamped to ±(1 − 1e-6) first).
    pub fn log_prob(&self, action: Tensor<2>) -> Tensor<1> {
        let a = action.clamp(-TANH_BOUND, TANH_BOUND);
        // atanh(a) = ½ log((1 + a) / (1 − a))
        let u = ((a.clone().add_scalar(1.0)) / (a.neg().add_scalar(1.0)))
            .log()
            .mul_scalar(0.5);
        self.base.log_prob(u.clone()) - Self::log_abs_det_jacobian(u)
    }

    /// A one-sample Monte-Carlo estimate of the entropy, `−log p(a)` with `a` sampled (the
    /// squashed Gaussian has no closed form; SAC uses exactly this estimate).
    pub fn entropy(&self) -> Tensor<1> {
        self.rsample_with_log_prob().1.neg()
    }

    /// The mode of the pre-squash Gaussian, squashed: `tanh(mean)` (the deterministic action
    /// SAC evaluates with).
    pub fn mode(&self) -> Tensor<2> {
        self.base.mode().tanh()
    }

    /// A sample with no gradient, `[batch, dim]`.
    pub fn sample(&self) -> Tensor<2> {
        self.base.sample().tanh()
    }
}
