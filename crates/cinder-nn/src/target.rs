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

use crate::error::NnError;

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
                target.mul_scalar(1.0 - tau) + trained.mul_scalar(tau)
            };
            match (autodiff, require_grad) {
                (true, true) => mixed.autodiff().require_grad(),
                (true, false) => mixed.autodiff(),
                (false, _) => mixed,
            }
        })
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
