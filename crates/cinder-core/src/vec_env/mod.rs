//! A batch of environments stepped together, with same-step autoreset.
//!
//! [`VecEnv::step`] steps every environment; one whose episode ends (terminated or truncated)
//! is reset at once, so [`VecStep::observations`] always holds observations to act on next,
//! while [`VecStep::final_observations`] keeps the last observation of each finished episode:
//! the state a truncated episode must bootstrap from. This is the "same-step" autoreset of
//! Stable-Baselines3 and Gymnasium's `AutoresetMode.SAME_STEP`. All buffers are flat,
//! struct-of-arrays and reused across steps.
//!
//! With [`VecEnv::with_num_workers`], `num_workers` threads step disjoint, contiguous slices of
//! the environments. Each environment owns its random stream, so the results are the same for
//! any number of workers.

use crate::env::Env;
use crate::error::EnvError;
use crate::normalize::Normalization;
use crate::seeding::sub_seed;
use crate::space::Space;

mod saved;
mod stepping;

pub use stepping::join_all;
use stepping::{Outputs, Slice, Slot};

pub use crate::actions::{ActionBatch, Actions};

/// Return and length of an episode that finished during a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpisodeRecord {
    /// Index of the environment in the [`VecEnv`].
    pub env_index: usize,
    /// Undiscounted sum of rewards.
    pub episode_return: f64,
    /// Number of steps.
    pub length: usize,
    /// Whether it ended by termination (else by truncation).
    pub terminated: bool,
}

/// The result of [`VecEnv::step`], borrowed from the vector environment's buffers.
#[derive(Debug, Clone, Copy)]
pub struct VecStep<'a> {
    /// `num_envs × obs_dim` observations to act on next (reset observations where an episode
    /// ended).
    pub observations: &'a [f32],
    /// One reward per environment.
    pub rewards: &'a [f64],
    /// One `terminated` flag per environment.
    pub terminated: &'a [bool],
    /// One `truncated` flag per environment.
    pub truncated: &'a [bool],
    /// `num_envs × obs_dim`: row `i` is the last observation of the episode environment `i`
    /// just finished, meaningful only where `terminated[i] || truncated[i]`.
    pub final_observations: &'a [f32],
    /// The episodes that finished in this step.
    pub finished_episodes: &'a [EpisodeRecord],
    /// The valid actions in the states to act on next ([`VecEnv::action_masks`]).
    pub action_masks: Option<&'a [bool]>,
    /// `observations` before normalisation ([`VecEnv::with_normalization`]; the same slice
    /// without it).
    pub unnormalized_observations: &'a [f32],
    /// `final_observations` before normalisation.
    pub unnormalized_final_observations: &'a [f32],
}

impl<'a> VecStep<'a> {
    /// This step with its observations before normalisation (rewards and flags as they are).
    pub fn unnormalized(&self) -> VecStep<'a> {
        VecStep {
            observations: self.unnormalized_observations,
            final_observations: self.unnormalized_final_observations,
            ..*self
        }
    }

    /// Writes each environment's true next observation into `next` (`num_envs × obs_dim`):
    /// the final observation where its episode ended, else the one to act on next.
    pub fn next_observations_into(&self, next: &mut [f32]) {
        let dim = self.observations.len() / self.rewards.len().max(1);
        for (i, row) in next.chunks_exact_mut(dim.max(1)).enumerate() {
            let ended = self.terminated[i] || self.truncated[i];
            let source = if ended {
                self.final_observations
            } else {
                self.observations
            };
            row.copy_from_slice(&source[i * dim..(i + 1) * dim]);
        }
    }
}

/// N environments of one kind, stepped as a batch.
pub struct VecEnv {
    slots: Vec<Slot>,
    observation_dim: usize,
    action_dim: usize,
    num_workers: usize,
    observations: Vec<f32>,
    final_observations: Vec<f32>,
    rewards: Vec<f64>,
    terminated: Vec<bool>,
    truncated: Vec<bool>,
    finished: Vec<EpisodeRecord>,
    needs_reset: bool,
    /// The error of a reset observation, returned by the next `step`.
    broken_reset: Option<EnvError>,
    normalization: Option<Normalization>,
    /// With normalisation: `observations` and `final_observations` as the environments
    /// returned them (what a replay memory stores, normalised when sampled); else empty.
    unnormalized: Vec<f32>,
    unnormalized_finals: Vec<f32>,
    /// `num_envs × n` valid-action flags of a discrete action space (empty for a box).
    masks: Vec<bool>,
    /// Whether some flag of `masks` is false.
    masked: bool,
}

impl VecEnv {
    /// Batches `envs`, which must be non-empty and share their observation and action spaces.
    pub fn new(envs: Vec<Box<dyn Env>>) -> Result<Self, EnvError> {
        let first = envs.first().ok_or_else(|| EnvError::IncompatibleEnv {
            context: "VecEnv".to_string(),
            reason: "needs at least one environment".to_string(),
        })?;
        if let Some(other) = envs.iter().find(|e| {
            e.observation_space() != first.observation_space()
                || e.action_space() != first.action_space()
        }) {
            return Err(EnvError::IncompatibleEnv {
                context: "VecEnv".to_string(),
                reason: format!(
                    "all environments must share their spaces; {} has {} / {} but {} has {} / {}",
                    first.id(),
                    first.observation_space(),
                    first.action_space(),
                    other.id(),
                    other.observation_space(),
                    other.action_space()
                ),
            });
        }
        let n = envs.len();
        let masks = match first.action_space() {
            Space::Discrete(d) => vec![true; n * d.n()],
            Space::Box(_) => Vec::new(),
        };
        let observation_dim = first.observation_dim();
        let action_dim = first.action_space().flat_dim();
        Ok(Self {
            slots: envs
                .into_iter()
                .map(|env| Slot {
                    env,
                    episode_return: 0.0,
                    episode_length: 0,
                })
                .collect(),
            observation_dim,
            action_dim,
            num_workers: 1,
            observations: vec![0.0; n * observation_dim],
            final_observations: vec![0.0; n * observation_dim],
            rewards: vec![0.0; n],
            terminated: vec![false; n],
            truncated: vec![false; n],
            finished: Vec::with_capacity(n),
            needs_reset: true,
            broken_reset: None,
            normalization: None,
            unnormalized: Vec::new(),
            unnormalized_finals: Vec::new(),
            masks,
            masked: false,
        })
    }

    /// Builds `num_envs` environments with `make(index)`.
    pub fn from_fn<F>(num_envs: usize, make: F) -> Result<Self, EnvError>
    where
        F: FnMut(usize) -> Result<Box<dyn Env>, EnvError>,
    {
        Self::new((0..num_envs).map(make).collect::<Result<_, _>>()?)
    }

    /// Steps the environments on `num_workers` threads (at least 1, at most one per
    /// environment), each owning a contiguous slice. Threads pay off for environments whose
    /// step costs microseconds; the classic-control ones are faster on one.
    pub fn with_num_workers(mut self, num_workers: usize) -> Result<Self, EnvError> {
        if num_workers == 0 {
            return Err(EnvError::IncompatibleEnv {
                context: "VecEnv".to_string(),
                reason: "num_workers must be at least 1".to_string(),
            });
        }
        self.num_workers = num_workers.min(self.slots.len());
        Ok(self)
    }

    /// Number of environments.
    pub fn num_envs(&self) -> usize {
        self.slots.len()
    }

    /// Number of worker threads that step the environments.
    pub fn num_workers(&self) -> usize {
        self.num_workers
    }

    /// Values in one observation.
    pub fn observation_dim(&self) -> usize {
        self.observation_dim
    }

    /// The shared observation space.
    pub fn observation_space(&self) -> &Space {
        self.slots[0].env.observation_space()
    }

    /// The shared action space.
    pub fn action_space(&self) -> &Space {
        self.slots[0].env.action_space()
    }

    /// Environment `index`, e.g. to read its state.
    pub fn env(&self, index: usize) -> Option<&dyn Env> {
        self.slots.get(index).map(|slot| slot.env.as_ref())
    }

    /// Resets every environment and returns the `num_envs × obs_dim` first observations.
    /// `Some(seed)` seeds environment `i` with `seed + i`.
    pub fn reset(&mut self, seed: Option<u64>) -> &[f32] {
        let dim = self.observation_dim;
        for (i, (slot, obs)) in self
            .slots
            .iter_mut()
            .zip(self.observations.chunks_exact_mut(dim))
            .enumerate()
        {
            let reset = slot.reset_into(i, seed.map(|s| sub_seed(s, i)), obs);
            if let Err(e) = reset {
                self.broken_reset.get_or_insert(e);
            }
        }
        if let Some(normalization) = &mut self.normalization {
            self.unnormalized.copy_from_slice(&self.observations);
            normalization.reset(&mut self.observations, self.slots.len());
        }
        if let Err(e) = self.refresh_masks() {
            self.broken_reset.get_or_insert(e);
        }
        self.needs_reset = false;
        &self.observations
    }

    /// The valid actions of every environment in its current state (`num_envs × n` flags,
    /// [`Env::action_mask`]), when the action space is discrete and some action is invalid;
    /// `None` when every action is valid.
    pub fn action_masks(&self) -> Option<&[bool]> {
        self.masked.then_some(&self.masks[..])
    }

    /// Reads every environment's valid actions; an environment that allows none is an error.
    fn refresh_masks(&mut self) -> Result<(), EnvError> {
        if self.masks.is_empty() {
            return Ok(());
        }
        let n = self.masks.len() / self.slots.len();
        for (i, (slot, mask)) in self
            .slots
            .iter()
            .zip(self.masks.chunks_exact_mut(n))
            .enumerate()
        {
            slot.env.action_mask(mask);
            if !mask.contains(&true) {
                return Err(EnvError::NoValidAction {
                    env: slot.env.id().to_string(),
                    when: slot.when(i),
                });
            }
        }
        self.masked = self.masks.contains(&false);
        Ok(())
    }

    /// The same environments with their observations and rewards normalised by
    /// `normalization` (see [`crate::normalize`]), whose statistics must have this vector's
    /// observation size.
    pub fn with_normalization(mut self, normalization: Normalization) -> Result<Self, EnvError> {
        let dim = normalization.stats().observations.dim();
        if dim != self.observation_dim {
            return Err(EnvError::IncompatibleEnv {
                context: self.context(),
                reason: format!(
                    "normalisation statistics of {dim} values for observations of {}",
                    self.observation_dim
                ),
            });
        }
        self.normalization = Some(normalization);
        self.unnormalized = self.observations.clone();
        self.unnormalized_finals = self.final_observations.clone();
        self.needs_reset = true;
        Ok(self)
    }

    /// The normalisation of the observations and rewards, if any.
    pub fn normalization(&self) -> Option<&Normalization> {
        self.normalization.as_ref()
    }

    /// The normalisation, to restore it.
    pub fn normalization_mut(&mut self) -> Option<&mut Normalization> {
        self.normalization.as_mut()
    }

    /// Steps every environment with its action and resets those whose episode ended.
    ///
    /// The whole batch of actions is checked (count, discrete indices, NaN) before any
    /// environment moves, so a malformed batch leaves every environment where it was.
    pub fn step(&mut self, actions: Actions<'_>) -> Result<VecStep<'_>, EnvError> {
        if self.needs_reset {
            return Err(EnvError::ResetNeeded {
                env: format!("VecEnv({})", self.slots[0].env.id()),
            });
        }
        if let Some(e) = self.broken_reset.take() {
            self.needs_reset = true;
            return Err(e);
        }
        self.check_batch(actions)?;
        let (dim, action_dim) = (self.observation_dim, self.action_dim);
        self.finished.clear();
        if self.num_workers == 1 {
            let everything = Outputs {
                observations: &mut self.observations,
                final_observations: &mut self.final_observations,
                rewards: &mut self.rewards,
                terminated: &mut self.terminated,
                truncated: &mut self.truncated,
            };
            let step = Slice {
                first: 0,
                actions,
                dim,
                action_dim,
            };
            step.run(&mut self.slots, everything, &mut self.finished)?;
        } else {
            let per_worker = self.slots.len().div_ceil(self.num_workers);
            let chunks = self
                .slots
                .chunks_mut(per_worker)
                .zip(self.observations.chunks_mut(per_worker * dim))
                .zip(self.final_observations.chunks_mut(per_worker * dim))
                .zip(self.rewards.chunks_mut(per_worker))
                .zip(self.terminated.chunks_mut(per_worker))
                .zip(self.truncated.chunks_mut(per_worker))
                .enumerate();
            let results: Vec<Result<Vec<EpisodeRecord>, EnvError>> = std::thread::scope(|scope| {
                let handles: Vec<_> = chunks
                    .map(
                        |(w, (((((slots, obs), finals), rewards), terminated), truncated))| {
                            let out = Outputs {
                                observations: obs,
                                final_observations: finals,
                                rewards,
                                terminated,
                                truncated,
                            };
                            let step = Slice {
                                first: w * per_worker,
                                actions,
                                dim,
                                action_dim,
                            };
                            scope.spawn(move || {
                                let mut finished = Vec::new();
                                step.run(slots, out, &mut finished).map(|()| finished)
                            })
                        },
                    )
                    .collect();
                join_all(handles)
            });
            for records in results {
                self.finished.extend(records?);
            }
        }
        if let Some(normalization) = &mut self.normalization {
            self.unnormalized.copy_from_slice(&self.observations);
            self.unnormalized_finals
                .copy_from_slice(&self.final_observations);
            let (terminated, truncated) = (&self.terminated, &self.truncated);
            normalization.step(
                &mut self.observations,
                &mut self.final_observations,
                &mut self.rewards,
                |i| terminated[i] || truncated[i],
            );
        }
        self.refresh_masks()?;
        Ok(VecStep {
            observations: &self.observations,
            rewards: &self.rewards,
            terminated: &self.terminated,
            truncated: &self.truncated,
            final_observations: &self.final_observations,
            finished_episodes: &self.finished,
            action_masks: self.action_masks(),
            unnormalized_observations: self.unnormalized_observations(),
            unnormalized_final_observations: match self.normalization {
                Some(_) => &self.unnormalized_finals,
                None => &self.final_observations,
            },
        })
    }

    /// [`VecEnv::observations`] as the environments returned them, before normalisation
    /// (the same slice without it).
    pub fn unnormalized_observations(&self) -> &[f32] {
        match self.normalization {
            Some(_) => &self.unnormalized,
            None => &self.observations,
        }
    }

    /// The observations to act on next (`num_envs × obs_dim`, as the last reset or step
    /// returned them).
    pub fn observations(&self) -> &[f32] {
        &self.observations
    }

    /// `VecEnv(<n> x <id>)`, how errors name the vector environment.
    fn context(&self) -> String {
        format!("VecEnv({} x {})", self.slots.len(), self.slots[0].env.id())
    }

    /// An error naming the first environment whose discrete action its mask forbids.
    fn check_masks(&self, actions: Actions<'_>) -> Result<(), EnvError> {
        let (Actions::Discrete(chosen), true) = (actions, self.masked) else {
            return Ok(());
        };
        let n = self.masks.len() / self.slots.len();
        match chosen
            .iter()
            .enumerate()
            .find(|&(i, &a)| !self.masks[i * n + a])
        {
            None => Ok(()),
            Some((i, &a)) => Err(EnvError::InvalidAction {
                env: self.slots[i].env.id().to_string(),
                action: format!("{a} (environment {i})"),
                space: format!("its valid actions now (the mask forbids {a})"),
            }),
        }
    }

    fn check_batch(&self, actions: Actions<'_>) -> Result<(), EnvError> {
        let n = self.slots.len();
        let space = self.action_space();
        let well_formed = match (actions, space) {
            (Actions::Discrete(a), Space::Discrete(d)) => {
                a.len() == n && a.iter().all(|&i| d.contains(i))
            }
            (Actions::Continuous(a), Space::Box(_)) => {
                a.len() == n * self.action_dim && a.iter().all(|x| !x.is_nan())
            }
            _ => false,
        };
        if well_formed {
            return self.check_masks(actions);
        }
        let shown = match actions {
            Actions::Discrete(a) => format!("{} discrete actions {a:?}", a.len()),
            Actions::Continuous(a) => format!("{} continuous values {a:?}", a.len()),
        };
        Err(EnvError::InvalidAction {
            env: self.context(),
            action: shown,
            space: format!("{n} x {space}"),
        })
    }
}
