//! The replay-based iteration, written once for DQL, DDPG and SAC (Pyrado's `ValueBased`):
//! fill the memory with random actions, then each iteration step the environments with the
//! exploring policy, store the transitions, run a number of minibatch updates and copy the
//! new weights to the acting networks. Statistics stay on the learning device until the end of
//! the iteration (one read-back), unless prioritized replay needs each update's TD errors.

use burn::tensor::Tensor;
use cinder_core::seeding::{EnvRng, rng_from_seed};
use cinder_core::train::{Algorithm, Iteration, Metric, Snapshot};
use cinder_core::{ActionBatch, EpisodeRecord, VecEnv};
use cinder_data::{NStep, PrioritizedConfig, ReplayBatch, ReplayBuffer};
use cinder_nn::tensors::read_floats;

use crate::error::{OffPolicyError, check};
use crate::memory::Memory;

/// The snapshot file holding the replay memory (written only when asked).
pub const REPLAY_FILE: &str = "replay.bin";

/// How actions are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActMode {
    /// Uniformly at random (allowed actions only): the initial memory fill.
    Random,
    /// The behaviour policy: ε-greedy, noisy or sampled.
    Explore,
    /// The deterministic policy: evaluation.
    Greedy,
}

/// What one minibatch update leaves on the learning device.
pub struct Learned {
    /// Detached statistics, in the order of [`OffPolicyLearner::stat_names`].
    pub stats: Tensor<1>,
    /// `|δ|` per row for prioritized replay (read back only when it is used).
    pub td_errors: Tensor<1>,
}

/// The part of an off-policy algorithm that differs between DQL, DDPG and SAC.
pub trait OffPolicyLearner {
    /// Actions for `num_envs` observations, inside the action space.
    fn act(
        &mut self,
        observations: &[f32],
        num_envs: usize,
        mode: ActMode,
        progress: f64,
    ) -> Result<ActionBatch, OffPolicyError>;

    /// One gradient update from a minibatch.
    fn update(&mut self, batch: &ReplayBatch, progress: f64) -> Result<Learned, OffPolicyError>;

    /// Names of the values in [`Learned::stats`].
    fn stat_names(&self) -> &'static [&'static str];

    /// Values that follow a schedule (ε, learning rate, entropy coefficient) for logging.
    fn schedule_metrics(&self, progress: f64) -> Vec<Metric>;

    /// Called once at the end of every iteration: copies the trained weights to the acting
    /// networks and advances per-iteration schedules.
    fn end_iteration(&mut self);

    /// Adds the weights and optimiser states to `snapshot`.
    fn save(&self, snapshot: &mut Snapshot) -> Result<(), OffPolicyError>;

    /// Restores what [`OffPolicyLearner::save`] stored.
    fn load(&mut self, snapshot: &Snapshot) -> Result<(), OffPolicyError>;
}

/// The replay-loop parameters every off-policy algorithm shares (Pyrado's `ValueBased`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayConfig {
    /// Transitions the replay memory holds (Pyrado `memory_size`).
    pub memory_size: usize,
    /// Environment steps (over all environments) per iteration (Pyrado `min_steps`, SB3
    /// `train_freq`).
    pub min_steps: usize,
    /// Gradient updates per iteration (Pyrado `num_updates_per_step`, SB3 `gradient_steps`).
    pub num_updates_per_step: usize,
    /// Random-action transitions stored before learning starts (Pyrado
    /// `num_init_memory_steps`, SB3 `learning_starts`); at least `batch_size`, so every
    /// iteration updates and logs the same statistics.
    pub num_init_memory_steps: usize,
    /// Transitions per minibatch.
    pub batch_size: usize,
    /// Discount factor γ.
    pub gamma: f64,
    /// Look-ahead of the targets (Tianshou `estimation_step`); 1 is the one-step TD target.
    pub n_step: usize,
    /// Prioritized replay exponents, or uniform replay.
    pub prioritized: Option<PrioritizedConfig>,
    /// Whether snapshots include the replay memory (`--save-buffer`).
    pub save_buffer: bool,
    /// Fill (or, after resuming without a saved memory, refill) the memory up to
    /// `num_init_memory_steps` with the exploring policy instead of uniformly random actions
    /// (Pyrado `use_trained_policy_for_refill`).
    pub use_trained_policy_for_refill: bool,
}

impl ReplayConfig {
    /// Checks every parameter against the others.
    pub fn validate(&self) -> Result<(), OffPolicyError> {
        let size = |name, v: usize, ok: bool, expected| check(name, v as f64, ok, expected);
        size(
            "memory_size",
            self.memory_size,
            self.memory_size > 0,
            "at least 1",
        )?;
        size(
            "min_steps",
            self.min_steps,
            self.min_steps > 0,
            "at least 1",
        )?;
        size(
            "batch_size",
            self.batch_size,
            self.batch_size > 0 && self.batch_size <= self.memory_size,
            "between 1 and memory_size (the buffer cannot supply more)",
        )?;
        size(
            "num_init_memory_steps",
            self.num_init_memory_steps,
            self.num_init_memory_steps >= self.batch_size,
            "at least batch_size, so that the first iteration can draw a minibatch",
        )?;
        size(
            "num_updates_per_step",
            self.num_updates_per_step,
            self.num_updates_per_step > 0,
            "at least 1",
        )?;
        size("n_step", self.n_step, self.n_step > 0, "at least 1")?;
        check(
            "gamma",
            self.gamma,
            (0.0..=1.0).contains(&self.gamma),
            "in [0, 1]",
        )?;
        if let Some(p) = &self.prioritized {
            p.validate()?;
        }
        Ok(())
    }
}

/// An off-policy algorithm ready for the training loop.
pub struct OffPolicy<L> {
    learner: L,
    envs: VecEnv,
    memory: Memory,
    config: ReplayConfig,
    nstep: NStep,
    rng: EnvRng,
    observations: Vec<f32>,
    next_observations: Vec<f32>,
    env_steps: usize,
}

impl<L: OffPolicyLearner> OffPolicy<L> {
    /// Trains `learner` on `envs` (reset with `seed`; the minibatch sampler is seeded from it
    /// too).
    pub fn new(
        learner: L,
        mut envs: VecEnv,
        config: ReplayConfig,
        seed: u64,
    ) -> Result<Self, OffPolicyError> {
        config.validate()?;
        if config.memory_size < envs.num_envs() {
            return Err(OffPolicyError::InvalidParameter {
                name: "memory_size",
                value: config.memory_size.to_string(),
                expected: "at least the number of environments",
            });
        }
        let buffer = ReplayBuffer::new(
            config.memory_size,
            envs.num_envs(),
            envs.observation_dim(),
            envs.action_space(),
        )?;
        let capacity = buffer.capacity();
        for (name, value) in [
            ("batch_size", config.batch_size),
            ("num_init_memory_steps", config.num_init_memory_steps),
        ] {
            check(
                name,
                value as f64,
                value <= capacity,
                "at most the replay capacity (memory_size rounded down to whole steps of all \
                 environments)",
            )?;
        }
        let memory = Memory::new(buffer, config.prioritized)?;
        let observations = envs.reset(Some(seed)).to_vec();
        Ok(Self {
            learner,
            next_observations: vec![0.0; observations.len()],
            observations,
            memory,
            nstep: NStep::new(config.n_step, config.gamma)?,
            config,
            rng: rng_from_seed(seed ^ 0x5EED_0FF0),
            envs,
            env_steps: 0,
        })
    }

    /// The learner.
    pub fn learner(&self) -> &L {
        &self.learner
    }

    /// The replay memory.
    pub fn memory(&self) -> &Memory {
        &self.memory
    }

    /// Steps every environment `lockstep` times with actions chosen by `mode`, storing the
    /// transitions; returns the transitions taken.
    fn collect(
        &mut self,
        lockstep: usize,
        mode: ActMode,
        progress: f64,
        episodes: &mut Vec<EpisodeRecord>,
    ) -> Result<usize, OffPolicyError> {
        let n = self.envs.num_envs();
        let dim = self.envs.observation_dim();
        for _ in 0..lockstep {
            let actions = self.learner.act(&self.observations, n, mode, progress)?;
            let step = self.envs.step(actions.as_actions())?;
            for i in 0..n {
                let row = i * dim..(i + 1) * dim;
                let source = if step.terminated[i] || step.truncated[i] {
                    &step.final_observations[row.clone()]
                } else {
                    &step.observations[row.clone()]
                };
                self.next_observations[row].copy_from_slice(source);
            }
            self.memory
                .push(
                    &self.observations,
                    &actions,
                    step.rewards,
                    &self.next_observations,
                    step.terminated,
                    step.truncated,
                )
                .map_err(|source| OffPolicyError::Transition {
                    step: self.env_steps,
                    source,
                })?;
            episodes.extend_from_slice(step.finished_episodes);
            self.observations.copy_from_slice(step.observations);
            self.env_steps += n;
        }
        Ok(lockstep * n)
    }
}

impl<L: OffPolicyLearner> Algorithm for OffPolicy<L> {
    type Error = OffPolicyError;

    fn iterate(&mut self, progress: f64) -> Result<Iteration, OffPolicyError> {
        let n = self.envs.num_envs();
        let mut episodes = Vec::new();
        let mut steps = 0;
        let missing = self
            .config
            .num_init_memory_steps
            .saturating_sub(self.memory.len());
        if missing > 0 {
            let refill = if self.config.use_trained_policy_for_refill {
                ActMode::Explore
            } else {
                ActMode::Random
            };
            steps += self.collect(missing.div_ceil(n), refill, progress, &mut episodes)?;
        }
        steps += self.collect(
            self.config.min_steps.div_ceil(n),
            ActMode::Explore,
            progress,
            &mut episodes,
        )?;

        let mut sums: Option<Tensor<1>> = None;
        let mut updates = 0;
        if self.memory.len() >= self.config.batch_size {
            for _ in 0..self.config.num_updates_per_step {
                let batch = self.memory.sample(
                    self.config.batch_size,
                    self.nstep,
                    progress,
                    &mut self.rng,
                )?;
                let learned = self.learner.update(&batch, progress)?;
                if self.memory.wants_td_errors() {
                    let td = read_floats(learned.td_errors)?;
                    self.memory.update_priorities(&batch.indices, &td)?;
                }
                sums = Some(match sums.take() {
                    Some(sum) => sum + learned.stats,
                    None => learned.stats,
                });
                updates += 1;
            }
        }
        self.learner.end_iteration();

        let mut metrics = Vec::new();
        if let Some(sums) = sums {
            let means = read_floats(sums.div_scalar(updates as f64))?;
            metrics.extend(
                self.learner
                    .stat_names()
                    .iter()
                    .zip(means)
                    .map(|(&name, value)| Metric::new(name, f64::from(value))),
            );
        }
        metrics.extend(self.learner.schedule_metrics(progress));
        metrics.push(Metric::new("updates", updates as f64));
        metrics.push(Metric::new("replay_size", self.memory.len() as f64));
        Ok(Iteration {
            steps,
            episodes,
            metrics,
        })
    }

    fn act_deterministic(
        &mut self,
        observations: &[f32],
        num_envs: usize,
    ) -> Result<ActionBatch, OffPolicyError> {
        self.learner
            .act(observations, num_envs, ActMode::Greedy, 1.0)
    }

    fn snapshot(&self) -> Result<Snapshot, OffPolicyError> {
        let mut snapshot = Snapshot::new();
        self.learner.save(&mut snapshot)?;
        if self.config.save_buffer {
            snapshot.insert(REPLAY_FILE, self.memory.to_bytes());
        }
        Ok(snapshot)
    }

    fn restore(&mut self, snapshot: &Snapshot) -> Result<(), OffPolicyError> {
        if snapshot.names().any(|name| name == REPLAY_FILE) {
            let bytes = snapshot
                .file(REPLAY_FILE)
                .map_err(|e| OffPolicyError::Replay(cinder_data::ReplayError::Corrupt(e)))?;
            let mut memory = self.memory.clone();
            memory.load_bytes(bytes)?;
            self.learner.load(snapshot)?;
            self.memory = memory;
        } else {
            self.learner.load(snapshot)?;
        }
        Ok(())
    }
}

/// A learner's counters (updates, iterations) as little-endian u64s, so schedules resume where
/// they were.
pub(crate) fn counters<const N: usize>(values: &[usize; N]) -> Vec<u8> {
    values
        .iter()
        .flat_map(|&v| (v as u64).to_le_bytes())
        .collect()
}

/// Reads [`counters`] back from `counters.bin`.
pub(crate) fn read_counters<const N: usize>(
    snapshot: &Snapshot,
) -> Result<[usize; N], OffPolicyError> {
    let bytes = snapshot
        .file("counters.bin")
        .map_err(cinder_nn::NnError::Snapshot)?;
    if bytes.len() != 8 * N {
        return Err(cinder_nn::NnError::Snapshot(format!(
            "counters.bin holds {} bytes, expected {}",
            bytes.len(),
            8 * N
        ))
        .into());
    }
    Ok(std::array::from_fn(|i| {
        u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().expect("8 bytes")) as usize
    }))
}
