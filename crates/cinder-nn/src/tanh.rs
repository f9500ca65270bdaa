//! `tanh` in one vectorised pass on the CPU.
//!
//! burn-flex evaluates `tanh` (and `exp`, hence `sigmoid`) one element at a time through libm:
//! in a PPO CartPole run with 64-64 tanh networks that was 45% of the wall time under `perf`.
//! On flex, [`tanh`] reads the values where they lie (no copy), evaluates a rational
//! approximation with AVX2/AVX-512 and FMA where the CPU has them (pulp's run-time dispatch;
//! scalar code elsewhere), and builds the result so that autodiff sees the right derivative:
//!
//! ```text
//! y = tanh(x)            (host, no graph)
//! g = 1 − y²             (the derivative, host)
//! out = x·g + (y − x·g)  (two recorded ops: d out / d x = g)
//! ```
//!
//! `out` equals `y` up to one rounding of `x·g` (|x·g| ≤ 0.45, so ≤ 3e-8). Other backends use
//! burn's own `tanh`.

#[cfg(feature = "flex")]
use burn::tensor::{DType, TensorData};
use burn::tensor::{Tensor, activation};
#[cfg(feature = "flex")]
use pulp::{Arch, Simd, WithSimd};

#[cfg(feature = "flex")]
use crate::device::is_flex;
#[cfg(feature = "flex")]
use crate::host::HostValues;

/// Largest |x| the approximation takes; tanh(±7.90531110763549805) rounds to ±1 in f32.
const CLAMP: f32 = 7.905_311;

/// Below this |x|, tanh(x) = x in f32.
const TINY: f32 = 0.000_4;

/// Odd numerator coefficients (x¹ … x¹³) of the [13/6] minimax rational approximation of tanh
/// on [−7.9, 7.9] that Eigen (`generic_fast_tanh_float`) and XLA use; maximum error a few ulp.
const NUMERATOR: [f32; 7] = [
    4.893_524_6e-3,
    6.372_619_3e-4,
    1.485_722_4e-5,
    5.122_297e-8,
    -8.604_672e-11,
    2.000_188e-13,
    -2.760_768_5e-16,
];

/// Even denominator coefficients (x⁰ … x⁶) of the same approximation.
const DENOMINATOR: [f32; 4] = [4.893_525e-3, 2.268_434_6e-3, 1.185_347_1e-4, 1.198_258_4e-6];

/// `tanh(x)`, element-wise (see the module documentation).
pub fn tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    #[cfg(feature = "flex")]
    if is_flex(&x.device()) && x.dtype() == DType::F32 {
        return host_tanh(x);
    }
    activation::tanh(x)
}

/// [`tanh`] on flex: the values read where they lie ([`HostValues`]), no copy of `x`.
#[cfg(feature = "flex")]
fn host_tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let device = x.device();
    if !device.is_autodiff() {
        let mut values = HostValues::new(x);
        Arch::new().dispatch(TanhInPlace(values.get_mut()));
        return values.into_tensor();
    }
    let shape = x.shape();
    let values = HostValues::new(x.clone().inner());
    let mut slope = vec![0.0; values.get().len()];
    let mut offset = vec![0.0; values.get().len()];
    Arch::new().dispatch(SlopeAndOffset {
        x: values.get(),
        slope: &mut slope,
        offset: &mut offset,
    });
    let slope = Tensor::from_data(TensorData::new(slope, shape.clone()), &device);
    let offset = Tensor::from_data(TensorData::new(offset, shape), &device);
    x * slope + offset
}

/// tanh of one value: the rational approximation, `x` itself near 0.
#[inline(always)]
#[cfg_attr(not(feature = "flex"), allow(dead_code))] // the flex passes and the tests call it
fn tanh_scalar(x: f32) -> f32 {
    let c = x.clamp(-CLAMP, CLAMP);
    let x2 = c * c;
    let p = NUMERATOR
        .iter()
        .rev()
        .fold(0.0f32, |acc, &a| acc.mul_add(x2, a))
        * c;
    let q = DENOMINATOR
        .iter()
        .rev()
        .fold(0.0f32, |acc, &b| acc.mul_add(x2, b));
    if x.abs() < TINY { x } else { p / q }
}

/// Replaces every value by its tanh.
#[cfg(feature = "flex")]
struct TanhInPlace<'a>(&'a mut [f32]);

#[cfg(feature = "flex")]
impl WithSimd for TanhInPlace<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        for v in self.0.iter_mut() {
            *v = tanh_scalar(*v);
        }
    }
}

/// One pass over `x`: with `y = tanh(x)`, `slope = 1 − y²` and `offset = y − x·slope`.
#[cfg(feature = "flex")]
struct SlopeAndOffset<'a> {
    x: &'a [f32],
    slope: &'a mut [f32],
    offset: &'a mut [f32],
}

#[cfg(feature = "flex")]
impl WithSimd for SlopeAndOffset<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        let outputs = self.slope.iter_mut().zip(self.offset.iter_mut());
        for (&v, (g, c)) in self.x.iter().zip(outputs) {
            let y = tanh_scalar(v);
            *g = 1.0 - y * y;
            *c = y - v * *g;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::test_device;
    use burn::tensor::TensorData;

    #[test]
    fn approximation_is_within_a_few_ulp_of_libm() {
        let mut worst = 0.0f32;
        let mut x = -10.0f32;
        while x <= 10.0 {
            let err = (tanh_scalar(x) - x.tanh()).abs();
            worst = worst.max(err / x.tanh().abs().max(f32::MIN_POSITIVE));
            x += 1e-3;
        }
        assert!(worst < 1e-6, "worst relative error {worst}");
        assert_eq!(tanh_scalar(0.0), 0.0);
        assert_eq!(tanh_scalar(1e-30), 1e-30);
        // Saturated inputs: within 3e-7 of ±1 (the approximation's value at the clamp).
        assert!((tanh_scalar(f32::INFINITY) - 1.0).abs() < 3e-7);
        assert!((tanh_scalar(-1e30) + 1.0).abs() < 3e-7);
        assert!(tanh_scalar(f32::NAN).is_nan());
    }

    /// Values and gradients equal burn's `tanh` (to f32 rounding) on every device of the
    /// matrix.
    #[test]
    fn values_and_gradients_match_burns_tanh() {
        let device = test_device().autodiff();
        let data: Vec<f32> = (0..300).map(|i| (i as f32 - 150.0) * 0.061).collect();
        let input = || {
            Tensor::<2>::from_data(TensorData::new(data.clone(), [3, 100]), &device).require_grad()
        };
        let (ours, theirs) = (input(), input());
        let (y, reference) = (tanh(ours.clone()), activation::tanh(theirs.clone()));
        let weights = Tensor::<2>::from_data(
            TensorData::new((0..300).map(|i| (i % 7) as f32 - 3.0).collect(), [3, 100]),
            &device,
        );
        let (g, g_ref) = (
            (y.clone() * weights.clone()).sum().backward(),
            (reference.clone() * weights).sum().backward(),
        );
        let close = |what: &str, a: Tensor<2>, b: Tensor<2>, tolerance: f32| {
            let diff = (a - b).abs().max().into_scalar::<f32>();
            assert!(diff < tolerance, "{what}: max difference {diff}");
        };
        close("values", y.detach(), reference.detach(), 4e-7);
        // Gradients are weights (|w| ≤ 3) times 1 − y², whose error is about 2|y| that of y.
        close(
            "gradients",
            ours.grad(&g).expect("gradient"),
            theirs.grad(&g_ref).expect("gradient"),
            3e-6,
        );
    }
}
