//! Multi-layer perceptrons.

use burn::config::Config;
use burn::module::{Initializer, Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor, activation};

use crate::ensemble::EnsembleMlpConfig;
use cinder_policy::Dense;

use crate::error::NnError;
use crate::tensors::read_floats;

/// The non-linearity between hidden layers.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `tanh(x)`: the on-policy default (SB3, CleanRL PPO).
    Tanh,
    /// `max(x, 0)`: the off-policy default (SAC, DDPG, DQN).
    Relu,
}

impl Activation {
    pub(crate) fn apply<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Tanh => crate::tanh::tanh(x),
            Activation::Relu => activation::relu(x),
        }
    }
}

/// The hidden layers of a learner's networks: their sizes and the non-linearity between them.
///
/// Every network of a learner (policy, value function, critics, Q-function) has this shape
/// between its own input and output.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NetConfig {
    /// Sizes of the hidden layers.
    pub hidden: Vec<usize>,
    /// Non-linearity after each hidden layer.
    pub activation: Activation,
}

impl NetConfig {
    /// Hidden layers of `hidden` sizes with `activation` between them.
    pub fn new(hidden: &[usize], activation: Activation) -> Self {
        Self {
            hidden: hidden.to_vec(),
            activation,
        }
    }

    /// An MLP `input → hidden → output` of this shape (orthogonal init, see [`MlpConfig`]).
    pub fn mlp(&self, input: usize, output: usize) -> MlpConfig {
        MlpConfig::new(input, self.hidden.clone(), output).with_activation(self.activation)
    }

    /// `members` MLPs `input → hidden → output` of this shape, as one [`EnsembleMlp`].
    ///
    /// [`EnsembleMlp`]: crate::EnsembleMlp
    pub fn ensemble(&self, members: usize, input: usize, output: usize) -> EnsembleMlpConfig {
        EnsembleMlpConfig::new(members, input, self.hidden.clone(), output)
            .with_activation(self.activation)
    }
}

/// An MLP `input → hidden[0] → ... → output`, with the activation after every hidden layer and
/// none after the output.
///
/// Weights are orthogonally initialised (Saxe et al. 2014) and biases set to zero, with gain
/// `hidden_gain` (√2 by default) on hidden layers and `output_gain` on the last one: 0.01 for a
/// policy head and 1 for a value head are the choices that "What Matters in On-Policy RL"
/// (Andrychowicz et al. 2021) found best, and that SB3 and CleanRL use.
#[derive(Config, Debug)]
pub struct MlpConfig {
    /// Size of the input.
    pub input: usize,
    /// Sizes of the hidden layers (may be empty: a linear map).
    pub hidden: Vec<usize>,
    /// Size of the output.
    pub output: usize,
    /// Non-linearity after each hidden layer.
    #[config(default = "Activation::Tanh")]
    pub activation: Activation,
    /// Orthogonal-init gain of the hidden layers.
    #[config(default = "std::f64::consts::SQRT_2")]
    pub hidden_gain: f64,
    /// Orthogonal-init gain of the output layer.
    #[config(default = 1.0)]
    pub output_gain: f64,
}

/// A multi-layer perceptron; build it with [`MlpConfig::init`].
#[derive(Module, Debug)]
pub struct Mlp {
    layers: Vec<Linear>,
    #[module(skip)]
    activation: Activation,
}

impl MlpConfig {
    /// Builds the network on `device`; every layer size must be positive and the gains finite.
    pub fn init(&self, device: &Device) -> Result<Mlp, NnError> {
        let sizes: Vec<usize> = std::iter::once(self.input)
            .chain(self.hidden.iter().copied())
            .chain(std::iter::once(self.output))
            .collect();
        if sizes.contains(&0) {
            return Err(NnError::InvalidConfig(format!(
                "MLP layer sizes must be positive, got {sizes:?}"
            )));
        }
        if !(self.hidden_gain.is_finite() && self.output_gain.is_finite()) {
            return Err(NnError::InvalidConfig(format!(
                "MLP init gains must be finite, got hidden {} and output {}",
                self.hidden_gain, self.output_gain
            )));
        }
        let last = sizes.len() - 2;
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, pair)| {
                let gain = if i == last {
                    self.output_gain
                } else {
                    self.hidden_gain
                };
                let mut layer = LinearConfig::new(pair[0], pair[1])
                    .with_bias(false)
                    .with_initializer(Initializer::Orthogonal { gain })
                    .init(device);
                // burn draws an initialiser's weights lazily, at the parameter's first use:
                // draw them now, so that a network's draws from the device's generator happen
                // when it is built, not whenever (and on whichever thread) it is first used.
                layer.weight = Param::from_tensor(layer.weight.val());
                layer.bias = Some(Param::from_tensor(Tensor::zeros([pair[1]], device)));
                layer
            })
            .collect();
        Ok(Mlp {
            layers,
            activation: self.activation,
        })
    }
}

impl Mlp {
    /// Applies the network to a batch `[batch, input]` → `[batch, output]` (or any rank whose
    /// last dimension is the feature one).
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        let last = self.layers.len() - 1;
        self.layers.iter().enumerate().fold(input, |x, (i, layer)| {
            let y = layer.forward(x);
            if i == last {
                y
            } else {
                self.activation.apply(y)
            }
        })
    }

    /// Size of the input.
    pub fn input_size(&self) -> usize {
        self.layers[0].weight.dims()[0]
    }

    /// Size of the output.
    pub fn output_size(&self) -> usize {
        self.layers[self.layers.len() - 1].weight.dims()[1]
    }

    /// The layers as plain data (`[in, out]` weights, biases, the activation after every
    /// hidden layer): what an exported policy holds.
    pub fn dense_layers(&self) -> Result<Vec<Dense>, NnError> {
        let last = self.layers.len() - 1;
        self.layers
            .iter()
            .enumerate()
            .map(|(i, layer)| {
                let [inputs, outputs] = layer.weight.dims();
                let bias = match &layer.bias {
                    Some(bias) => read_floats(bias.val())?,
                    None => vec![0.0; outputs],
                };
                Ok(Dense {
                    inputs,
                    outputs,
                    weight: read_floats(layer.weight.val())?,
                    bias,
                    activation: (i != last).then_some(match self.activation {
                        Activation::Tanh => cinder_policy::Activation::Tanh,
                        Activation::Relu => cinder_policy::Activation::Relu,
                    }),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::Distribution;

    use super::*;
    use crate::device::{device_stream_turn, test_device};
    use crate::flat::flat_params;

    /// The weights come from the generator's state when the network is built: a draw between
    /// building and first use does not change them.
    #[test]
    fn weights_are_drawn_when_the_network_is_built() {
        let _turn = device_stream_turn();
        let device = test_device();
        let config = MlpConfig::new(3, vec![8], 2);
        device.seed(7);
        let used_at_once = flat_params(&config.init(&device).unwrap()).unwrap();
        device.seed(7);
        let net = config.init(&device).unwrap();
        let _ = Tensor::<2>::random([4, 4], Distribution::Default, &device);
        assert_eq!(flat_params(&net).unwrap(), used_at_once);
    }
}
