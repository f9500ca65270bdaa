//! A flex tensor's f32 values, read and written where they lie.
//!
//! The host passes of [`optim`](crate::optim) and [`target`](crate::target) went through
//! `into_data` and `from_data` at first, and that round trip copies a parameter up to three
//! times on flex: a tensor another handle still shares is copied out, a buffer an op wrote
//! (16-byte aligned) is copied again into a `Vec<f32>` (4-byte aligned), and so on. Those
//! copies took more than half of an Adam step's time in a DDPG run. [`HostValues`] instead
//! takes the backend tensor itself through burn's extension API
//! (`Tensor::try_into_primitive::<Flex>`): reading costs nothing, writing copies the buffer only
//! while another tensor shares it (copy on write), and the tensor goes back without a copy.

use burn::tensor::{DType, Tensor};

type FlexTensor = <burn::backend::Flex as burn::backend::BackendTypes>::FloatTensorPrimitive;

/// The values of a flex tensor, contiguous f32, in place.
pub(crate) struct HostValues {
    tensor: FlexTensor,
}

impl HostValues {
    /// The values of `tensor`, a flex tensor without autodiff (cast to f32 and made contiguous
    /// first where it is neither, which copies).
    ///
    /// # Panics
    /// If `tensor` is on another device or tracked by autodiff: callers check
    /// [`is_flex`](crate::device::is_flex) and pass inner tensors.
    pub(crate) fn new<const D: usize>(tensor: Tensor<D>) -> Self {
        let tensor = if tensor.dtype() == DType::F32 {
            tensor
        } else {
            tensor.cast(DType::F32)
        };
        let tensor = tensor
            .try_into_primitive::<burn::backend::Flex>()
            .expect("HostValues takes flex tensors without autodiff");
        let whole = tensor.is_contiguous()
            && tensor.layout().start_offset() == 0
            && tensor.bytes().len() == tensor.layout().num_elements() * size_of::<f32>();
        Self {
            tensor: if whole {
                tensor
            } else {
                tensor.to_contiguous()
            },
        }
    }

    /// The values, in row-major order.
    pub(crate) fn get(&self) -> &[f32] {
        self.tensor.storage::<f32>()
    }

    /// The values to write (copied first while another tensor shares them).
    pub(crate) fn get_mut(&mut self) -> &mut [f32] {
        self.tensor.storage_mut::<f32>()
    }

    /// The tensor holding the values.
    pub(crate) fn into_tensor<const D: usize>(self) -> Tensor<D> {
        Tensor::from_primitive::<burn::backend::Flex>(self.tensor)
    }
}
