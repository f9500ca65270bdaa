//! A trained policy in a program: [`Policy::load`] a run directory or snapshot, then
//! [`Policy::predict`] (deterministic), [`Policy::sample`] or [`Policy::predict_batch`]
//! with raw observations; [`crate::train::evaluate`] takes a `Policy` like any actor; and
//! [`Policy::export`] gives the network as plain data ([`cinder_policy::Graph`]), which
//! [`Policy::save_onnx`] and [`Policy::save_safetensors`] write for runtimes without burn.
//!
//! Every snapshot's `meta.json` records what shapes the networks (the algorithm, the resolved
//! settings, the observation and action spaces: [`record`]), so loading needs no config and no
//! environment; the learner is rebuilt from it alone and its files loaded, and it acts as it did
//! in training. The run's observation normalisation, if it had one, is inside: callers pass raw
//! observations.

#[cfg(feature = "onnx")]
mod onnx;
mod record;

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use cinder_agent::{AgentError, PolicyActor, ReplayLearner, Setup};
use cinder_core::{ActMode, Acted, ActionBatch, Actor, Normalization, Observed, Space};
use cinder_train::snapshot::{is_snapshot, read_snapshot};
use rand::RngCore;

pub use cinder_policy::{Action, Graph};
#[cfg(feature = "onnx")]
pub use onnx::to_onnx;
pub(crate) use record::RUN_FORMAT;

use crate::burn;
use crate::registry;

/// Why a policy could not be loaded, used or exported: one line naming the cause.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The path, its snapshot or the run's record is missing, damaged or of a newer format.
    #[error("{0}")]
    Load(String),
    /// An observation or mask that does not fit the policy.
    #[error("observation: {0}")]
    Observation(String),
    /// Acting or exporting failed.
    #[error(transparent)]
    Agent(#[from] AgentError),
    /// An exported file could not be written.
    #[error(transparent)]
    File(#[from] cinder_policy::PolicyError),
    /// A format this build leaves out (its Cargo feature is off).
    #[error(
        "this build has no {what}: build Cinder with the `{feature}` feature (`--features \
         {feature}` on `cargo build`, `run` or `install`)"
    )]
    NotBuilt {
        /// What is missing.
        what: &'static str,
        /// The feature that adds it.
        feature: &'static str,
    },
}

/// How a loaded learner acts.
pub enum Trained {
    /// Through its policy's acting copy (A2C, PPO, PPO2, an SVPG particle).
    OnPolicy(Box<PolicyActor>),
    /// Itself (DQL, DDPG, TD3, SAC, BC, BCQ).
    Replay(Box<dyn ReplayLearner>),
}

impl Trained {
    fn actor(&mut self) -> &mut dyn Actor<Error = AgentError> {
        match self {
            Trained::OnPolicy(actor) => actor.as_mut(),
            Trained::Replay(learner) => learner.as_mut(),
        }
    }
}

/// A trained policy, reloaded from a run.
pub struct Policy {
    trained: Trained,
    normalization: Option<Normalization>,
    observation_space: Space,
    action_space: Space,
    algo: String,
    env: String,
    device: Device,
}

impl Policy {
    /// The policy of the run directory `path` (its `best` snapshot if it kept one, else
    /// `latest`) or of the snapshot directory `path`, on flex.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, PolicyError> {
        let device =
            cinder_nn::parse_device("flex").map_err(|e| PolicyError::Load(e.to_string()))?;
        Self::load_on(path, &device)
    }

    /// [`Policy::load`] on `device`.
    pub fn load_on(path: impl AsRef<Path>, device: &Device) -> Result<Self, PolicyError> {
        let path = path.as_ref();
        let dir = snapshot_dir(path)?;
        let at = |e: &dyn std::fmt::Display| PolicyError::Load(format!("{}: {e}", dir.display()));
        let (snapshot, meta) = read_snapshot(&dir).map_err(|e| PolicyError::Load(e.to_string()))?;
        let record = record::read(&meta.run, &dir)?;
        let settings = registry::find(&record.algo)
            .and_then(|entry| entry.resolve(Some(&record.settings), &[]))
            .map_err(|e| at(&e))?;
        let setup = Setup::of_spaces(
            &record.observation_space,
            &record.action_space,
            device,
            device,
            0,
        );
        let files = settings.policy_files(&snapshot).map_err(|e| at(&e))?;
        let trained = settings.policy(&setup, &files).map_err(|e| at(&e))?;
        let normalize = settings.run().normalization();
        let normalization = if normalize.observations {
            let dim = record.observation_space.flat_dim();
            let mut n = Normalization::training(normalize, dim).map_err(|e| at(&e))?;
            let saved: serde_json::Value =
                cinder_nn::persist::load_json(&files, cinder_agent::resume::NORMALIZATION_FILE)
                    .map_err(|e| at(&e))?;
            n.restore(&saved).map_err(|e| at(&e))?;
            Some(n.frozen())
        } else {
            None
        };
        Ok(Self {
            trained,
            normalization,
            observation_space: record.observation_space,
            action_space: record.action_space,
            algo: record.algo,
            env: record.env,
            device: device.clone(),
        })
    }

    /// The algorithm that trained it.
    pub fn algo(&self) -> &str {
        &self.algo
    }

    /// The environment it was trained on.
    pub fn env(&self) -> &str {
        &self.env
    }

    /// The observations it takes (raw, before any normalisation).
    pub fn observation_space(&self) -> &Space {
        &self.observation_space
    }

    /// The actions it gives.
    pub fn action_space(&self) -> &Space {
        &self.action_space
    }

    /// The deterministic action for one raw observation, as the environment takes it (box
    /// actions clipped or scaled into the box, as SB3's `predict` gives them).
    pub fn predict(&mut self, observation: &[f32]) -> Result<Action, PolicyError> {
        self.one(observation, None, ActMode::Greedy)
    }

    /// [`Policy::predict`] among the discrete actions `valid` allows (one flag per action).
    pub fn predict_masked(
        &mut self,
        observation: &[f32],
        valid: &[bool],
    ) -> Result<Action, PolicyError> {
        self.one(observation, Some(valid), ActMode::Greedy)
    }

    /// An action drawn from the policy's distribution (A2C, PPO, PPO2, SVPG, SAC, and BC of
    /// discrete actions), the device's generator seeded from `rng` first so that the draws
    /// follow it. A deterministic policy (DQL, DDPG, TD3, BCQ, BC of box actions: their
    /// exploration is noise or ε-greedy added in training, not part of the policy) gives
    /// [`Policy::predict`]'s action. The device's generator is the process's (flex): the draws
    /// follow `rng` while no other thread draws from that device at the same time.
    pub fn sample(
        &mut self,
        observation: &[f32],
        rng: &mut impl RngCore,
    ) -> Result<Action, PolicyError> {
        if !self.is_stochastic() {
            return self.predict(observation);
        }
        self.device.seed(rng.next_u64());
        self.one(observation, None, ActMode::Explore)
    }

    /// Whether [`Policy::sample`] draws from a distribution.
    pub fn is_stochastic(&self) -> bool {
        match &self.trained {
            Trained::OnPolicy(_) => true,
            Trained::Replay(learner) => learner.is_stochastic(),
        }
    }

    /// The deterministic actions of `n` raw observations laid end to end, in one batch.
    pub fn predict_batch(
        &mut self,
        observations: &[f32],
        n: usize,
    ) -> Result<Vec<Action>, PolicyError> {
        let acted = self.act_checked(observations, n, None, ActMode::Greedy)?;
        Ok(match acted.actions {
            ActionBatch::Discrete(a) => a.into_iter().map(Action::Discrete).collect(),
            ActionBatch::Continuous(v) => v
                .chunks_exact(self.action_space.flat_dim().max(1))
                .map(|row| Action::Continuous(row.to_vec()))
                .collect(),
        })
    }

    /// The deterministic acting as plain data: the run's normalisation, the network, the head.
    pub fn export(&self) -> Result<Graph, PolicyError> {
        let exported = match &self.trained {
            Trained::OnPolicy(actor) => actor.graph()?,
            Trained::Replay(learner) => learner.graph()?,
        };
        let normalize = self.normalization.as_ref().map(|n| {
            let (stats, config) = (n.stats().observations, n.config());
            cinder_policy::Standardize {
                mean: stats.mean.iter().map(|&m| m as f32).collect(),
                std: (stats.var.iter())
                    .map(|&v| (v + config.epsilon).sqrt() as f32)
                    .collect(),
                clip: config.clip_obs as f32,
            }
        });
        let graph = Graph {
            observation_dim: self.observation_space.flat_dim(),
            normalize,
            layers: exported.layers,
            head: exported.head,
            algo: self.algo.clone(),
            env: self.env.clone(),
        };
        graph.validate()?;
        Ok(graph)
    }

    /// Writes [`Policy::export`] as an ONNX model to `path`; `masked` (discrete policies)
    /// adds the `action_mask` input. Needs the `onnx` feature (else [`PolicyError::NotBuilt`]).
    pub fn save_onnx(&self, path: impl AsRef<Path>, masked: bool) -> Result<(), PolicyError> {
        #[cfg(feature = "onnx")]
        return write(path.as_ref(), &to_onnx(&self.export()?, masked)?);
        #[cfg(not(feature = "onnx"))]
        {
            let _ = (path, masked);
            Err(PolicyError::NotBuilt {
                what: "ONNX export",
                feature: "onnx",
            })
        }
    }

    /// Writes [`Policy::export`] as safetensors (the weights, with the JSON description in
    /// the metadata) to `path`: what [`cinder_policy::Graph::load`] reads without burn.
    pub fn save_safetensors(&self, path: impl AsRef<Path>) -> Result<(), PolicyError> {
        write(path.as_ref(), &self.export()?.to_bytes()?)
    }

    fn one(
        &mut self,
        observation: &[f32],
        valid: Option<&[bool]>,
        mode: ActMode,
    ) -> Result<Action, PolicyError> {
        let acted = self.act_checked(observation, 1, valid, mode)?;
        Ok(match acted.actions {
            ActionBatch::Discrete(a) => Action::Discrete(a[0]),
            ActionBatch::Continuous(v) => Action::Continuous(v),
        })
    }

    /// Checks `n` raw observations (and masks), normalises them and acts; box actions are
    /// clipped into the box.
    fn act_checked(
        &mut self,
        observations: &[f32],
        n: usize,
        valid: Option<&[bool]>,
        mode: ActMode,
    ) -> Result<Acted, PolicyError> {
        let dim = self.observation_space.flat_dim();
        if n == 0 || observations.len() != n * dim {
            return Err(PolicyError::Observation(format!(
                "{} values for {n} observation(s) of {dim} ({})",
                observations.len(),
                self.env
            )));
        }
        if let Some(i) = observations.iter().position(|v| !v.is_finite()) {
            return Err(PolicyError::Observation(format!(
                "value {i} is {}",
                observations[i]
            )));
        }
        if let Some(valid) = valid {
            let actions = match &self.action_space {
                Space::Discrete(d) => d.n(),
                Space::Box(_) => {
                    return Err(PolicyError::Observation(
                        "masks are for discrete actions; this policy's are a box".into(),
                    ));
                }
            };
            if valid.len() != n * actions {
                return Err(PolicyError::Observation(format!(
                    "a mask of {} flags for {n} observation(s) of {actions} actions",
                    valid.len()
                )));
            }
            if valid.chunks_exact(actions).any(|row| !row.contains(&true)) {
                return Err(PolicyError::Observation("the mask allows no action".into()));
            }
        }
        let mut values = observations.to_vec();
        if let Some(normalization) = &self.normalization {
            normalization.observations(&mut values);
        }
        let observed = Observed {
            values: &values,
            num_envs: n,
            masks: valid,
        };
        let mut acted = self.trained.actor().act_masked(observed, mode)?;
        if let (ActionBatch::Continuous(v), Space::Box(bounds)) =
            (&mut acted.actions, &self.action_space)
        {
            for row in v.chunks_exact_mut(bounds.flat_dim().max(1)) {
                bounds.clip(row);
            }
        }
        Ok(acted)
    }
}

impl Actor for Policy {
    type Error = PolicyError;

    /// Raw observations of `num_envs` environments (and their masks) in, actions out:
    /// [`Policy::predict_batch`] (greedy) and [`Policy::sample`]'s draws (exploring; random
    /// actions are drawn by exploring too).
    fn act_masked(&mut self, observed: Observed<'_>, mode: ActMode) -> Result<Acted, PolicyError> {
        let mode = match mode {
            ActMode::Greedy => ActMode::Greedy,
            ActMode::Explore | ActMode::Random if self.is_stochastic() => ActMode::Explore,
            _ => ActMode::Greedy,
        };
        self.act_checked(observed.values, observed.num_envs, observed.masks, mode)
    }
}

/// The snapshot directory `path` names: itself when it holds a snapshot (`meta.json`), else
/// the `best` or `latest` snapshot of the run directory `path`.
fn snapshot_dir(path: &Path) -> Result<PathBuf, PolicyError> {
    if is_snapshot(path) {
        return Ok(path.to_path_buf());
    }
    if !path.exists() {
        return Err(PolicyError::Load(format!(
            "{}: no such directory",
            path.display()
        )));
    }
    crate::run::find_snapshot(path, &["best", "latest"]).ok_or_else(|| {
        PolicyError::Load(format!(
            "{}: neither a run directory with a snapshot (snapshots/best or snapshots/latest) \
             nor a snapshot directory (meta.json)",
            path.display()
        ))
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), PolicyError> {
    cinder_train::snapshot::write_atomic(path, bytes).map_err(|e| PolicyError::Load(e.to_string()))
}
