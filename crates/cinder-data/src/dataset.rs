//! Offline datasets: whole episodes of logged experience (Minari's data model), checked once
//! and then sampled as transitions through the replay buffer, so offline targets follow the
//! same Tianshou semantics as online ones (a truncation bootstraps, a termination does not).
//!
//! An episode of `T` steps holds `T + 1` observations (the last is the observation after the
//! last action: the real final observation), `T` actions, rewards, `terminations` and
//! `truncations`. [`record`](crate::record::record) rolls an [`Actor`](cinder_core::Actor) out
//! into a dataset; the on-disk formats live in `cinder-offline`.

use cinder_core::{ActionBatch, Space};
use thiserror::Error;

use crate::replay::{ReplayBuffer, ReplayError, Transitions};

/// What is wrong with a dataset: each names the episode and step where one is at fault (a
/// reader adds the file with [`DatasetError::File`]).
#[derive(Debug, Error)]
pub enum DatasetError {
    /// An error inside a file or directory.
    #[error("{path}: {source}")]
    File {
        /// The file or directory.
        path: String,
        /// What is wrong in it.
        source: Box<DatasetError>,
    },
    /// The bytes do not hold a dataset of the expected layout.
    #[error("{0}")]
    Format(String),
    /// The dataset holds no transition.
    #[error("the dataset holds no transitions")]
    Empty,
    /// An episode whose arrays disagree.
    #[error("episode {episode}: {what}")]
    Episode {
        /// The episode's index.
        episode: usize,
        /// What is wrong.
        what: String,
    },
    /// A bad value at one step.
    #[error("episode {episode}, step {step}: {what}")]
    Step {
        /// The episode's index.
        episode: usize,
        /// The step within it.
        step: usize,
        /// What is wrong.
        what: String,
    },
    /// The dataset's spaces are not the environment's.
    #[error("the dataset's {what} ({dataset}) does not match the environment's ({env})")]
    Mismatch {
        /// `observation space` or `action space`.
        what: &'static str,
        /// The dataset's.
        dataset: String,
        /// The environment's.
        env: String,
    },
    /// The replay buffer refused the transitions.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl DatasetError {
    /// This error, located in `path`.
    pub fn in_file(self, path: impl std::fmt::Display) -> Self {
        DatasetError::File {
            path: path.to_string(),
            source: Box::new(self),
        }
    }
}

/// One episode of logged experience.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    /// `(T + 1) × obs_dim` observations, the last one after the last action.
    pub observations: Vec<f32>,
    /// `T` actions.
    pub actions: ActionBatch,
    /// `T` rewards (f64: Minari stores them so).
    pub rewards: Vec<f64>,
    /// `T` flags: the step reached a terminal state (no bootstrap).
    pub terminations: Vec<bool>,
    /// `T` flags: the episode was cut after the step (time limit; bootstraps).
    pub truncations: Vec<bool>,
    /// The seed the episode's reset took, where known.
    pub seed: Option<u64>,
}

impl Episode {
    /// Steps `T`.
    pub fn len(&self) -> usize {
        self.rewards.len()
    }

    /// Whether the episode has no step.
    pub fn is_empty(&self) -> bool {
        self.rewards.is_empty()
    }

    /// The undiscounted return.
    pub fn episode_return(&self) -> f64 {
        self.rewards.iter().sum()
    }
}

/// Where a dataset came from (Minari's dataset metadata).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provenance {
    /// Minari's `dataset_id` (`namespace/name-vN`).
    pub dataset_id: Option<String>,
    /// The policy or algorithm that acted.
    pub algorithm_name: Option<String>,
    /// Who made it.
    pub author: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Link to the code that made it.
    pub code_permalink: Option<String>,
    /// The library (and version) that wrote it, e.g. `minari 0.5.4`.
    pub writer: Option<String>,
}

/// Episodes of one environment with their spaces and provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The environment's id (Gymnasium's), where known.
    pub env_id: Option<String>,
    /// Space of the observations.
    pub observation_space: Space,
    /// Space of the actions.
    pub action_space: Space,
    /// The episodes, in order.
    pub episodes: Vec<Episode>,
    /// Where it came from.
    pub provenance: Provenance,
}

/// Return and length statistics of a dataset's episodes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReturnStats {
    /// Mean return.
    pub mean: f64,
    /// Population standard deviation of the returns.
    pub std: f64,
    /// Lowest return.
    pub min: f64,
    /// Highest return.
    pub max: f64,
    /// Mean episode length.
    pub mean_length: f64,
    /// Episodes that ended in a terminal state.
    pub terminated: usize,
    /// Episodes cut by a time limit or the end of collection.
    pub truncated: usize,
}

impl Dataset {
    /// Transitions over all episodes.
    pub fn num_steps(&self) -> usize {
        self.episodes.iter().map(Episode::len).sum()
    }

    /// Values per observation.
    pub fn observation_dim(&self) -> usize {
        self.observation_space.flat_dim()
    }

    /// Checks every episode: array lengths, at least one step, termination or truncation
    /// only at the last step, finite observations and rewards, actions inside the action
    /// space. A dataset is used only after this passed.
    pub fn validate(&self) -> Result<(), DatasetError> {
        if self.num_steps() == 0 {
            return Err(DatasetError::Empty);
        }
        let dim = self.observation_dim();
        for (e, episode) in self.episodes.iter().enumerate() {
            let steps = episode.len();
            let shape = |what: String| DatasetError::Episode { episode: e, what };
            if steps == 0 {
                return Err(shape("no steps".into()));
            }
            let actions = match &episode.actions {
                ActionBatch::Discrete(a) => a.len(),
                ActionBatch::Continuous(a) => a.len() / self.action_space.flat_dim().max(1),
            };
            let lengths = [
                (
                    "observations",
                    episode.observations.len(),
                    (steps + 1) * dim,
                ),
                ("actions", actions, steps),
                ("terminations", episode.terminations.len(), steps),
                ("truncations", episode.truncations.len(), steps),
            ];
            for (name, got, expected) in lengths {
                if got != expected {
                    return Err(shape(format!(
                        "{name} has {got} values, expected {expected} for {steps} steps"
                    )));
                }
            }
            let step = |step: usize, what: String| DatasetError::Step {
                episode: e,
                step,
                what,
            };
            for t in 0..steps {
                if t + 1 < steps && (episode.terminations[t] || episode.truncations[t]) {
                    return Err(step(t, "the episode ends before its last step".into()));
                }
                if !episode.rewards[t].is_finite() {
                    return Err(step(t, format!("non-finite reward {}", episode.rewards[t])));
                }
                self.check_action(&episode.actions, t)
                    .map_err(|what| step(t, what))?;
            }
            for (t, row) in episode.observations.chunks_exact(dim.max(1)).enumerate() {
                if let Some(v) = row.iter().find(|v| !v.is_finite()) {
                    return Err(step(t, format!("non-finite observation value {v}")));
                }
            }
        }
        Ok(())
    }

    /// Checks that action `t` of `actions` lies in the action space.
    fn check_action(&self, actions: &ActionBatch, t: usize) -> Result<(), String> {
        match (&self.action_space, actions) {
            (Space::Discrete(space), ActionBatch::Discrete(a)) if space.contains(a[t]) => Ok(()),
            (Space::Discrete(space), ActionBatch::Discrete(a)) => Err(format!(
                "action {} is outside the action space {space}",
                a[t]
            )),
            (Space::Box(space), ActionBatch::Continuous(a)) => {
                let d = space.flat_dim();
                let row = &a[t * d..(t + 1) * d];
                if space.contains(row) {
                    Ok(())
                } else {
                    Err(format!(
                        "action {row:?} is outside the action space {space}"
                    ))
                }
            }
            (space, _) => Err(format!(
                "the actions' kind does not match the action space {space}"
            )),
        }
    }

    /// Checks that the dataset was made in an environment with these spaces: the same
    /// observation shape, the same kind and number of actions, the same action bounds.
    pub fn check_spaces(
        &self,
        observation_space: &Space,
        action_space: &Space,
    ) -> Result<(), DatasetError> {
        let same_observations = match (&self.observation_space, observation_space) {
            (Space::Box(a), Space::Box(b)) => a.shape() == b.shape(),
            (a, b) => a == b,
        };
        if !same_observations {
            return Err(DatasetError::Mismatch {
                what: "observation space",
                dataset: self.observation_space.to_string(),
                env: observation_space.to_string(),
            });
        }
        if &self.action_space != action_space {
            return Err(DatasetError::Mismatch {
                what: "action space",
                dataset: self.action_space.to_string(),
                env: action_space.to_string(),
            });
        }
        Ok(())
    }

    /// Return and length statistics over the episodes.
    pub fn return_stats(&self) -> ReturnStats {
        let returns: Vec<f64> = self.episodes.iter().map(Episode::episode_return).collect();
        let n = returns.len().max(1) as f64;
        let mean = returns.iter().sum::<f64>() / n;
        let var = returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n;
        let terminated = self
            .episodes
            .iter()
            .filter(|e| e.terminations.last() == Some(&true))
            .count();
        ReturnStats {
            mean,
            std: var.sqrt(),
            min: returns.iter().copied().fold(f64::INFINITY, f64::min),
            max: returns.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            mean_length: self.num_steps() as f64 / n,
            terminated,
            truncated: self.episodes.len() - terminated,
        }
    }

    /// Mean and standard deviation of the rewards of every transition.
    pub fn reward_moments(&self) -> (f64, f64) {
        let n = self.num_steps().max(1) as f64;
        let rewards = || self.episodes.iter().flat_map(|e| e.rewards.iter());
        let mean = rewards().sum::<f64>() / n;
        let var = rewards().map(|r| (r - mean).powi(2)).sum::<f64>() / n;
        (mean, var.sqrt())
    }

    /// Every transition in a one-stream [`ReplayBuffer`] of exactly their number, episode after
    /// episode, so that sampling and n-step targets are the replay buffer's. An episode whose
    /// last step neither terminated nor was truncated (collection stopped inside it) is stored
    /// as truncated: its targets bootstrap. With `normalize_rewards`, rewards are stored as
    /// `(r − μ) / σ` over the dataset (Tianshou's `reward_normalization`; σ < 1e-6 leaves
    /// them centred only). Validates the dataset first.
    pub fn to_replay(&self, normalize_rewards: bool) -> Result<ReplayBuffer, DatasetError> {
        self.validate()?;
        let (mean, std) = if normalize_rewards {
            let (mean, std) = self.reward_moments();
            (mean, if std < 1e-6 { 1.0 } else { std })
        } else {
            (0.0, 1.0)
        };
        let dim = self.observation_dim();
        let mut buffer = ReplayBuffer::new(self.num_steps(), 1, dim, &self.action_space)?;
        for episode in &self.episodes {
            let last = episode.len() - 1;
            for t in 0..episode.len() {
                let action = match &episode.actions {
                    ActionBatch::Discrete(a) => ActionBatch::Discrete(vec![a[t]]),
                    ActionBatch::Continuous(a) => {
                        let d = self.action_space.flat_dim();
                        ActionBatch::Continuous(a[t * d..(t + 1) * d].to_vec())
                    }
                };
                let terminated = episode.terminations[t];
                let truncated = episode.truncations[t] || (t == last && !terminated);
                buffer.push(Transitions {
                    observations: &episode.observations[t * dim..(t + 1) * dim],
                    actions: &action,
                    rewards: &[(episode.rewards[t] - mean) / std],
                    next_observations: &episode.observations[(t + 1) * dim..(t + 2) * dim],
                    terminated: &[terminated],
                    truncated: &[truncated],
                    next_masks: None,
                })?;
            }
        }
        Ok(buffer)
    }
}
