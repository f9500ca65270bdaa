//! Settings of the on-policy algorithms (A2C, PPO, PPO2).

use burn::tensor::Device;
use cinder_core::VecEnv;
use cinder_core::train::{SnapshotMode, TrainConfig};
use cinder_data::Budget;
use cinder_pg::{
    A2c, A2cConfig, Gae, GaeConfig, OnPolicy, PolicyConfig, Ppo, Ppo2, Ppo2Config, PpoConfig,
};
use serde::{Deserialize, Serialize};

use super::{
    AnyAlgorithm, SettingsError, activation, at_least_one, grad_clip, resolve_table, schedule,
    train_config, unify,
};
use crate::burn;

/// Every setting of an on-policy run. Keys an algorithm does not use are rejected for it (see
/// [`keys_of`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnPolicySettings {
    /// Environment steps to train for.
    pub total_steps: usize,
    /// Parallel environments.
    pub n_envs: usize,
    /// Steps per environment per iteration (rollout length).
    pub n_steps: usize,
    /// Threads stepping the environments.
    pub num_workers: usize,
    /// Discount factor.
    pub gamma: f64,
    /// GAE λ.
    pub lambda: f64,
    /// Standardise advantages per rollout.
    pub standardize_adv: bool,
    /// Learning rate.
    pub lr: f64,
    /// `constant`, `linear` or `exponential:<gamma>`.
    pub lr_schedule: String,
    /// Passes over each rollout (PPO, PPO2).
    pub num_epoch: usize,
    /// Transitions per minibatch.
    pub batch_size: usize,
    /// PPO clip range ε.
    pub eps_clip: f64,
    /// Schedule of ε.
    pub clip_schedule: String,
    /// Entropy bonus weight.
    pub entropy_coeff: f64,
    /// Value-loss weight (A2C, PPO2).
    pub vfcn_coeff: f64,
    /// Global gradient-norm clip; 0 disables it.
    pub max_grad_norm: f64,
    /// Initial standard deviation of Gaussian actions.
    pub std_init: f64,
    /// Hidden layers of policy and value networks.
    pub hidden: Vec<usize>,
    /// `tanh` or `relu`.
    pub activation: String,
    /// Evaluate every this many iterations.
    pub eval_every: usize,
    /// Episodes per evaluation.
    pub eval_episodes: usize,
    /// Stop when the evaluation mean reaches this (absent: never).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub return_threshold: Option<f64>,
    /// `latest`, `best` or `none`.
    pub snapshot_mode: SnapshotMode,
}

const COMMON_KEYS: &[&str] = &[
    "total_steps",
    "n_envs",
    "n_steps",
    "num_workers",
    "gamma",
    "lambda",
    "standardize_adv",
    "lr",
    "lr_schedule",
    "batch_size",
    "entropy_coeff",
    "max_grad_norm",
    "std_init",
    "hidden",
    "activation",
    "eval_every",
    "eval_episodes",
    "return_threshold",
    "snapshot_mode",
];

/// The keys `algo` accepts.
pub(super) fn keys_of(algo: &str) -> Result<Vec<&'static str>, SettingsError> {
    let own: &[&str] = match algo {
        "a2c" => &["vfcn_coeff"],
        "ppo" => &["num_epoch", "eps_clip", "clip_schedule"],
        "ppo2" => &["num_epoch", "eps_clip", "clip_schedule", "vfcn_coeff"],
        other => return Err(SettingsError::UnknownAlgorithm(other.to_string())),
    };
    Ok(COMMON_KEYS.iter().chain(own).copied().collect())
}

impl OnPolicySettings {
    /// The algorithm's defaults (SB3's, which Pyrado's mostly match).
    pub fn defaults(algo: &str) -> Result<Self, SettingsError> {
        let ppo = Self {
            total_steps: 1_000_000,
            n_envs: 8,
            n_steps: 256,
            num_workers: 1,
            gamma: 0.99,
            lambda: 0.95,
            standardize_adv: true,
            lr: 3e-4,
            lr_schedule: "constant".into(),
            num_epoch: 10,
            batch_size: 64,
            eps_clip: 0.2,
            clip_schedule: "constant".into(),
            entropy_coeff: 0.0,
            vfcn_coeff: 0.5,
            max_grad_norm: 0.5,
            std_init: 1.0,
            hidden: vec![64, 64],
            activation: "tanh".into(),
            eval_every: 10,
            eval_episodes: 10,
            return_threshold: None,
            snapshot_mode: SnapshotMode::Latest,
        };
        match algo {
            "ppo" | "ppo2" => Ok(ppo),
            "a2c" => Ok(Self {
                n_steps: 5,
                lambda: 1.0,
                standardize_adv: false,
                lr: 7e-4,
                batch_size: 64,
                num_epoch: 1,
                eval_every: 100,
                ..ppo
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
        settings.validate()?;
        Ok(settings)
    }

    /// Range checks the algorithm configs do not cover.
    fn validate(&self) -> Result<(), SettingsError> {
        at_least_one(&[
            ("total_steps", self.total_steps),
            ("n_envs", self.n_envs),
            ("n_steps", self.n_steps),
            ("num_workers", self.num_workers),
            ("eval_episodes", self.eval_episodes),
        ])?;
        grad_clip(self.max_grad_norm)?;
        schedule("lr_schedule", &self.lr_schedule)?;
        schedule("clip_schedule", &self.clip_schedule)?;
        activation(&self.activation)?;
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

    fn policy(&self) -> Result<PolicyConfig, SettingsError> {
        Ok(PolicyConfig {
            hidden: self.hidden.clone(),
            activation: activation(&self.activation)?,
            std_init: self.std_init,
        })
    }

    fn critic(&self) -> Result<GaeConfig, SettingsError> {
        Ok(GaeConfig {
            gamma: self.gamma,
            lambda: self.lambda,
            num_epoch: self.num_epoch,
            batch_size: self.batch_size,
            standardize_adv: self.standardize_adv,
            max_grad_norm: self.grad_clip(),
            lr: self.lr,
            lr_schedule: schedule("lr_schedule", &self.lr_schedule)?,
            hidden: self.hidden.clone(),
            activation: activation(&self.activation)?,
        })
    }

    fn grad_clip(&self) -> Option<f64> {
        grad_clip(self.max_grad_norm).unwrap_or(None)
    }

    fn ppo(&self) -> Result<PpoConfig, SettingsError> {
        Ok(PpoConfig {
            num_epoch: self.num_epoch,
            eps_clip: self.eps_clip,
            clip_schedule: schedule("clip_schedule", &self.clip_schedule)?,
            batch_size: self.batch_size,
            lr: self.lr,
            lr_schedule: schedule("lr_schedule", &self.lr_schedule)?,
            max_grad_norm: self.grad_clip(),
            entropy_coeff: self.entropy_coeff,
            policy: self.policy()?,
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
        let (obs, actions) = (
            envs.observation_space().clone(),
            envs.action_space().clone(),
        );
        let budget = Budget::MinSteps(self.n_envs * self.n_steps);
        let critic = Gae::new(self.critic()?, &obs, learn)?;
        Ok(match algo {
            "ppo" => {
                let learner = Ppo::new(self.ppo()?, critic, &obs, &actions, learn, seed)?;
                unify(OnPolicy::new(learner, envs, seed, budget, act))
            }
            "ppo2" => {
                let config = Ppo2Config {
                    ppo: self.ppo()?,
                    vfcn_coeff: self.vfcn_coeff,
                };
                let learner = Ppo2::new(config, critic, &obs, &actions, learn, seed)?;
                unify(OnPolicy::new(learner, envs, seed, budget, act))
            }
            "a2c" => {
                let config = A2cConfig {
                    vfcn_coeff: self.vfcn_coeff,
                    entropy_coeff: self.entropy_coeff,
                    batch_size: self.batch_size,
                    lr: self.lr,
                    lr_schedule: schedule("lr_schedule", &self.lr_schedule)?,
                    max_grad_norm: self.grad_clip(),
                    policy: self.policy()?,
                };
                let learner = A2c::new(config, critic, &obs, &actions, learn, seed)?;
                unify(OnPolicy::new(learner, envs, seed, budget, act))
            }
            other => return Err(SettingsError::UnknownAlgorithm(other.to_string())),
        })
    }
}
