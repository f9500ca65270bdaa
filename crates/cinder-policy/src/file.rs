//! A [`Graph`] as one safetensors file: every weight a tensor (`layers.<i>.weight`
//! `[in, out]`, `layers.<i>.bias`, `imitator.<i>.*`, `obs_mean`, `obs_std`, `action_low`,
//! `action_high`; f32, little-endian), everything else a JSON description under the metadata
//! key `cinder.policy`.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};

use crate::PolicyError;
use crate::graph::{Activation, Dense, Graph, Head, Imitator, Standardize};

/// The format this crate writes, and the newest it reads.
pub const FORMAT: u32 = 1;

/// The metadata key of the description.
const KEY: &str = "cinder.policy";

/// What the metadata holds: the graph without its weights.
#[derive(Serialize, Deserialize)]
struct Description {
    format: u32,
    algo: String,
    env: String,
    observation_dim: usize,
    /// The normalisation's clip, when observations are normalised.
    normalize_clip: Option<f32>,
    layers: Vec<Shape>,
    head: HeadDescription,
}

#[derive(Serialize, Deserialize)]
struct Shape {
    inputs: usize,
    outputs: usize,
    activation: Option<Activation>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum HeadDescription {
    Argmax { imitator: Option<(Vec<Shape>, f32)> },
    Box { squash: bool, scale: bool },
}

fn shapes(layers: &[Dense]) -> Vec<Shape> {
    layers
        .iter()
        .map(|l| Shape {
            inputs: l.inputs,
            outputs: l.outputs,
            activation: l.activation,
        })
        .collect()
}

impl Graph {
    /// The graph as safetensors bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, PolicyError> {
        self.validate()?;
        let description = Description {
            format: FORMAT,
            algo: self.algo.clone(),
            env: self.env.clone(),
            observation_dim: self.observation_dim,
            normalize_clip: self.normalize.as_ref().map(|n| n.clip),
            layers: shapes(&self.layers),
            head: match &self.head {
                Head::Argmax { imitator } => HeadDescription::Argmax {
                    imitator: imitator
                        .as_ref()
                        .map(|i| (shapes(&i.layers), i.log_threshold)),
                },
                Head::Box { squash, scale, .. } => HeadDescription::Box {
                    squash: *squash,
                    scale: *scale,
                },
            },
        };
        let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
        let mut add = |name: String, shape: Vec<usize>, values: &[f32]| {
            let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            tensors.push((name, shape, bytes));
        };
        let mut add_layers = |prefix: &str, layers: &[Dense]| {
            for (i, l) in layers.iter().enumerate() {
                add(
                    format!("{prefix}.{i}.weight"),
                    vec![l.inputs, l.outputs],
                    &l.weight,
                );
                add(format!("{prefix}.{i}.bias"), vec![l.outputs], &l.bias);
            }
        };
        add_layers("layers", &self.layers);
        if let Head::Argmax {
            imitator: Some(imitator),
        } = &self.head
        {
            add_layers("imitator", &imitator.layers);
        }
        if let Some(n) = &self.normalize {
            add("obs_mean".into(), vec![n.mean.len()], &n.mean);
            add("obs_std".into(), vec![n.std.len()], &n.std);
        }
        if let Head::Box { low, high, .. } = &self.head {
            add("action_low".into(), vec![low.len()], low);
            add("action_high".into(), vec![high.len()], high);
        }
        let views = tensors
            .iter()
            .map(|(name, shape, bytes)| {
                TensorView::new(Dtype::F32, shape.clone(), bytes).map(|v| (name.clone(), v))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| PolicyError::Malformed(e.to_string()))?;
        let json = serde_json::to_string(&description)
            .map_err(|e| PolicyError::Malformed(e.to_string()))?;
        let metadata = HashMap::from([(KEY.to_string(), json)]);
        safetensors::serialize(views, Some(metadata))
            .map_err(|e| PolicyError::Malformed(e.to_string()))
    }

    /// The graph in safetensors `bytes`, checked.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PolicyError> {
        let malformed = |e: &dyn std::fmt::Display| PolicyError::Malformed(e.to_string());
        let file = SafeTensors::deserialize(bytes).map_err(|e| malformed(&e))?;
        let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(|e| malformed(&e))?;
        let json = metadata
            .metadata()
            .as_ref()
            .and_then(|m| m.get(KEY))
            .ok_or_else(|| malformed(&format!("no `{KEY}` description in the metadata")))?;
        let format = serde_json::from_str::<serde_json::Value>(json)
            .ok()
            .and_then(|v| v.get("format")?.as_u64())
            .ok_or_else(|| malformed(&"the description has no format"))?;
        if format > u64::from(FORMAT) {
            return Err(PolicyError::NewerFormat {
                found: u32::try_from(format).unwrap_or(u32::MAX),
            });
        }
        let d: Description = serde_json::from_str(json).map_err(|e| malformed(&e))?;
        let tensor = |name: &str, len: usize| -> Result<Vec<f32>, PolicyError> {
            let view = file
                .tensor(name)
                .map_err(|e| malformed(&format!("tensor `{name}`: {e}")))?;
            if view.dtype() != Dtype::F32 || view.data().len() != 4 * len {
                return Err(malformed(&format!(
                    "tensor `{name}` is {:?} {:?}, expected {len} f32 values",
                    view.dtype(),
                    view.shape()
                )));
            }
            Ok(view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect())
        };
        let layers = |prefix: &str, shapes: &[Shape]| -> Result<Vec<Dense>, PolicyError> {
            shapes
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let size = s.inputs.checked_mul(s.outputs).ok_or_else(|| {
                        malformed(&format!("layer {i} of {} × {}", s.inputs, s.outputs))
                    })?;
                    Ok(Dense {
                        inputs: s.inputs,
                        outputs: s.outputs,
                        weight: tensor(&format!("{prefix}.{i}.weight"), size)?,
                        bias: tensor(&format!("{prefix}.{i}.bias"), s.outputs)?,
                        activation: s.activation,
                    })
                })
                .collect()
        };
        let main = layers("layers", &d.layers)?;
        let dim = main.last().map_or(0, |l| l.outputs);
        let head = match d.head {
            HeadDescription::Argmax { imitator } => Head::Argmax {
                imitator: match imitator {
                    None => None,
                    Some((shapes, log_threshold)) => Some(Imitator {
                        layers: layers("imitator", &shapes)?,
                        log_threshold,
                    }),
                },
            },
            HeadDescription::Box { squash, scale } => Head::Box {
                squash,
                scale,
                low: tensor("action_low", dim)?,
                high: tensor("action_high", dim)?,
            },
        };
        let normalize = match d.normalize_clip {
            None => None,
            Some(clip) => Some(Standardize {
                mean: tensor("obs_mean", d.observation_dim)?,
                std: tensor("obs_std", d.observation_dim)?,
                clip,
            }),
        };
        let graph = Graph {
            observation_dim: d.observation_dim,
            normalize,
            layers: main,
            head,
            algo: d.algo,
            env: d.env,
        };
        graph.validate()?;
        Ok(graph)
    }

    /// Writes the graph to `path` (safetensors).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), PolicyError> {
        let path = path.as_ref();
        std::fs::write(path, self.to_bytes()?).map_err(|source| PolicyError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Reads the graph [`Graph::save`] wrote.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, PolicyError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| PolicyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_bytes(&bytes).map_err(|e| match e {
            PolicyError::Malformed(why) => {
                PolicyError::Malformed(format!("{}: {why}", path.display()))
            }
            other => other,
        })
    }
}
