//! Soft/hard target updates and global-norm gradient clipping.

mod common;

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Distribution, Tensor};
use cinder_nn::device::test_device;
use cinder_nn::{Activation, Mlp, MlpConfig, NnError, clip_grad_norm, hard_update, soft_update};
use common::to_f32;

fn net() -> Mlp {
    MlpConfig::new(3, vec![8, 8], 2)
        .with_activation(Activation::Relu)
        .init(&test_device())
        .unwrap()
}

struct Values(Vec<Vec<f32>>);

impl ModuleVisitor for Values {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push(to_f32(param.val()));
    }
}

fn values(m: &Mlp) -> Vec<Vec<f32>> {
    let mut v = Values(Vec::new());
    m.visit(&mut v);
    v.0
}

#[test]
fn tau_one_copies_and_tau_zero_keeps() {
    let online = net();
    let target = net(); // built separately: other weights and other parameter ids
    assert_ne!(values(&online), values(&target));
    let kept = soft_update(target.clone(), &online, 0.0).unwrap();
    assert_eq!(values(&kept), values(&target));
    let copied = soft_update(target.clone(), &online, 1.0).unwrap();
    assert_eq!(values(&copied), values(&online));
    let hard = hard_update(target, &online).unwrap();
    assert_eq!(values(&hard), values(&online));
}

#[test]
fn soft_update_interpolates_with_tau_the_online_weight() {
    let online = net();
    let target = net();
    let tau = 0.25;
    let mixed = soft_update(target.clone(), &online, tau).unwrap();
    for ((m, t), o) in values(&mixed)
        .iter()
        .zip(values(&target))
        .zip(values(&online))
    {
        for ((m, t), o) in m.iter().zip(&t).zip(&o) {
            let want = (1.0 - tau) * f64::from(*t) + tau * f64::from(*o);
            assert!((f64::from(*m) - want).abs() < 1e-6, "{m} vs {want}");
        }
    }
}

#[test]
fn soft_update_keeps_an_autodiff_target_trainable() {
    let device = test_device().autodiff();
    let online = MlpConfig::new(3, vec![4], 1).init(&device).unwrap();
    let target = MlpConfig::new(3, vec![4], 1).init(&device).unwrap();
    let target = soft_update(target, &online, 0.5).unwrap();
    let x = Tensor::<2>::random([5, 3], Distribution::Normal(0.0, 1.0), &device);
    let grads = GradientsParams::from_grads(target.forward(x).sum().backward(), &target);
    assert_eq!(
        grads.len(),
        4,
        "every weight and bias still gets a gradient"
    );
}

#[test]
fn soft_update_refuses_bad_tau_and_other_architectures() {
    let online = net();
    assert_eq!(
        soft_update(net(), &online, 1.5).err(),
        Some(NnError::InvalidTau(1.5))
    );
    assert!(soft_update(net(), &online, -0.1).is_err());
    let other = MlpConfig::new(3, vec![8], 2).init(&test_device()).unwrap();
    assert!(matches!(
        soft_update(other, &online, 0.5),
        Err(NnError::ArchitectureMismatch(_))
    ));
}

/// Gradients of a large loss, and their values on the host.
fn big_gradients(model: &Mlp) -> GradientsParams {
    let device = test_device().autodiff();
    let x = Tensor::<2>::random([16, 3], Distribution::Normal(0.0, 1.0), &device);
    let loss = model.forward(x).powi_scalar(2).sum().mul_scalar(100.0);
    GradientsParams::from_grads(loss.backward(), model)
}

struct GradValues<'a>(&'a GradientsParams, Vec<f32>);

impl ModuleVisitor for GradValues<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.1.extend(to_f32(self.0.get::<D>(param.id).unwrap()));
    }
}

fn flat_grads(model: &Mlp, grads: &GradientsParams) -> Vec<f32> {
    let mut v = GradValues(grads, Vec::new());
    model.visit(&mut v);
    v.1
}

fn norm(v: &[f32]) -> f64 {
    v.iter().map(|&g| f64::from(g).powi(2)).sum::<f64>().sqrt()
}

#[test]
fn clipping_scales_all_gradients_to_the_global_norm() {
    let model = net().fork(&test_device().autodiff()).train();
    let grads = big_gradients(&model);
    let before = flat_grads(&model, &grads);
    let total = norm(&before);
    let max_norm = 0.5;
    assert!(
        total > 10.0 * max_norm,
        "the test needs large gradients, got {total}"
    );

    let (clipped, reported) = clip_grad_norm(&model, grads, max_norm).unwrap();
    let reported = f64::from(to_f32(reported)[0]);
    assert!(
        (reported - total).abs() < 1e-4 * total,
        "{reported} vs {total}"
    );
    let after = flat_grads(&model, &clipped);
    assert!((norm(&after) - max_norm).abs() < 1e-4, "{}", norm(&after));
    // One common factor for every tensor: directions are kept.
    let scale = max_norm / (total + 1e-6);
    for (a, b) in after.iter().zip(&before) {
        assert!((f64::from(*a) - scale * f64::from(*b)).abs() < 1e-5 * (1.0 + f64::from(b.abs())));
    }
}

#[test]
fn clipping_leaves_small_gradients_alone() {
    let model = net().fork(&test_device().autodiff()).train();
    let grads = big_gradients(&model);
    let before = flat_grads(&model, &grads);
    let (clipped, _) = clip_grad_norm(&model, grads, 1e12).unwrap();
    assert_eq!(flat_grads(&model, &clipped), before);
    let grads = big_gradients(&model);
    assert_eq!(
        clip_grad_norm(&model, grads, 0.0).err(),
        Some(NnError::InvalidMaxNorm(0.0))
    );
}

#[test]
fn mlp_config_errors_instead_of_panicking() {
    let device = test_device();
    assert!(matches!(
        MlpConfig::new(0, vec![8], 2).init(&device),
        Err(NnError::InvalidConfig(_))
    ));
    assert!(MlpConfig::new(3, vec![8, 0], 2).init(&device).is_err());
    assert!(
        MlpConfig::new(3, vec![8], 2)
            .with_output_gain(f64::NAN)
            .init(&device)
            .is_err()
    );
    let linear = MlpConfig::new(3, vec![], 2).init(&device).unwrap();
    assert_eq!((linear.input_size(), linear.output_size()), (3, 2));
}
