//! Target networks: soft (Polyak) and hard updates.
//!
//! One convention everywhere in Cinder: `tau` is the weight of the **trained** network,
//! `θ_target ← (1 − τ) θ_target + τ θ_trained` (Lillicrap et al. 2016; Tianshou and SB3 use
//! τ = 0.005). Pyrado's `tau = 0.995` is the weight of the target, i.e. `1 − τ` here.
//!
//! Parameters are paired by their order in the module tree, so the target may be any module of
//! the same architecture (a `valid()` copy, a clone, or a separately built one), on the same or
//! another device, with or without autodiff.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::Tensor;

#[cfg(feature = "flex")]
use burn::tensor::DType;
#[cfg(feature = "flex")]
use pulp::{Arch, Simd, WithSimd};

#[cfg(feature = "flex")]
use crate::device::is_flex;
use crate::error::NnError;
#[cfg(feature = "flex")]
use crate::host::HostValues;

/// Collects every float parameter, flattened and without autodiff, in visiting order.
struct Flatten {
    params: Vec<(Vec<usize>, Tensor<1>)>,
}

impl ModuleVisitor for Flatten {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val().inner();
        let shape = value.dims().to_vec();
        let n: usize = shape.iter().product();
        self.params.push((shape, value.reshape([n])));
    }
}

fn flatten<M: Module>(module: &M) -> Vec<(Vec<usize>, Tensor<1>)> {
    let mut visitor = Flatten { params: Vec::new() };
    module.visit(&mut visitor);
    visitor.params
}

/// Replaces each target parameter `t` by `(1 − tau)·t + tau·o` with its trained twin `o`.
struct Interpolate {
    trained: std::vec::IntoIter<(Vec<usize>, Tensor<1>)>,
    tau: f64,
}

impl ModuleMapper for Interpolate {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (_, trained) = self
            .trained
            .next()
            .expect("architectures were checked to match before mapping");
        let tau = self.tau;
        param.map(|target| {
            let autodiff = target.is_autodiff();
            let require_grad = target.is_require_grad();
            let target = target.inner();
            let trained = trained.to_device(&target.device()).reshape(target.dims());
            let mixed = if tau == 1.0 {
                trained
            } else {
                interpolate(target, trained, tau)
            };
            match (autodiff, require_grad) {
                (true, true) => mixed.autodiff().require_grad(),
                (true, false) => mixed.autodiff(),
                (false, _) => mixed,
            }
        })
    }
}

/// `(1 − tau)·target + tau·trained`: burn's ops, or for f32 on flex one pass over the target's
/// values in place ([`HostValues`]) that rounds as those ops do (each product, then the sum).
fn interpolate<const D: usize>(target: Tensor<D>, trained: Tensor<D>, tau: f64) -> Tensor<D> {
    #[cfg(feature = "flex")]
    if is_flex(&target.device()) && target.dtype() == DType::F32 {
        let mut values = HostValues::new(target);
        let trained = HostValues::new(trained);
        Arch::new().dispatch(InterpolatePass {
            target: values.get_mut(),
            trained: trained.get(),
            keep: (1.0 - tau) as f32,
            tau: tau as f32,
        });
        return values.into_tensor();
    }
    target.mul_scalar(1.0 - tau) + trained.mul_scalar(tau)
}

/// `target ← keep·target + tau·trained`, element by element.
#[cfg(feature = "flex")]
struct InterpolatePass<'a> {
    target: &'a mut [f32],
    trained: &'a [f32],
    keep: f32,
    tau: f32,
}

#[cfg(feature = "flex")]
impl WithSimd for InterpolatePass<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        for (t, &o) in self.target.iter_mut().zip(self.trained) {
            *t = *t * self.keep + o * self.tau;
        }
    }
}

/// Polyak-averages `trained` into `target`: `θ_t ← (1 − tau) θ_t + tau θ_o`, `tau ∈ [0, 1]`.
///
/// `tau = 1` copies the trained weights, `tau = 0` keeps the target. Errors if `tau` is out of
/// range or the two networks do not have the same parameter shapes in the same order.
pub fn soft_update<M: Module>(target: M, trained: &M, tau: f64) -> Result<M, NnError> {
    if !(0.0..=1.0).contains(&tau) {
        return Err(NnError::InvalidTau(tau));
    }
    let trained = flatten(trained);
    let target_shapes: Vec<Vec<usize>> = flatten(&target).into_iter().map(|(s, _)| s).collect();
    let trained_shapes: Vec<&Vec<usize>> = trained.iter().map(|(s, _)| s).collect();
    if target_shapes.iter().collect::<Vec<_>>() != trained_shapes {
        return Err(NnError::ArchitectureMismatch(format!(
            "target parameter shapes {target_shapes:?}, trained {trained_shapes:?}"
        )));
    }
    if tau == 0.0 {
        return Ok(target);
    }
    Ok(target.map(&mut Interpolate {
        trained: trained.into_iter(),
        tau,
    }))
}

/// Copies the trained weights into `target` (a soft update with `tau = 1`), keeping the
/// target's device and autodiff setting.
pub fn hard_update<M: Module>(target: M, trained: &M) -> Result<M, NnError> {
    soft_update(target, trained, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::test_device;
    use burn::tensor::TensorData;

    fn values(tensor: &Tensor<2>) -> Vec<f32> {
        tensor.to_data().try_to_vec::<f32>().expect("f32 values")
    }

    /// The interpolation gives the bits of burn's two scaled terms and their sum (one pass on
    /// flex, burn's ops elsewhere), and leaves a target tensor another handle shares unchanged.
    #[test]
    fn interpolation_rounds_as_burns_ops_and_keeps_shared_values() {
        let device = test_device();
        let (rows, cols) = (37, 53);
        let wave = |phase: f32| -> Tensor<2> {
            let v: Vec<f32> = (0..rows * cols)
                .map(|i| ((i as f32 * 0.731 + phase).sin() * 3.7).powi(3))
                .collect();
            Tensor::from_data(TensorData::new(v, [rows, cols]), &device)
        };
        let (target, trained) = (wave(0.3), wave(1.9));
        let kept = values(&target);
        for tau in [0.005, 0.3, 0.995] {
            let want = target.clone().mul_scalar(1.0 - tau) + trained.clone().mul_scalar(tau);
            let got = interpolate(target.clone(), trained.clone(), tau);
            assert_eq!(values(&got), values(&want), "tau {tau}");
            assert_ne!(values(&got), kept, "tau {tau}: nothing moved");
        }
        assert_eq!(values(&target), kept);
    }
}
