//! Settings of the off-policy algorithms (DQL, DDPG, SAC). Names follow Pyrado (`DQL`, `SAC`,
//! `ValueBased`) and Tianshou (`DDPGPolicy`); `tau` is the weight of the online network.

use burn::tensor::Device;
use cinder_core::VecEnv;
use cinder_core::train::{SnapshotMode, TrainConfig};
use cinder_data::PrioritizedConfig;
use cinder_offpolicy::{
    Ddpg, DdpgConfig, Dql, DqlConfig, ExplorationNoise, OffPolicy, ReplayConfig, Sac, SacConfig,
};
use serde::{Deserialize, Serialize};

use super::{
    AnyAlgorithm, SettingsError, activation, at_least_one, grad_clip, resolve_table, schedule,
    train_config, unify,
};
use crate::burn;

/// Every setting of an off-policy run. Keys an algorithm does not use are rejected for it (see
/// [`keys_of`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffPolicySettings {
    /// Environment steps to train for.
    pub total_steps: usize,
    /// Parallel environments.
    pub n_envs: usize,
    /// Threads stepping the environments.
    pub num_workers: usize,
    /// Discount factor.
    pub gamma: f64,
    /// Transitions the replay memory holds.
    pub memory_size: usize,
    /// Environment steps per iteration (over all environments).
    pub min_steps: usize,
    /// Gradient updates per iteration.
    pub num_updates_per_step: usize,
    /// Random-action transitions before learning starts.
    pub num_init_memory_steps: usize,
    /// Transitions per minibatch.
    pub batch_size: usize,
    /// n of the n-step targets (Tianshou's `estimation_step`).
    pub estimation_step: usize,
    /// Prioritized replay (Schaul et al. 2016) instead of uniform.
    pub prioritized: bool,
    /// Prioritization exponent α.
    pub per_alpha: f64,
    /// Initial importance-sampling exponent β (annealed to 1).
    pub per_beta_init: f64,
    /// Learning rate (of every network).
    pub lr: f64,
    /// `constant`, `linear` or `exponential:<gamma>` (DQL, SAC).
    pub lr_schedule: String,
    /// Global gradient-norm clip; 0 disables it.
    pub max_grad_norm: f64,
    /// Hidden layer sizes.
    pub hidden: Vec<usize>,
    /// `relu` or `tanh`.
    pub activation: String,
    /// Updates between target-network updates.
    pub target_update_intvl: usize,
    /// DQL: initial ε.
    pub eps_init: f64,
    /// DQL: per-iteration decay of ε.
    pub eps_schedule_gamma: f64,
    /// DQL: floor of ε.
    pub eps_final: f64,
    /// DQL: double-DQN targets.
    pub double_q: bool,
    /// DQL: the last |A| observation values are a mask of allowed actions.
    pub action_mask: bool,
    /// DDPG, SAC: weight of the online network in target updates.
    pub tau: f64,
    /// DDPG: `gaussian:<sigma>` or `ou:<theta>,<sigma>,<dt>`.
    pub exploration_noise: String,
    /// DDPG: map `[-1, 1]` onto the action box.
    pub action_scaling: bool,
    /// DDPG: `clip` or `none`.
    pub action_bound_method: String,
    /// SAC: initial entropy coefficient.
    pub ent_coeff_init: f64,
    /// SAC: learn the entropy coefficient.
    pub learn_ent_coeff: bool,
    /// SAC: standardise minibatch rewards.
    pub standardize_rew: bool,
    /// SAC: reward factor.
    pub rew_scale: f64,
    /// Iterations between evaluations.
    pub eval_every: usize,
    /// Episodes per evaluation.
    pub eval_episodes: usize,
    /// Stop once an evaluation reaches this mean return.
    pub return_threshold: Option<f64>,
    /// `latest`, `best` or `none`.
    pub snapshot_mode: SnapshotMode,
    /// Snapshots include the replay memory.
    pub save_buffer: bool,
    /// Fill the memory before learning (and refill it after a resume without a saved memory)
    /// with the exploring policy rather than random actions.
    pub use_trained_policy_for_refill: bool,
}

const COMMON_KEYS: &[&str] = &[
    "total_steps",
    "n_envs",
    "num_workers",
    "gamma",
    "memory_size",
    "min_steps",
    "num_updates_per_step",
    "num_init_memory_steps",
    "batch_size",
    "estimation_step",
    "prioritized",
    "per_alpha",
    "per_beta_init",
    "lr",
    "max_grad_norm",
    "hidden",
    "activation",
    "target_update_intvl",
    "eval_every",
    "eval_episodes",
    "return_threshold",
    "snapshot_mode",
    "save_buffer",
    "use_trained_policy_for_refill",
];

/// The keys `algo` accepts.
pub(super) fn keys_of(algo: &str) -> Result<Vec<&'static str>, SettingsError> {
    let own: &[&str] = match algo {
        "dql" => &[
            "lr_schedule",
            "eps_init",
            "eps_schedule_gamma",
            "eps_final",
            "double_q",
            "action_mask",
        ],
        "ddpg" => &[
            "tau",
            "exploration_noise",
            "action_scaling",
            "action_bound_method",
        ],
        "sac" => &[
            "lr_schedule",
            "tau",
            "ent_coeff_init",
            "learn_ent_coeff",
            "standardize_rew",
            "rew_scale",
        ],
        other => return Err(SettingsError::UnknownAlgorithm(other.to_string())),
    };
    Ok(COMMON_KEYS.iter().chain(own).copied().collect())
}

impl OffPolicySettings {
    /// The algorithm's defaults: Pyrado's for DQL and SAC, Tianshou's for DDPG.
    pub fn defaults(algo: &str) -> Result<Self, SettingsError> {
        let dql = DqlConfig::default();
        let sac = SacConfig::default();
        let base = Self {
            total_steps: 100_000,
            n_envs: 1,
            num_workers: 1,
            gamma: 0.99,
            memory_size: 1_000_000,
            min_steps: 1,
            num_updates_per_step: 1,
            num_init_memory_steps: 1000,
            batch_size: 256,
            estimation_step: 1,
            prioritized: false,
            per_alpha: PrioritizedConfig::default().alpha,
            per_beta_init: PrioritizedConfig::default().beta_init,
            lr: sac.lr,
            lr_schedule: "constant".into(),
            max_grad_norm: 0.0,
            hidden: vec![256, 256],
            activation: "relu".into(),
            target_update_intvl: 1,
            eps_init: dql.eps_init,
            eps_schedule_gamma: dql.eps_schedule_gamma,
            eps_final: dql.eps_final,
            double_q: dql.double,
            action_mask: false,
            tau: sac.tau,
            exploration_noise: "gaussian:0.1".into(),
            action_scaling: true,
            action_bound_method: "clip".into(),
            ent_coeff_init: sac.ent_coeff_init,
            learn_ent_coeff: sac.learn_ent_coeff,
            standardize_rew: sac.standardize_rew,
            rew_scale: sac.rew_scale,
            eval_every: 1000,
            eval_episodes: 10,
            return_threshold: None,
            snapshot_mode: SnapshotMode::Latest,
            save_buffer: false,
            use_trained_policy_for_refill: false,
        };
        match algo {
            "dql" => Ok(Self {
                batch_size: 256,
                lr: dql.lr,
                max_grad_norm: dql.max_grad_norm.unwrap_or(0.0),
                hidden: dql.hidden,
                target_update_intvl: dql.target_update_intvl,
                eval_every: 100,
                ..base
            }),
            "sac" => Ok(Self {
                max_grad_norm: sac.max_grad_norm.unwrap_or(0.0),
                ..base
            }),
            "ddpg" => Ok(Self {
                lr: DdpgConfig::default().actor_lr,
                ..base
            }),
            other => Err(SettingsError::UnknownAlgorithm(other.to_string())),
        }
    }

    /// Resolves `algo`'s settings: defaults, then `preset`, then `overrides`.
    pub fn resolve(
        algo: &str,
        preset: Option<&toml::Table>,
        overrides: &[String],
    ) -> Result<Self, SettingsError> {
        let settings: Self = resolve_table(
            algo,
            &Self::defaults(algo)?,
            &keys_of(algo)?,
            preset,
            overrides,
        )?;
        settings.validate(algo)?;
        Ok(settings)
    }

    /// Checks everything, including what only [`OffPolicySettings::build`] would meet.
    fn validate(&self, algo: &str) -> Result<(), SettingsError> {
        at_least_one(&[
            ("total_steps", self.total_steps),
            ("n_envs", self.n_envs),
            ("num_workers", self.num_workers),
            ("eval_episodes", self.eval_episodes),
        ])?;
        self.replay().validate()?;
        match algo {
            "dql" => self.dql()?.validate()?,
            "ddpg" => self.ddpg()?.validate()?,
            _ => self.sac()?.validate()?,
        }
        Ok(())
    }

    /// The loop's settings.
    pub fn train_config(&self) -> TrainConfig {
        train_config(
            self.total_steps,
            self.return_threshold,
            self.eval_every,
            self.eval_episodes,
            self.snapshot_mode,
        )
    }

    fn replay(&self) -> ReplayConfig {
        ReplayConfig {
            memory_size: self.memory_size,
            min_steps: self.min_steps,
            num_updates_per_step: self.num_updates_per_step,
            num_init_memory_steps: self.num_init_memory_steps,
            batch_size: self.batch_size,
            gamma: self.gamma,
            n_step: self.estimation_step,
            prioritized: self.prioritized.then_some(PrioritizedConfig {
                alpha: self.per_alpha,
                beta_init: self.per_beta_init,
                ..PrioritizedConfig::default()
            }),
            save_buffer: self.save_buffer,
            use_trained_policy_for_refill: self.use_trained_policy_for_refill,
        }
    }

    fn dql(&self) -> Result<DqlConfig, SettingsError> {
        Ok(DqlConfig {
            hidden: self.hidden.clone(),
            activation: activation(&self.activation)?,
            eps_init: self.eps_init,
            eps_schedule_gamma: self.eps_schedule_gamma,
            eps_final: self.eps_final,
            target_update_intvl: self.target_update_intvl,
            max_grad_norm: grad_clip(self.max_grad_norm)?,
            lr: self.lr,
            lr_schedule: schedule("lr_schedule", &self.lr_schedule)?,
            double: self.double_q,
            action_mask: self.action_mask,
        })
    }

    fn ddpg(&self) -> Result<DdpgConfig, SettingsError> {
        let exploration_noise =
            ExplorationNoise::parse(&self.exploration_noise).ok_or_else(|| {
                SettingsError::Invalid(format!(
                    "invalid setting `exploration_noise` = \"{}\": expected gaussian:<sigma> or \
                 ou:<theta>,<sigma>,<dt> with non-negative numbers",
                    self.exploration_noise
                ))
            })?;
        let action_bound_clip = match self.action_bound_method.as_str() {
            "clip" => true,
            "none" => false,
            other => {
                return Err(SettingsError::Invalid(format!(
                    "invalid setting `action_bound_method` = \"{other}\": expected clip or none"
                )));
            }
        };
        Ok(DdpgConfig {
            hidden: self.hidden.clone(),
            activation: activation(&self.activation)?,
            tau: self.tau,
            exploration_noise,
            action_scaling: self.action_scaling,
            action_bound_clip,
            target_update_intvl: self.target_update_intvl,
            actor_lr: self.lr,
            critic_lr: self.lr,
            max_grad_norm: grad_clip(self.max_grad_norm)?,
        })
    }

    fn sac(&self) -> Result<SacConfig, SettingsError> {
        Ok(SacConfig {
            hidden: self.hidden.clone(),
            activation: activation(&self.activation)?,
            tau: self.tau,
            ent_coeff_init: self.ent_coeff_init,
            learn_ent_coeff: self.learn_ent_coeff,
            target_update_intvl: self.target_update_intvl,
            standardize_rew: self.standardize_rew,
            rew_scale: self.rew_scale,
            max_grad_norm: grad_clip(self.max_grad_norm)?,
            lr: self.lr,
            lr_schedule: schedule("lr_schedule", &self.lr_schedule)?,
        })
    }

    /// The algorithm `algo`, learning on `learn` and acting on `act`, training on `envs`.
    pub fn build(
        &self,
        algo: &str,
        envs: VecEnv,
        learn: &Device,
        act: &Device,
        seed: u64,
    ) -> Result<AnyAlgorithm, SettingsError> {
        let obs_dim = envs.observation_dim();
        let space = envs.action_space().clone();
        let replay = self.replay();
        Ok(match algo {
            "dql" => {
                let learner = Dql::new(self.dql()?, obs_dim, &space, learn, act, seed)?;
                unify(OffPolicy::new(learner, envs, replay, seed)?)
            }
            "ddpg" => {
                let learner = Ddpg::new(self.ddpg()?, obs_dim, &space, learn, act, seed)?;
                unify(OffPolicy::new(learner, envs, replay, seed)?)
            }
            "sac" => {
                let learner = Sac::new(self.sac()?, obs_dim, &space, learn, act, seed)?;
                unify(OffPolicy::new(learner, envs, replay, seed)?)
            }
            other => return Err(SettingsError::UnknownAlgorithm(other.to_string())),
        })
    }
}
