//! The batched MLP ensemble: each member computes exactly what a plain MLP with its weights
//! computes, members are independent, and a soft target update moves every member by `tau`.

mod common;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Distribution, Tensor};
use cinder_nn::device::test_device;
use cinder_nn::{EnsembleMlp, EnsembleMlpConfig, soft_update};
use common::to_f32;

fn ensemble() -> EnsembleMlp {
    EnsembleMlpConfig::new(2, 4, vec![8, 8], 1)
        .init(&test_device())
        .unwrap()
}

struct Values(Vec<(Vec<usize>, Vec<f32>)>);

impl ModuleVisitor for Values {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0
            .push((param.val().dims().to_vec(), to_f32(param.val())));
    }
}

fn values(m: &EnsembleMlp) -> Vec<(Vec<usize>, Vec<f32>)> {
    let mut v = Values(Vec::new());
    m.visit(&mut v);
    v.0
}

/// Member `k` of layer `(shape, values)` as a row-major `[in][out]` (or `[1][out]`) matrix.
fn member(layer: &(Vec<usize>, Vec<f32>), k: usize) -> Vec<Vec<f32>> {
    let (rows, cols) = (layer.0[1], layer.0[2]);
    (0..rows)
        .map(|r| layer.1[(k * rows + r) * cols..(k * rows + r + 1) * cols].to_vec())
        .collect()
}

#[test]
fn each_member_is_the_mlp_of_its_own_weights() {
    let net = ensemble();
    assert_eq!(net.members(), 2);
    let device = test_device();
    let x = Tensor::<2>::random([5, 4], Distribution::Normal(0.0, 1.0), &device);
    let input = to_f32(x.clone());
    let out = to_f32(net.forward_shared(x));
    assert_eq!(out.len(), 2 * 5);
    let layers = values(&net);
    // Parameters are visited weights first, then biases.
    let (weights, biases) = layers.split_at(3);
    for k in 0..2 {
        for row in 0..5 {
            let mut h: Vec<f32> = input[row * 4..row * 4 + 4].to_vec();
            for (l, (w, b)) in weights.iter().zip(biases).enumerate() {
                let (w, b) = (member(w, k), member(b, k));
                let mut next: Vec<f32> = b[0].clone();
                for (i, hi) in h.iter().enumerate() {
                    for (j, n) in next.iter_mut().enumerate() {
                        *n += hi * w[i][j];
                    }
                }
                if l < 2 {
                    next.iter_mut().for_each(|v| *v = v.max(0.0));
                }
                h = next;
            }
            let got = out[k * 5 + row];
            assert!(
                (got - h[0]).abs() < 1e-4,
                "member {k} row {row}: {got} vs {}",
                h[0]
            );
        }
    }
    // Independent initialisation: the two members differ.
    assert_ne!(member(&weights[0], 0), member(&weights[0], 1));
}

#[test]
fn soft_update_moves_every_member_by_tau() {
    let online = ensemble();
    let target = ensemble();
    let tau = 0.25;
    let updated = soft_update(target.clone(), &online, tau).unwrap();
    for ((t, o), u) in values(&target)
        .iter()
        .zip(values(&online))
        .zip(values(&updated))
    {
        for ((t, o), u) in t.1.iter().zip(&o.1).zip(&u.1) {
            let expected = (1.0 - tau as f32) * t + tau as f32 * o;
            assert!((u - expected).abs() < 1e-6, "{u} vs {expected}");
        }
    }
    assert!(soft_update(target, &online, 1.5).is_err());
}
