//! An ensemble of same-shaped MLPs evaluated as one batched network.
//!
//! SAC's twin Q-functions (Fujimoto et al. 2018, clipped double Q) are two MLPs fed the same
//! batch. Stacking their weights as `[members, in, out]` turns the two forward and backward
//! passes into one batched matrix product per layer: half the tensor operations, and larger
//! GEMMs for the CPU backends.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::{Device, Distribution, Tensor};

use crate::error::NnError;
use crate::mlp::Activation;

/// Shape of an [`EnsembleMlp`].
#[derive(Config, Debug)]
pub struct EnsembleMlpConfig {
    /// Number of members (2 for twin critics).
    pub members: usize,
    /// Size of the input.
    pub input: usize,
    /// Sizes of the hidden layers.
    pub hidden: Vec<usize>,
    /// Size of the output.
    pub output: usize,
    /// Non-linearity after each hidden layer.
    #[config(default = "Activation::Relu")]
    pub activation: Activation,
}

/// `members` independent MLPs with stacked parameters; build it with
/// [`EnsembleMlpConfig::init`].
#[derive(Module, Debug)]
pub struct EnsembleMlp {
    /// `[members, in, out]` per layer.
    weights: Vec<Param<Tensor<3>>>,
    /// `[members, 1, out]` per layer.
    biases: Vec<Param<Tensor<3>>>,
    #[module(skip)]
    activation: Activation,
}

impl EnsembleMlpConfig {
    /// Builds the ensemble on `device`. Each member is initialised like PyTorch's `nn.Linear`
    /// (weights and biases uniform in `±1/√fan_in`), the default of SB3's and Tianshou's
    /// off-policy networks, independently of the others.
    pub fn init(&self, device: &Device) -> Result<EnsembleMlp, NnError> {
        let sizes: Vec<usize> = std::iter::once(self.input)
            .chain(self.hidden.iter().copied())
            .chain(std::iter::once(self.output))
            .collect();
        if sizes.contains(&0) || self.members == 0 {
            return Err(NnError::InvalidConfig(format!(
                "ensemble of {} members with layer sizes {sizes:?}: all must be positive",
                self.members
            )));
        }
        let k = self.members;
        let uniform = |fan_in: usize, shape: [usize; 3]| {
            let bound = 1.0 / (fan_in as f64).sqrt();
            Param::from_tensor(Tensor::random(
                shape,
                Distribution::Uniform(-bound, bound),
                device,
            ))
        };
        let (weights, biases) = sizes
            .windows(2)
            .map(|pair| {
                (
                    uniform(pair[0], [k, pair[0], pair[1]]),
                    uniform(pair[0], [k, 1, pair[1]]),
                )
            })
            .unzip();
        Ok(EnsembleMlp {
            weights,
            biases,
            activation: self.activation,
        })
    }
}

impl EnsembleMlp {
    /// Applies member `k` to row block `k` of `input` `[members, batch, in]` →
    /// `[members, batch, out]`.
    pub fn forward(&self, input: Tensor<3>) -> Tensor<3> {
        let last = self.weights.len() - 1;
        self.weights
            .iter()
            .zip(&self.biases)
            .enumerate()
            .fold(input, |x, (i, (w, b))| {
                let y = x.matmul(w.val()) + b.val();
                if i == last {
                    y
                } else {
                    self.activation.apply(y)
                }
            })
    }

    /// Applies every member to the same batch `[batch, in]` → `[members, batch, out]`.
    pub fn forward_shared(&self, input: Tensor<2>) -> Tensor<3> {
        let members = self.members();
        self.forward(input.unsqueeze::<3>().repeat_dim(0, members))
    }

    /// Number of members.
    pub fn members(&self) -> usize {
        self.weights[0].dims()[0]
    }
}
