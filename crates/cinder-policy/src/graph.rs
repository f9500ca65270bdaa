//! The exported network and its evaluation.

use serde::{Deserialize, Serialize};

use crate::PolicyError;

/// The non-linearity after a hidden layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `tanh(x)`.
    Tanh,
    /// `max(x, 0)`.
    Relu,
}

impl Activation {
    fn apply(self, x: f32) -> f32 {
        match self {
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.max(0.0),
        }
    }
}

/// One dense layer `y = x·W + b`, then its activation.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    /// Inputs.
    pub inputs: usize,
    /// Outputs.
    pub outputs: usize,
    /// `[inputs, outputs]`, row-major (burn's `Linear` layout).
    pub weight: Vec<f32>,
    /// `[outputs]`.
    pub bias: Vec<f32>,
    /// After the layer; `None` for an output layer.
    pub activation: Option<Activation>,
}

impl Dense {
    fn forward(&self, x: &[f32]) -> Vec<f32> {
        let mut y = self.bias.clone();
        for (i, &xi) in x.iter().enumerate() {
            let row = &self.weight[i * self.outputs..(i + 1) * self.outputs];
            for (yj, &w) in y.iter_mut().zip(row) {
                *yj += xi * w;
            }
        }
        if let Some(activation) = self.activation {
            y.iter_mut().for_each(|v| *v = activation.apply(*v));
        }
        y
    }
}

/// SB3 `VecNormalize`'s observation transform with frozen statistics:
/// `clip((x − mean) / std, −clip, clip)`, `std = √(var + ε)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardize {
    /// Per component.
    pub mean: Vec<f32>,
    /// Per component, `√(var + ε)`.
    pub std: Vec<f32>,
    /// Bound of the normalised values.
    pub clip: f32,
}

/// BCQ's restriction of the greedy action (Fujimoto et al. 2019, discrete BCQ): only actions
/// whose imitator logit is within `ln τ` of the row's largest are candidates.
#[derive(Debug, Clone, PartialEq)]
pub struct Imitator {
    /// The imitator network (observation → logits).
    pub layers: Vec<Dense>,
    /// `ln τ` (`unlikely_action_threshold`).
    pub log_threshold: f32,
}

/// How the network's outputs become an action.
#[derive(Debug, Clone, PartialEq)]
pub enum Head {
    /// The index of the largest output (categorical logits or Q-values).
    Argmax {
        /// BCQ's candidates, if any.
        imitator: Option<Imitator>,
    },
    /// A box action: the outputs, through `tanh` if `squash`, scaled from `[−1, 1]` into
    /// `[low, high]` if `scale` (`low + (u + 1)·½·(high − low)`), then clipped into the box.
    Box {
        /// Apply `tanh` first.
        squash: bool,
        /// Scale `[−1, 1]` into the box.
        scale: bool,
        /// Lower bounds (may be −∞ when not scaled).
        low: Vec<f32>,
        /// Upper bounds.
        high: Vec<f32>,
    },
}

/// An action, as the environment takes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A discrete action's index.
    Discrete(usize),
    /// A box action's values.
    Continuous(Vec<f32>),
}

/// A trained policy's deterministic acting: observation normalisation, dense layers, head.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    /// Length of an observation.
    pub observation_dim: usize,
    /// The run's observation normalisation, if it had one.
    pub normalize: Option<Standardize>,
    /// The network, first layer first.
    pub layers: Vec<Dense>,
    /// How its outputs become an action.
    pub head: Head,
    /// The algorithm that trained it (`ppo`, `sac`, …).
    pub algo: String,
    /// The environment it was trained on.
    pub env: String,
}

impl Graph {
    /// Number of discrete actions, or values of a box action.
    pub fn action_dim(&self) -> usize {
        self.layers.last().map_or(0, |l| l.outputs)
    }

    /// Checks that the pieces fit together: layer sizes chain from the observation to the
    /// head, weights have their shapes, bounds match the action; the error says what is off.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let bad = |what: String| Err(PolicyError::Malformed(what));
        if self.observation_dim == 0 || self.layers.is_empty() {
            return bad("a policy needs observations and at least one layer".into());
        }
        check_chain("layer", self.observation_dim, &self.layers)?;
        if let Some(n) = &self.normalize
            && (n.mean.len() != self.observation_dim || n.std.len() != self.observation_dim)
        {
            return bad(format!(
                "normalisation of {} / {} values for observations of {}",
                n.mean.len(),
                n.std.len(),
                self.observation_dim
            ));
        }
        let dim = self.action_dim();
        match &self.head {
            Head::Argmax {
                imitator: Some(imitator),
            } => {
                check_chain("imitator layer", self.observation_dim, &imitator.layers)?;
                let out = imitator.layers.last().map_or(0, |l| l.outputs);
                if out != dim {
                    return bad(format!("imitator of {out} actions for {dim}"));
                }
            }
            Head::Argmax { imitator: None } => {}
            Head::Box { low, high, .. } => {
                if low.len() != dim || high.len() != dim {
                    return bad(format!(
                        "bounds of {} / {} values for actions of {dim}",
                        low.len(),
                        high.len()
                    ));
                }
                if low
                    .iter()
                    .zip(high)
                    .any(|(l, h)| l.is_nan() || h.is_nan() || l > h)
                {
                    return bad("action bounds with low > high or NaN".into());
                }
            }
        }
        Ok(())
    }

    /// The action for one raw observation.
    pub fn act(&self, observation: &[f32]) -> Result<Action, PolicyError> {
        self.act_masked(observation, None)
    }

    /// The action for one raw observation among the discrete actions `valid` allows (`None`:
    /// all; ignored by box policies).
    pub fn act_masked(
        &self,
        observation: &[f32],
        valid: Option<&[bool]>,
    ) -> Result<Action, PolicyError> {
        if observation.len() != self.observation_dim {
            return Err(PolicyError::Observation(format!(
                "{} values, the policy takes {}",
                observation.len(),
                self.observation_dim
            )));
        }
        if let Some(i) = observation.iter().position(|v| !v.is_finite()) {
            return Err(PolicyError::Observation(format!(
                "value {i} is {}",
                observation[i]
            )));
        }
        let x = self.standardized(observation);
        let out = forward(&self.layers, x.clone());
        Ok(match &self.head {
            Head::Argmax { imitator } => {
                if let Some(valid) = valid
                    && valid.len() != out.len()
                {
                    return Err(PolicyError::Observation(format!(
                        "a mask of {} actions for {}",
                        valid.len(),
                        out.len()
                    )));
                }
                let likely = imitator.as_ref().map(|imitator| {
                    let logits = forward(&imitator.layers, x);
                    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    logits
                        .into_iter()
                        .map(|l| l - max >= imitator.log_threshold)
                        .collect::<Vec<_>>()
                });
                let candidate =
                    |a: usize| valid.is_none_or(|v| v[a]) && likely.as_ref().is_none_or(|l| l[a]);
                let best = (0..out.len()).filter(|&a| candidate(a)).fold(
                    None,
                    |best: Option<usize>, a| match best {
                        Some(b) if out[b] >= out[a] => Some(b),
                        _ => Some(a),
                    },
                );
                Action::Discrete(
                    best.ok_or_else(|| {
                        PolicyError::Observation("the mask allows no action".into())
                    })?,
                )
            }
            Head::Box {
                squash,
                scale,
                low,
                high,
            } => Action::Continuous(
                out.iter()
                    .zip(low.iter().zip(high))
                    .map(|(&y, (&lo, &hi))| {
                        let u = if *squash { y.tanh() } else { y };
                        let a = if *scale {
                            lo + (u + 1.0) * 0.5 * (hi - lo)
                        } else {
                            u
                        };
                        a.max(lo).min(hi)
                    })
                    .collect(),
            ),
        })
    }

    /// The actions of `n` observations laid end to end.
    pub fn act_batch(&self, observations: &[f32], n: usize) -> Result<Vec<Action>, PolicyError> {
        if observations.len() != n * self.observation_dim {
            return Err(PolicyError::Observation(format!(
                "{} values for {n} observations of {}",
                observations.len(),
                self.observation_dim
            )));
        }
        observations
            .chunks_exact(self.observation_dim)
            .map(|o| self.act(o))
            .collect()
    }

    fn standardized(&self, observation: &[f32]) -> Vec<f32> {
        match &self.normalize {
            None => observation.to_vec(),
            Some(n) => observation
                .iter()
                .zip(n.mean.iter().zip(&n.std))
                .map(|(&x, (&m, &s))| ((x - m) / s).max(-n.clip).min(n.clip))
                .collect(),
        }
    }
}

fn forward(layers: &[Dense], x: Vec<f32>) -> Vec<f32> {
    layers.iter().fold(x, |x, layer| layer.forward(&x))
}

/// Checks that `layers` chain from `inputs` and that each has its weights' shapes.
fn check_chain(what: &str, inputs: usize, layers: &[Dense]) -> Result<(), PolicyError> {
    let mut expected = inputs;
    for (i, layer) in layers.iter().enumerate() {
        let fits = layer.inputs == expected
            && layer.outputs > 0
            && layer.weight.len() == layer.inputs * layer.outputs
            && layer.bias.len() == layer.outputs;
        if !fits {
            return Err(PolicyError::Malformed(format!(
                "{what} {i}: {} × {} with {} weights and {} biases after {expected} values",
                layer.inputs,
                layer.outputs,
                layer.weight.len(),
                layer.bias.len()
            )));
        }
        expected = layer.outputs;
    }
    Ok(())
}
