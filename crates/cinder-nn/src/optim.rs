//! Adam (Kingma & Ba 2015) with the settings of the reference libraries, in one pass per
//! parameter on the CPU.
//!
//! burn's Adam spends about a dozen tensor operations on each parameter per step (each one a
//! full pass over memory and an allocation). On flex, [`FusedAdam`] updates a parameter and both
//! moments in one vectorised loop over their values where they lie (no copy unless another
//! tensor shares the parameter: see `host.rs`); other devices use burn's Adam. Both evaluate the same expressions in the same order, in f32:
//!
//! ```text
//! m ← β₁·m + (1 − β₁)·g          v ← β₂·v + (1 − β₂)·g²          t ← t + 1
//! θ ← θ − lr · m·c / (√v + ε·√(1 − β₂ᵗ)),   c = √(1 − β₂ᵗ) / (1 − β₁ᵗ)
//! ```
//!
//! (PyTorch's `m̂ / (√v̂ + ε)` with the bias corrections folded in), so a step gives the same
//! bits as burn's. The state is burn's [`AdamState`]: snapshots are burn's Adam records.
//!
//! [`rmsprop`] is burn's RMSprop with PyTorch's defaults (Hinton's RMSprop, no momentum).

use burn::optim::{AdamConfig, AdamState, ModuleOptimizer, Optimizer, RmsPropConfig};
use burn::tensor::{Device, Tensor};
#[cfg(feature = "flex")]
use burn::{optim::AdaptiveMomentumState, tensor::DType};
#[cfg(feature = "flex")]
use pulp::{Arch, Simd, WithSimd};

#[cfg(feature = "flex")]
use crate::device::is_flex;
#[cfg(feature = "flex")]
use crate::host::HostValues;

/// Adam with PyTorch's ε = 1e-8 (burn's default is 1e-5), as Tianshou's examples and SB3's
/// off-policy algorithms use it. Pyrado passes ε = 1e-5 to every optimiser it makes (PPO,
/// PPO2, GAE, SAC; A2C's RMSprop), and so do SB3's on-policy policies (docs/seeds.md).
pub fn adam() -> ModuleOptimizer {
    ModuleOptimizer::from(FusedAdam::new(0.9, 0.999, 1e-8))
}

/// RMSprop as PyTorch's `torch.optim.RMSprop(params, lr, eps=epsilon)`: α = 0.99, no momentum,
/// not centred. SB3's and Pyrado's A2C pass ε = 1e-5; Pyrado's DQL keeps PyTorch's 1e-8.
pub fn rmsprop(epsilon: f32) -> ModuleOptimizer {
    RmsPropConfig::new()
        .with_alpha(0.99)
        .with_epsilon(epsilon)
        .with_momentum(0.0)
        .init()
}

/// Adam whose step on flex is one host pass per parameter (see the module documentation).
#[derive(Clone)]
#[cfg_attr(not(feature = "flex"), allow(dead_code))] // the constants are read by that pass only
pub struct FusedAdam {
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    /// burn's Adam with the same constants, for devices other than flex.
    other_devices: burn::optim::Adam,
}

impl FusedAdam {
    /// Adam with decay rates `beta_1`, `beta_2` and denominator constant `epsilon`.
    pub fn new(beta_1: f32, beta_2: f32, epsilon: f32) -> Self {
        Self {
            beta_1,
            beta_2,
            epsilon,
            other_devices: AdamConfig::new()
                .with_beta_1(beta_1)
                .with_beta_2(beta_2)
                .with_epsilon(epsilon)
                .build(),
        }
    }
}

#[cfg(feature = "flex")]
impl FusedAdam {
    /// The step on flex: one pass over the parameter, its gradient and both moments, where they
    /// lie ([`HostValues`]).
    fn host_step<const D: usize>(
        &self,
        lr: f64,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<AdamState<D>>,
    ) -> (Tensor<D>, Option<AdamState<D>>) {
        let device = tensor.device();
        let values = |t: Tensor<D>| HostValues::new(t.to_device(&device));
        let (time, mut moment_1, mut moment_2) = match state {
            Some(state) => {
                let momentum = state.momentum;
                (
                    momentum.time + 1,
                    values(momentum.moment_1),
                    values(momentum.moment_2),
                )
            }
            // burn's first step starts from m = v = 0, which the same formulas give.
            None => (
                1,
                values(Tensor::zeros(tensor.shape(), &device)),
                values(Tensor::zeros(tensor.shape(), &device)),
            ),
        };
        let mut param = HostValues::new(tensor);
        let grad = values(grad);
        // burn's Adam would fail the same way, on its first tensor op with the moments.
        let len = param.get().len();
        assert!(
            moment_1.get().len() == len && moment_2.get().len() == len,
            "Adam state of {} values for a parameter of {len}: a state saved for another network",
            moment_1.get().len(),
        );
        let power = i32::try_from(time).unwrap_or(i32::MAX);
        let bias_correction_2 = (1.0 - self.beta_2.powi(power)).sqrt();
        Arch::new().dispatch(AdamPass {
            param: param.get_mut(),
            grad: grad.get(),
            moment_1: moment_1.get_mut(),
            moment_2: moment_2.get_mut(),
            beta_1: self.beta_1,
            beta_2: self.beta_2,
            factor: bias_correction_2 / (1.0 - self.beta_1.powi(power)),
            epsilon: self.epsilon * bias_correction_2,
            lr: lr as f32,
        });
        let momentum =
            AdaptiveMomentumState::new(time, moment_1.into_tensor(), moment_2.into_tensor());
        (param.into_tensor(), Some(AdamState::new(momentum)))
    }
}

impl Optimizer for FusedAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: f64,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<AdamState<D>>,
    ) -> (Tensor<D>, Option<AdamState<D>>) {
        #[cfg(feature = "flex")]
        if is_flex(&tensor.device()) && tensor.dtype() == DType::F32 {
            return self.host_step(lr, tensor, grad, state);
        }
        self.other_devices.step(lr, tensor, grad, state)
    }

    fn to_device<const D: usize>(mut state: AdamState<D>, device: &Device) -> AdamState<D> {
        state.momentum = state.momentum.to_device(device);
        state
    }
}

/// The update of one parameter tensor, element by element.
#[cfg(feature = "flex")]
struct AdamPass<'a> {
    param: &'a mut [f32],
    grad: &'a [f32],
    moment_1: &'a mut [f32],
    moment_2: &'a mut [f32],
    beta_1: f32,
    beta_2: f32,
    /// `√(1 − β₂ᵗ) / (1 − β₁ᵗ)`.
    factor: f32,
    /// `ε·√(1 − β₂ᵗ)`.
    epsilon: f32,
    lr: f32,
}

#[cfg(feature = "flex")]
impl WithSimd for AdamPass<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        let (keep_1, keep_2) = (self.beta_1, self.beta_2);
        let (new_1, new_2) = (1.0 - keep_1, 1.0 - keep_2);
        let elements = self
            .param
            .iter_mut()
            .zip(self.grad)
            .zip(self.moment_1.iter_mut().zip(self.moment_2.iter_mut()));
        for ((p, &g), (m, v)) in elements {
            *m = *m * keep_1 + g * new_1;
            *v = *v * keep_2 + g * g * new_2;
            let step = *m * self.factor / (v.sqrt() + self.epsilon);
            *p -= step * self.lr;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{is_flex, test_device};
    use burn::module::{Module, Param};
    use burn::optim::GradientsParams;
    use burn::tensor::TensorData;
    use std::ops::Range;

    /// A module with a rank-1 and a rank-2 parameter.
    #[derive(Module, Debug)]
    struct Pair {
        vector: Param<Tensor<1>>,
        matrix: Param<Tensor<2>>,
    }

    fn values(n: usize, seed: f32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as f32 * 0.37 + seed).sin() * 3.0).powi(3))
            .collect()
    }

    fn start(device: &Device) -> Pair {
        let device = device.clone().autodiff();
        Pair {
            vector: Param::from_data(TensorData::new(values(7, 0.1), [7]), &device),
            matrix: Param::from_data(TensorData::new(values(12, 0.2), [3, 4]), &device),
        }
    }

    fn flat(pair: &Pair) -> Vec<f32> {
        let mut flat = pair.vector.val().into_data().try_into_vec::<f32>().unwrap();
        flat.extend(pair.matrix.val().into_data().try_into_vec::<f32>().unwrap());
        flat
    }

    /// `steps` of `optim` on `pair`, with gradients of varied magnitude (one zero per tensor)
    /// and a learning rate that changes each step: the module after them, and its parameters
    /// after each step.
    fn run(
        optim: &mut ModuleOptimizer,
        mut pair: Pair,
        steps: Range<usize>,
    ) -> (Pair, Vec<Vec<f32>>) {
        let device = pair.vector.val().device();
        let trajectory = steps
            .map(|step| {
                let weights = |n: usize, shape: Vec<usize>| {
                    let mut w = values(n, step as f32);
                    w[step] = 0.0;
                    TensorData::new(w, shape)
                };
                let vector_weights = Tensor::<1>::from_data(weights(7, vec![7]), &device);
                let matrix_weights = Tensor::<2>::from_data(weights(12, vec![3, 4]), &device);
                let loss = (pair.vector.val() * vector_weights).sum()
                    + (pair.matrix.val().powi_scalar(2) * matrix_weights).sum();
                let grads = GradientsParams::from_grads(loss.backward(), &pair);
                pair = optim.step(1e-2 * (step + 1) as f64, pair.clone(), grads);
                flat(&pair)
            })
            .collect();
        (pair, trajectory)
    }

    /// PyTorch's RMSprop step by hand, in f64: `v ← α·v + (1 − α)·g²`,
    /// `θ ← θ − lr · g / (√v + ε)`, on [`run`]'s gradients.
    #[test]
    fn rmsprop_is_pytorchs_formula() {
        let device = test_device();
        let (epsilon, steps) = (1e-8, 0..3);
        let (_, trajectory) = run(&mut rmsprop(epsilon as f32), start(&device), steps.clone());
        let mut theta: Vec<f64> = values(7, 0.1)
            .into_iter()
            .chain(values(12, 0.2))
            .map(f64::from)
            .collect();
        let mut v = vec![0.0f64; theta.len()];
        for (step, after) in steps.zip(&trajectory) {
            let mut w: Vec<f64> = Vec::new();
            for n in [7, 12] {
                let mut part = values(n, step as f32);
                part[step] = 0.0;
                w.extend(part.into_iter().map(f64::from));
            }
            let lr = 1e-2 * (step + 1) as f64;
            for i in 0..theta.len() {
                let g = if i < 7 { w[i] } else { 2.0 * theta[i] * w[i] };
                v[i] = 0.99 * v[i] + 0.01 * g * g;
                theta[i] -= lr * g / (v[i].sqrt() + epsilon);
            }
            for (i, (&ours, &exact)) in after.iter().zip(&theta).enumerate() {
                let tolerance = 1e-4 * (1.0 + exact.abs());
                assert!(
                    (f64::from(ours) - exact).abs() <= tolerance,
                    "step {step}, value {i}: {ours} vs {exact}"
                );
            }
        }
    }

    fn burns_adam() -> ModuleOptimizer {
        AdamConfig::new().with_epsilon(1e-8).init()
    }

    /// Equal bits on flex (same expressions in the same order); within rounding elsewhere
    /// (burn's Adam runs there too, but as a separate object).
    fn assert_same(ours: &[Vec<f32>], theirs: &[Vec<f32>]) {
        assert_eq!(ours.len(), theirs.len());
        for (step, (a, b)) in ours.iter().zip(theirs).enumerate() {
            if is_flex(&test_device()) {
                assert_eq!(
                    a, b,
                    "step {step}: not bit-identical to burn's Adam on flex"
                );
            }
            for (x, y) in a.iter().zip(b) {
                assert!(
                    (x - y).abs() <= 1e-6 * y.abs().max(1.0),
                    "step {step}: {x} vs {y}"
                );
            }
        }
    }

    #[test]
    fn steps_equal_burns_adam() {
        let device = test_device();
        let (_, ours) = run(&mut adam(), start(&device), 0..5);
        let (_, theirs) = run(&mut burns_adam(), start(&device), 0..5);
        assert_same(&ours, &theirs);
        // The parameters moved: a step is not a no-op.
        assert_ne!(ours[0], ours[4]);
    }

    /// With m = v = 0 and t = 1 the update is `lr·g/(|g| + ε)`: `lr·sign(g)` for |g| ≫ ε, 0 for
    /// g = 0.
    #[test]
    fn first_step_moves_each_parameter_by_lr_against_its_gradient() {
        let device = test_device().autodiff();
        let pair = Pair {
            vector: Param::from_data(TensorData::new(vec![1.0f32, -2.0, 0.5, 3.0], [4]), &device),
            matrix: Param::from_data(TensorData::new(vec![0.0f32; 4], [2, 2]), &device),
        };
        let slopes = TensorData::new(vec![4.0f32, -0.25, 0.0, 1e3], [4]);
        let loss = (pair.vector.val() * Tensor::from_data(slopes, &device)).sum()
            + pair.matrix.val().sum();
        let grads = GradientsParams::from_grads(loss.backward(), &pair);
        let pair = adam().step(0.1, pair, grads);
        let got = flat(&pair);
        let want = [0.9f32, -1.9, 0.5, 2.9, -0.1, -0.1, -0.1, -0.1];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{got:?} vs {want:?}");
        }
    }

    /// The step writes the parameters where they lie only when nothing else holds them: a
    /// module that shares them (here the clone the step started from) keeps its values.
    #[test]
    fn a_step_leaves_a_module_sharing_the_parameters_alone() {
        let device = test_device();
        let before = start(&device);
        let kept = flat(&before);
        let (after, _) = run(&mut adam(), before.clone(), 0..3);
        assert_eq!(flat(&before), kept);
        assert_ne!(flat(&after), kept);
    }

    /// A state saved after two steps (by ours or by burn's Adam: the record format is the
    /// same) and loaded into a fresh optimiser continues exactly as the uninterrupted run.
    #[test]
    fn saved_state_resumes_the_run() {
        let device = test_device();
        let (_, whole) = run(&mut adam(), start(&device), 0..5);
        for mut before in [adam(), burns_adam()] {
            let (pair, mut resumed) = run(&mut before, start(&device), 0..2);
            let bytes = before.into_bytes().expect("state serialises");
            let mut after = adam().from_bytes(bytes).expect("state loads");
            resumed.extend(run(&mut after, pair, 2..5).1);
            assert_same(&resumed, &whole);
        }
    }
}
