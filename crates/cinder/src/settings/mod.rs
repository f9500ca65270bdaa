//! Run settings: one flat, serialisable table per run (what `config.toml` holds), resolved from
//! the algorithm's defaults, a preset table for the environment and `key=value` overrides, and
//! turned into a ready-to-train algorithm. On-policy and off-policy algorithms have their own
//! tables ([`OnPolicySettings`], [`OffPolicySettings`]); [`Settings`] is either.

mod off_policy;
mod on_policy;

use std::collections::BTreeMap;

use burn::tensor::Device;
use cinder_core::ActionBatch;
use cinder_core::VecEnv;
use cinder_core::train::{Algorithm, Iteration, Snapshot, SnapshotMode, TrainConfig};
use cinder_nn::{Activation, Schedule};
use cinder_offpolicy::OffPolicyError;
use cinder_pg::PgError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use off_policy::OffPolicySettings;
pub use on_policy::OnPolicySettings;

use crate::burn;

/// The on-policy algorithms the CLI trains.
pub const ON_POLICY: &[&str] = &["a2c", "ppo", "ppo2"];
/// The off-policy algorithms the CLI trains.
pub const OFF_POLICY: &[&str] = &["dql", "ddpg", "sac"];
/// Every algorithm the CLI trains.
pub const ALGORITHMS: &[&str] = &["a2c", "ppo", "ppo2", "dql", "ddpg", "sac"];

/// Errors resolving settings: each names the key or value at fault.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// An algorithm id that is not in [`ALGORITHMS`].
    #[error("unknown algorithm `{0}`; known: {known}", known = ALGORITHMS.join(", "))]
    UnknownAlgorithm(String),
    /// A key this algorithm does not have.
    #[error("unknown setting `{key}` for {algo}; valid: {valid}")]
    UnknownKey {
        /// The key.
        key: String,
        /// The algorithm.
        algo: String,
        /// The valid keys.
        valid: String,
    },
    /// A value of the wrong type, or a malformed `--set`.
    #[error("{0}")]
    Invalid(String),
    /// A value out of range for an on-policy algorithm.
    #[error(transparent)]
    Range(#[from] PgError),
    /// A value out of range for an off-policy algorithm.
    #[error(transparent)]
    OffPolicyRange(#[from] OffPolicyError),
}

/// The resolved settings of a run, of either family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Settings {
    /// A2C, PPO, PPO2.
    OnPolicy(OnPolicySettings),
    /// DQL, DDPG, SAC.
    OffPolicy(OffPolicySettings),
}

/// The error of any algorithm the CLI builds.
#[derive(Debug, thiserror::Error)]
pub enum AlgorithmError {
    /// From an on-policy algorithm.
    #[error(transparent)]
    OnPolicy(#[from] PgError),
    /// From an off-policy algorithm.
    #[error(transparent)]
    OffPolicy(#[from] OffPolicyError),
}

/// An algorithm of either family behind one error type.
pub type AnyAlgorithm = Box<dyn Algorithm<Error = AlgorithmError>>;

/// Adapts an algorithm's error type to [`AlgorithmError`].
struct Unified<A>(A);

impl<A> Algorithm for Unified<A>
where
    A: Algorithm,
    AlgorithmError: From<A::Error>,
{
    type Error = AlgorithmError;

    fn iterate(&mut self, progress: f64) -> Result<Iteration, AlgorithmError> {
        Ok(self.0.iterate(progress)?)
    }

    fn act_deterministic(
        &mut self,
        observations: &[f32],
        num_envs: usize,
    ) -> Result<ActionBatch, AlgorithmError> {
        Ok(self.0.act_deterministic(observations, num_envs)?)
    }

    fn snapshot(&self) -> Result<Snapshot, AlgorithmError> {
        Ok(self.0.snapshot()?)
    }

    fn restore(&mut self, snapshot: &Snapshot) -> Result<(), AlgorithmError> {
        Ok(self.0.restore(snapshot)?)
    }
}

/// Boxes `algorithm` as an [`AnyAlgorithm`].
pub(crate) fn unify<A>(algorithm: A) -> AnyAlgorithm
where
    A: Algorithm + 'static,
    AlgorithmError: From<A::Error>,
{
    Box::new(Unified(algorithm))
}

impl Settings {
    /// Resolves `algo`'s settings: defaults, then `preset` (a table of key → value), then each
    /// `key=value` of `overrides` (values in TOML syntax; bare words are strings).
    pub fn resolve(
        algo: &str,
        preset: Option<&toml::Table>,
        overrides: &[String],
    ) -> Result<Self, SettingsError> {
        if ON_POLICY.contains(&algo) {
            OnPolicySettings::resolve(algo, preset, overrides).map(Settings::OnPolicy)
        } else if OFF_POLICY.contains(&algo) {
            OffPolicySettings::resolve(algo, preset, overrides).map(Settings::OffPolicy)
        } else {
            Err(SettingsError::UnknownAlgorithm(algo.to_string()))
        }
    }

    /// The training loop's settings.
    pub fn train_config(&self) -> TrainConfig {
        match self {
            Settings::OnPolicy(s) => s.train_config(),
            Settings::OffPolicy(s) => s.train_config(),
        }
    }

    /// Changes the step budget (a resumed run going on past its first budget).
    pub fn set_total_steps(&mut self, total_steps: usize) {
        match self {
            Settings::OnPolicy(s) => s.total_steps = total_steps,
            Settings::OffPolicy(s) => s.total_steps = total_steps,
        }
    }

    /// Training environments.
    pub fn n_envs(&self) -> usize {
        match self {
            Settings::OnPolicy(s) => s.n_envs,
            Settings::OffPolicy(s) => s.n_envs,
        }
    }

    /// Threads stepping them.
    pub fn num_workers(&self) -> usize {
        match self {
            Settings::OnPolicy(s) => s.num_workers,
            Settings::OffPolicy(s) => s.num_workers,
        }
    }

    /// Episodes per evaluation.
    pub fn eval_episodes(&self) -> usize {
        match self {
            Settings::OnPolicy(s) => s.eval_episodes,
            Settings::OffPolicy(s) => s.eval_episodes,
        }
    }

    /// The algorithm `algo`, learning on `learn` and acting on `act`, training on `envs`; seeds
    /// both devices' RNGs with `seed` (every random draw of a run follows from it).
    pub fn build(
        &self,
        algo: &str,
        envs: VecEnv,
        learn: &Device,
        act: &Device,
        seed: u64,
    ) -> Result<AnyAlgorithm, SettingsError> {
        learn.seed(seed);
        act.seed(seed);
        match self {
            Settings::OnPolicy(s) => s.build(algo, envs, learn, act, seed),
            Settings::OffPolicy(s) => s.build(algo, envs, learn, act, seed),
        }
    }
}

/// `defaults` overlaid with `preset` and then `overrides`, every key checked against `valid`.
fn resolve_table<T: Serialize + DeserializeOwned>(
    algo: &str,
    defaults: &T,
    valid: &[&str],
    preset: Option<&toml::Table>,
    overrides: &[String],
) -> Result<T, SettingsError> {
    let mut table = toml::Table::try_from(defaults)
        .map_err(|e| SettingsError::Invalid(format!("settings do not serialise: {e}")))?;
    let mut merged: BTreeMap<String, toml::Value> = BTreeMap::new();
    if let Some(preset) = preset {
        merged.extend(preset.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    for item in overrides {
        let (key, text) = item
            .split_once('=')
            .ok_or_else(|| SettingsError::Invalid(format!("--set `{item}`: expected key=value")))?;
        merged.insert(key.trim().to_string(), parse_value(text.trim()));
    }
    for (key, value) in merged {
        if !valid.contains(&key.as_str()) {
            return Err(SettingsError::UnknownKey {
                key,
                algo: algo.to_string(),
                valid: valid.join(", "),
            });
        }
        table.insert(key, value);
    }
    table
        .try_into()
        .map_err(|e: toml::de::Error| SettingsError::Invalid(one_line(&e.to_string())))
}

/// A `--set` value: TOML if it parses as one (numbers, booleans, arrays, quoted strings),
/// otherwise the bare text as a string.
fn parse_value(text: &str) -> toml::Value {
    format!("v = {text}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn schedule(key: &str, text: &str) -> Result<Schedule, SettingsError> {
    Schedule::parse(text).ok_or_else(|| {
        SettingsError::Invalid(format!(
            "invalid setting `{key}` = \"{text}\": expected constant, linear or exponential:<gamma>"
        ))
    })
}

fn activation(text: &str) -> Result<Activation, SettingsError> {
    match text {
        "tanh" => Ok(Activation::Tanh),
        "relu" => Ok(Activation::Relu),
        other => Err(SettingsError::Invalid(format!(
            "invalid setting `activation` = \"{other}\": expected tanh or relu"
        ))),
    }
}

/// Checks that each named count is at least 1.
fn at_least_one(counts: &[(&str, usize)]) -> Result<(), SettingsError> {
    match counts.iter().find(|(_, v)| *v == 0) {
        Some((name, _)) => Err(SettingsError::Invalid(format!(
            "invalid setting `{name}` = 0: must be at least 1"
        ))),
        None => Ok(()),
    }
}

/// `max_grad_norm` as an optional clip: 0 disables it, negative or non-finite is an error.
fn grad_clip(max_grad_norm: f64) -> Result<Option<f64>, SettingsError> {
    if max_grad_norm < 0.0 || !max_grad_norm.is_finite() {
        return Err(SettingsError::Invalid(format!(
            "invalid setting `max_grad_norm` = {max_grad_norm}: must be >= 0 (0 disables clipping)"
        )));
    }
    Ok((max_grad_norm > 0.0).then_some(max_grad_norm))
}

/// The loop's settings from a run's budget and evaluation keys.
fn train_config(
    total_steps: usize,
    return_threshold: Option<f64>,
    eval_every: usize,
    eval_episodes: usize,
    snapshot_mode: SnapshotMode,
) -> TrainConfig {
    TrainConfig {
        max_iter: None,
        total_steps: Some(total_steps),
        return_threshold,
        eval_every,
        eval_episodes,
        snapshot_mode,
        ..TrainConfig::default()
    }
}
