//! The replay-based iteration, written once for DQL, DDPG and SAC (Pyrado's `ValueBased`):
//! fill the memory with random actions, then each iteration step the environments with the
//! exploring policy, store the transitions, run a number of minibatch updates and copy the
//! new weights to the acting networks. Statistics stay on the learning device until the end of
//! the iteration (one read-back), unless prioritized replay needs each update's TD errors.

use cinder_agent::error::{check, check_count, check_unit_interval};
use cinder_agent::resume::{restore_envs_then, save_envs};
use cinder_agent::{AgentError, ReplayLearner, Setup, StatSums};
use cinder_core::seeding::{EnvRng, rng_from_seed};
use cinder_core::{ActMode, Actor, EpisodeRecord, Observed, VecEnv};
use cinder_data::{Lookahead, Memory, PrioritizedConfig, ReplayBuffer, ReplayError, Transitions};
use cinder_nn::persist::{load_json, save_json};
use cinder_nn::tensors::read_floats;
use cinder_train::{Algorithm, Iteration, Metric, Snapshot};
use serde::{Deserialize, Serialize};

/// The snapshot file holding the replay memory (written only when asked).
pub const REPLAY_FILE: &str = "replay.bin";

/// The snapshot file of the loop's own state: the minibatch generator and the step count.
const LOOP_FILE: &str = "replay_loop.json";

/// What [`LOOP_FILE`] holds.
#[derive(Serialize, Deserialize)]
struct LoopState {
    rng: EnvRng,
    env_steps: usize,
}

/// The replay-loop parameters every off-policy algorithm shares (Pyrado's `ValueBased`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayConfig {
    /// Transitions the replay memory holds (Pyrado `memory_size`).
    pub memory_size: usize,
    /// Environment steps (over all environments) per iteration (Pyrado `min_steps`, SB3
    /// `train_freq`).
    pub min_steps: usize,
    /// Gradient updates per iteration (Pyrado's `num_updates_per_step`, whose "step" is an
    /// algorithm step, i.e. an iteration; SB3's `gradient_steps`).
    pub num_updates_per_iter: usize,
    /// Random-action transitions stored before learning starts (Pyrado
    /// `num_init_memory_steps`, SB3 `learning_starts`); at least `batch_size`, so every
    /// iteration updates and logs the same statistics.
    pub num_init_memory_steps: usize,
    /// Transitions per minibatch.
    pub batch_size: usize,
    /// Discount factor γ.
    pub gamma: f64,
    /// Transitions in the n-step targets (Tianshou's `estimation_step`); 1 is the one-step TD
    /// target.
    pub estimation_step: usize,
    /// Prioritized replay exponents, or uniform replay.
    pub prioritized: Option<PrioritizedConfig>,
    /// Whether snapshots include the replay memory (`--save-buffer`).
    pub save_buffer: bool,
    /// Fill (or, after resuming without a saved memory, refill) the memory up to
    /// `num_init_memory_steps` with the exploring policy instead of uniformly random actions
    /// (Pyrado `use_trained_policy_for_refill`).
    pub use_trained_policy_for_refill: bool,
}

impl Default for ReplayConfig {
    /// Pyrado's `SAC` / SB3's defaults: a 1M-transition memory, one update per environment
    /// step after 1000 random ones, minibatches of 256, γ = 0.99, one-step targets.
    fn default() -> Self {
        Self {
            memory_size: 1_000_000,
            min_steps: 1,
            num_updates_per_iter: 1,
            num_init_memory_steps: 1000,
            batch_size: 256,
            gamma: 0.99,
            estimation_step: 1,
            prioritized: None,
            save_buffer: false,
            use_trained_policy_for_refill: false,
        }
    }
}

impl ReplayConfig {
    /// Checks every parameter against the others.
    pub fn validate(&self) -> Result<(), AgentError> {
        check_count("memory_size", self.memory_size)?;
        check_count("min_steps", self.min_steps)?;
        check(
            "batch_size",
            self.batch_size as f64,
            self.batch_size > 0 && self.batch_size <= self.memory_size,
            "between 1 and memory_size (the buffer cannot supply more)",
        )?;
        check(
            "num_init_memory_steps",
            self.num_init_memory_steps as f64,
            self.num_init_memory_steps >= self.batch_size,
            "at least batch_size, so that the first iteration can draw a minibatch",
        )?;
        check_count("num_updates_per_iter", self.num_updates_per_iter)?;
        check_count("estimation_step", self.estimation_step)?;
        check_unit_interval("gamma", self.gamma)?;
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
    lookahead: Lookahead,
    rng: EnvRng,
    /// Scratch: the observations acted on in the current step, the same before
    /// normalisation (what the memory stores), and their successors.
    observations: Vec<f32>,
    unnormalized: Vec<f32>,
    next_observations: Vec<f32>,
    env_steps: usize,
}

impl<L: ReplayLearner> OffPolicy<L> {
    /// Trains `learner` on `envs` (reset with `setup`'s seed; the minibatch sampler is seeded
    /// from it too).
    pub fn new(
        learner: L,
        mut envs: VecEnv,
        config: ReplayConfig,
        setup: &Setup,
    ) -> Result<Self, AgentError> {
        let seed = setup.seed;
        config.validate()?;
        if config.memory_size < envs.num_envs() {
            return Err(AgentError::InvalidParameter {
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
            unnormalized: vec![0.0; observations.len()],
            observations,
            memory,
            lookahead: Lookahead::new(config.estimation_step, config.gamma)?,
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
        episodes: &mut Vec<EpisodeRecord>,
    ) -> Result<usize, AgentError> {
        let n = self.envs.num_envs();
        for _ in 0..lockstep {
            // Acting sees the normalised observations; the memory keeps them as the
            // environments returned them and normalises each minibatch with the statistics
            // of its time (SB3's VecNormalize with a replay buffer).
            let normalized = self.envs.normalization().is_some();
            self.observations.copy_from_slice(self.envs.observations());
            if normalized {
                self.unnormalized
                    .copy_from_slice(self.envs.unnormalized_observations());
            }
            let observed = Observed {
                values: &self.observations,
                num_envs: n,
                masks: self.envs.action_masks(),
            };
            let actions = self.learner.act_masked(observed, mode)?.actions;
            let step = self.envs.step(actions.as_actions())?;
            let next = &mut self.next_observations;
            self.memory
                .push(Transitions::of_step(
                    match normalized {
                        true => &self.unnormalized,
                        false => &self.observations,
                    },
                    &actions,
                    &step.unnormalized(),
                    next,
                ))
                .map_err(|source| AgentError::Transition {
                    step: self.env_steps,
                    source,
                })?;
            episodes.extend_from_slice(step.finished_episodes);
            self.env_steps += n;
        }
        Ok(lockstep * n)
    }
}

impl<L: ReplayLearner> Actor for OffPolicy<L> {
    type Error = AgentError;

    cinder_core::delegate_actor!(self => self.learner);
}

impl<L: ReplayLearner> Algorithm for OffPolicy<L> {
    fn iterate(&mut self, progress: f64) -> Result<Iteration, AgentError> {
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
            steps += self.collect(missing.div_ceil(n), refill, &mut episodes)?;
        }
        steps += self.collect(
            self.config.min_steps.div_ceil(n),
            ActMode::Explore,
            &mut episodes,
        )?;

        let mut stats = StatSums::default();
        if self.memory.len() >= self.config.batch_size {
            for _ in 0..self.config.num_updates_per_iter {
                let mut batch = self.memory.sample(
                    self.config.batch_size,
                    self.lookahead,
                    progress,
                    &mut self.rng,
                )?;
                if let Some(normalization) = self.envs.normalization() {
                    batch.map_observations(|values| normalization.observations(values));
                }
                let learned = self.learner.update(&batch, progress)?;
                if self.memory.wants_td_errors() {
                    let td = learned
                        .td_errors
                        .ok_or_else(|| AgentError::InvalidParameter {
                            name: "prioritized",
                            value: "true".into(),
                            expected: "false for a learner without TD errors",
                        })?;
                    self.memory
                        .update_priorities(&batch.indices, &read_floats(td)?)?;
                }
                stats.add(learned.stats);
            }
        }
        self.learner.end_iteration();

        let updates = stats.updates();
        let mut metrics = stats.means(self.learner.stat_names())?;
        metrics.extend(self.learner.schedule_metrics(progress));
        metrics.push(Metric::new("replay_size", self.memory.len() as f64));
        Ok(Iteration {
            steps,
            updates,
            episodes,
            metrics,
        })
    }

    /// The learner's files, the environments, the loop's generator and step count, and the
    /// replay memory when `save_buffer` is set.
    fn snapshot(&self) -> Result<Snapshot, AgentError> {
        let mut snapshot = Snapshot::new();
        self.learner.save(&mut snapshot)?;
        save_envs(&mut snapshot, &self.envs)?;
        let state = LoopState {
            rng: self.rng.clone(),
            env_steps: self.env_steps,
        };
        save_json(&mut snapshot, LOOP_FILE, &state)?;
        if self.config.save_buffer {
            snapshot.insert(REPLAY_FILE, self.memory.to_bytes());
        }
        Ok(snapshot)
    }

    /// Restores everything [`Algorithm::snapshot`] saved (all or nothing). Without a saved
    /// memory the loop keeps its own (empty in a freshly built run: the next iteration refills
    /// it).
    fn restore(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        let state: LoopState = load_json(snapshot, LOOP_FILE)?;
        let memory = if snapshot.contains(REPLAY_FILE) {
            let bytes = snapshot
                .file(REPLAY_FILE)
                .map_err(|e| AgentError::Replay(ReplayError::Corrupt(e)))?;
            let mut memory = self.memory.clone();
            memory.load_bytes(bytes)?;
            Some(memory)
        } else {
            None
        };
        let learner = &mut self.learner;
        restore_envs_then(snapshot, &mut self.envs, || learner.load(snapshot))?;
        if let Some(memory) = memory {
            self.memory = memory;
        }
        self.rng = state.rng;
        self.env_steps = state.env_steps;
        Ok(())
    }
}
