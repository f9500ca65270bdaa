//! The offline iteration, written once for BC and BCQ: `num_updates_per_iter` minibatch
//! updates from a fixed dataset, no environment step. The dataset's transitions sit in a
//! one-stream replay buffer, so minibatches and n-step targets are exactly the online
//! learners' (Tianshou's semantics). Statistics stay on the learning device until the end of
//! the iteration (one read-back).

use cinder_agent::error::{check_count, check_unit_interval};
use cinder_agent::{AgentError, ReplayLearner, Setup, StatSums};
use cinder_core::seeding::{EnvRng, rng_from_seed};
use cinder_core::{ActionBatch, Actor, Snapshot};
use cinder_data::{Dataset, DatasetError, Lookahead, ReplayBuffer};
use cinder_nn::persist::{load_counters, load_json, save_counters, save_json};
use cinder_train::{Algorithm, Iteration};

/// The snapshot file that identifies the dataset a run learned from.
const DATASET_FILE: &str = "dataset.bin";
/// The snapshot file of the minibatch generator.
const MINIBATCH_RNG_FILE: &str = "minibatch_rng.json";

/// How minibatches are drawn from the dataset (Tianshou's offline trainer and its
/// `compute_nstep_return` parameters).
#[derive(Debug, Clone, PartialEq)]
pub struct OfflineConfig {
    /// Transitions per minibatch.
    pub batch_size: usize,
    /// Gradient updates per iteration (between two evaluations when `eval_every = 1`).
    pub num_updates_per_iter: usize,
    /// Discount factor γ of the targets.
    pub gamma: f64,
    /// Transitions in the n-step targets (Tianshou's `estimation_step`).
    pub estimation_step: usize,
    /// Standardise rewards over the dataset before summing them (Tianshou's
    /// `reward_normalization`).
    pub reward_normalization: bool,
}

impl Default for OfflineConfig {
    /// Tianshou's offline examples: minibatches of 64, 1000 updates between evaluations,
    /// γ = 0.99, one-step targets.
    fn default() -> Self {
        Self {
            batch_size: 64,
            num_updates_per_iter: 1000,
            gamma: 0.99,
            estimation_step: 1,
            reward_normalization: false,
        }
    }
}

impl OfflineConfig {
    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), AgentError> {
        check_count("batch_size", self.batch_size)?;
        check_count("num_updates_per_iter", self.num_updates_per_iter)?;
        check_count("estimation_step", self.estimation_step)?;
        check_unit_interval("gamma", self.gamma)
    }
}

/// An offline algorithm ready for the training loop: a learner and its dataset.
pub struct Offline<L> {
    learner: L,
    buffer: ReplayBuffer,
    config: OfflineConfig,
    lookahead: Lookahead,
    rng: EnvRng,
    fingerprint: [usize; 3],
}

impl<L: ReplayLearner> Offline<L> {
    /// Trains `learner` on `dataset` (validated first; minibatches drawn with `setup`'s seed).
    pub fn new(
        learner: L,
        dataset: &Dataset,
        config: OfflineConfig,
        setup: &Setup,
    ) -> Result<Self, AgentError> {
        let seed = setup.seed;
        config.validate()?;
        let buffer = dataset.to_replay(config.reward_normalization)?;
        buffer.check_batch(config.batch_size)?;
        Ok(Self {
            learner,
            lookahead: Lookahead::new(config.estimation_step, config.gamma)?,
            fingerprint: fingerprint(dataset),
            buffer,
            config,
            rng: rng_from_seed(seed ^ 0x0FF1_1AE5),
        })
    }

    /// The learner.
    pub fn learner(&self) -> &L {
        &self.learner
    }

    /// The dataset's transitions, as sampled.
    pub fn buffer(&self) -> &ReplayBuffer {
        &self.buffer
    }
}

/// Episodes, transitions and a CRC-32C of the values of `dataset`: a resumed run checks it
/// learns from the same data.
fn fingerprint(dataset: &Dataset) -> [usize; 3] {
    let mut crc = 0u32;
    for episode in &dataset.episodes {
        for v in &episode.observations {
            crc = crc32c::crc32c_append(crc, &v.to_le_bytes());
        }
        for r in &episode.rewards {
            crc = crc32c::crc32c_append(crc, &r.to_le_bytes());
        }
        match &episode.actions {
            ActionBatch::Discrete(a) => a
                .iter()
                .for_each(|a| crc = crc32c::crc32c_append(crc, &(*a as u64).to_le_bytes())),
            ActionBatch::Continuous(a) => a
                .iter()
                .for_each(|a| crc = crc32c::crc32c_append(crc, &a.to_le_bytes())),
        }
    }
    [dataset.episodes.len(), dataset.num_steps(), crc as usize]
}

impl<L: ReplayLearner> Actor for Offline<L> {
    type Error = AgentError;

    cinder_core::delegate_actor!(self => self.learner);
}

impl<L: ReplayLearner> Algorithm for Offline<L> {
    fn iterate(&mut self, progress: f64) -> Result<Iteration, AgentError> {
        let mut stats = StatSums::default();
        for _ in 0..self.config.num_updates_per_iter {
            let batch =
                self.buffer
                    .sample(self.config.batch_size, self.lookahead, &mut self.rng)?;
            stats.add(self.learner.update(&batch, progress)?.stats);
        }
        self.learner.end_iteration();
        let updates = stats.updates();
        let metrics = stats.means(self.learner.stat_names())?;
        Ok(Iteration {
            steps: 0,
            updates,
            episodes: Vec::new(),
            metrics,
        })
    }

    fn snapshot(&self) -> Result<Snapshot, AgentError> {
        let mut snapshot = Snapshot::new();
        self.learner.save(&mut snapshot)?;
        save_counters(&mut snapshot, DATASET_FILE, &self.fingerprint);
        save_json(&mut snapshot, MINIBATCH_RNG_FILE, &self.rng)?;
        Ok(snapshot)
    }

    fn restore(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        let saved: [usize; 3] = load_counters(snapshot, DATASET_FILE)?;
        if saved != self.fingerprint {
            return Err(AgentError::Dataset(DatasetError::Format(format!(
                "the dataset is not the one this run learned from (snapshot: {} episodes, {} \
                 transitions, checksum {:08x}; now: {} episodes, {} transitions, checksum \
                 {:08x})",
                saved[0],
                saved[1],
                saved[2],
                self.fingerprint[0],
                self.fingerprint[1],
                self.fingerprint[2]
            ))));
        }
        let rng = load_json(snapshot, MINIBATCH_RNG_FILE)?;
        self.learner.load(snapshot)?;
        self.rng = rng;
        Ok(())
    }
}
