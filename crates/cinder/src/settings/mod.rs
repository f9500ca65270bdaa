//! Run settings: one flat, serialisable table per run (what `config.toml` holds under
//! `[settings]`), resolved from the algorithm's defaults, a preset table for the environment
//! and `key=value` overrides, checked, and turned into a ready-to-train algorithm.
//!
//! Each algorithm has its own settings type (one file here) implementing
//! [`AlgorithmSettings`]; the groups several algorithms share ([`RunSettings`],
//! [`OnPolicySettings`], [`OffPolicySettings`], [`OfflineSettings`]) are flattened into it, so every key of a run is
//! one flat table. [`crate::registry`] lists the algorithms.

mod a2c;
mod bc;
mod bcq;
mod critic;
mod ddpg;
mod dql;
mod icm;
mod off_policy;
mod offline;
mod on_policy;
mod ppo;
mod ppo2;
mod run;
mod sac;
mod svpg;
mod td3;
mod values;

use std::collections::BTreeMap;
use std::fmt::Debug;

use burn::tensor::Device;
use cinder_agent::{AgentError, OnPolicyLearner, PolicyActor, ReplayLearner, Setup};
use cinder_core::{EnvError, Normalization, Snapshot, VecEnv};
use cinder_envs::EnvSpec;
use cinder_train::Algorithm;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use a2c::A2cSettings;
pub use bc::BcSettings;
pub use bcq::BcqSettings;
pub use critic::CriticSettings;
pub use ddpg::DdpgSettings;
pub use dql::DqlSettings;
pub use icm::IcmSettings;
pub use off_policy::OffPolicySettings;
pub use offline::OfflineSettings;
pub use on_policy::OnPolicySettings;
pub use ppo::PpoSettings;
pub use ppo2::Ppo2Settings;
pub use run::{EvalUnit, RunSettings};
pub use sac::SacSettings;
pub use svpg::SvpgSettings;
pub use td3::Td3Settings;

use crate::burn;
use crate::policy::Trained;
use values::{at_least_one, grad_clip, net, one_of, schedule};

/// Errors resolving settings: each names the key or value at fault.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// An algorithm id that is not in the registry.
    #[error("unknown algorithm `{id}`; known: {known}")]
    UnknownAlgorithm {
        /// The id asked for.
        id: String,
        /// The registered ids, comma-separated.
        known: String,
    },
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
    /// A value out of range (the learner's own checks).
    #[error(transparent)]
    Range(#[from] AgentError),
}

/// An algorithm of any family, ready for the training loop.
pub type AnyAlgorithm = Box<dyn Algorithm<Error = AgentError>>;

/// What building an algorithm gives.
pub type BuildResult = Result<AnyAlgorithm, SettingsError>;

/// A learner's constructor (`Ppo::new`, `Sac::new`, `Bc::new`, …): every learner is built
/// from its config and a [`Setup`].
pub type NewLearner<C, L> = fn(C, &Setup) -> Result<L, AgentError>;

/// A resolved, checked settings table of one algorithm, behind one interface.
pub trait Settings: Debug {
    /// The settings as the flat table `config.toml` stores.
    fn to_table(&self) -> Result<toml::Table, SettingsError>;

    /// The budget, evaluation and environment settings every run has.
    fn run(&self) -> &RunSettings;

    /// Mutable access to them (a resumed run's new budget).
    fn run_mut(&mut self) -> &mut RunSettings;

    /// The algorithm, ready to train.
    fn build(&self, b: Build<'_>) -> Result<AnyAlgorithm, SettingsError>;

    /// The files of a snapshot that hold the policy that acts: the snapshot itself (SVPG: its
    /// best particle's).
    fn policy_files(&self, snapshot: &Snapshot) -> Result<Snapshot, SettingsError> {
        Ok(snapshot.clone())
    }

    /// The learner `build` trains, built alone for `setup`'s spaces (no environments, no
    /// dataset) and loaded from `files` ([`Settings::policy_files`]): a reloaded policy.
    fn policy(&self, setup: &Setup, files: &Snapshot) -> Result<Trained, SettingsError>;
}

/// An on-policy learner `new(config, setup)` loaded from `files`, acting through its
/// policy's acting copy.
pub fn on_policy_trained<C, L: OnPolicyLearner>(
    setup: &Setup,
    files: &Snapshot,
    config: C,
    new: NewLearner<C, L>,
) -> Result<Trained, SettingsError> {
    let mut learner = new(config, setup)?;
    learner.load(files)?;
    let (space, device) = (&setup.action_space, &setup.act_device);
    let actor = PolicyActor::new(learner.policy(), space, device, setup.seed);
    Ok(Trained::OnPolicy(Box::new(actor)))
}

/// A replay learner `new(config, setup)` loaded from `files`.
pub fn replay_trained<C, L: ReplayLearner + 'static>(
    setup: &Setup,
    files: &Snapshot,
    config: C,
    new: NewLearner<C, L>,
) -> Result<Trained, SettingsError> {
    let mut learner = new(config, setup)?;
    learner.load(files)?;
    Ok(Trained::Replay(Box::new(learner)))
}

/// What building an algorithm takes.
pub struct Build<'a> {
    /// The training environments.
    pub envs: VecEnv,
    /// Their environment, for algorithms that need more of them (SVPG's particles).
    pub spec: &'a EnvSpec,
    /// Their normalisation, whose statistics more environments share.
    pub normalization: Option<&'a Normalization>,
    /// The learning device.
    pub learn: &'a Device,
    /// The acting device.
    pub act: &'a Device,
    /// Seed of the algorithm's own random streams (minibatches, exploration).
    pub seed: u64,
}

impl Build<'_> {
    /// The learners' setup: the environments' spaces, the devices, the seed.
    pub fn setup(&self) -> Setup {
        Setup::new(&self.envs, self.learn, self.act, self.seed)
    }
}

/// What an algorithm's settings type provides beyond [`Settings`]: its defaults and the
/// checks that make a table trainable.
pub trait AlgorithmSettings: Settings + Serialize + DeserializeOwned + 'static {
    /// The defaults (the reference library's).
    fn defaults() -> Self;

    /// Every check that building would otherwise meet later.
    fn validate(&self) -> Result<(), SettingsError>;

    /// Keys that hold an optional table of their own (absent from the defaults): `icm` for
    /// the online algorithms.
    fn optional_tables() -> &'static [&'static str] {
        &[]
    }
}

/// `n_envs` environments of `spec` stepped by `num_workers` threads, normalised by (a copy
/// of) `normalization`, which shares its statistics.
pub fn vec_env(
    spec: &EnvSpec,
    n_envs: usize,
    num_workers: usize,
    normalization: Option<&Normalization>,
) -> Result<VecEnv, EnvError> {
    let envs = VecEnv::from_fn(n_envs, |_| spec.make())?.with_num_workers(num_workers)?;
    match normalization {
        Some(normalization) => envs.with_normalization(normalization.clone()),
        None => Ok(envs),
    }
}

/// Resolves `algo`'s settings of type `S`: defaults, then `preset` (a table of key → value),
/// then each `key=value` of `overrides` (values in TOML syntax; bare words are strings), then
/// the checks. A run's `config.toml` is read back through this too, as its preset.
pub(crate) fn resolve<S: AlgorithmSettings>(
    algo: &str,
    preset: Option<&toml::Table>,
    overrides: &[String],
) -> Result<Box<dyn Settings>, SettingsError> {
    let defaults = S::defaults().to_table()?;
    let mut valid: Vec<String> = defaults.keys().cloned().collect();
    valid.extend(RunSettings::OPTIONAL.iter().map(|k| k.to_string()));
    valid.extend(S::optional_tables().iter().map(|k| k.to_string()));
    valid.sort();
    // An optional key (`total_steps`) can also have a default: list it once.
    valid.dedup();
    let merged = merge(preset, overrides)?;
    let mut table = defaults.clone();
    for (key, value) in &merged {
        if !valid.contains(key) {
            return Err(SettingsError::UnknownKey {
                key: key.clone(),
                algo: algo.to_string(),
                valid: valid.join(", "),
            });
        }
        if S::optional_tables().contains(&key.as_str()) {
            if !value.is_table() {
                return Err(SettingsError::Invalid(format!(
                    "invalid setting `{key}` = {value}: expected a table of {key}.* settings"
                )));
            }
        } else {
            check_type(key, value, defaults.get(key))?;
        }
        table.insert(key.clone(), value.clone());
    }
    let settings: S = table.clone().try_into().map_err(|e: toml::de::Error| {
        let reason = one_line(&e.to_string());
        SettingsError::Invalid(match culprit::<S>(&table, &defaults, &merged) {
            Some((key, value)) => format!("invalid setting `{key}` = {value}: {reason}"),
            None => format!("invalid settings: {reason}"),
        })
    })?;
    settings.run().validate()?;
    settings.validate()?;
    Ok(Box::new(settings))
}

/// The preset table overlaid with each `key=value` of `overrides`; a dotted key
/// `table.key=value` sets `key` inside the table `table`.
fn merge(
    preset: Option<&toml::Table>,
    overrides: &[String],
) -> Result<BTreeMap<String, toml::Value>, SettingsError> {
    let mut merged: BTreeMap<String, toml::Value> = BTreeMap::new();
    if let Some(preset) = preset {
        merged.extend(preset.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    for item in overrides {
        let (key, text) = item
            .split_once('=')
            .ok_or_else(|| SettingsError::Invalid(format!("--set `{item}`: expected key=value")))?;
        let value = parse_value(text.trim());
        match key.trim().split_once('.') {
            Some((table, inner)) => {
                let entry = merged
                    .entry(table.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                match entry {
                    toml::Value::Table(t) => {
                        t.insert(inner.to_string(), value);
                    }
                    other => {
                        return Err(SettingsError::Invalid(format!(
                            "--set `{item}`: `{table}` = {other} is not a table"
                        )));
                    }
                }
            }
            None => {
                merged.insert(key.trim().to_string(), value);
            }
        }
    }
    Ok(merged)
}

/// The key of `merged` at fault when `table` does not deserialise: the first whose default
/// (or absence) makes it readable.
fn culprit<'a, S: DeserializeOwned>(
    table: &toml::Table,
    defaults: &toml::Table,
    merged: &'a BTreeMap<String, toml::Value>,
) -> Option<(&'a String, &'a toml::Value)> {
    merged.iter().find(|(key, _)| {
        let mut fixed = table.clone();
        match defaults.get(*key) {
            Some(default) => fixed.insert((*key).clone(), default.clone()),
            None => fixed.remove(*key),
        };
        fixed.try_into::<S>().is_ok()
    })
}

/// Checks that `value` has the TOML type of `default` (the key's default value; the budget keys,
/// which have none, are counts except `return_threshold`): a count is a non-negative integer,
/// a float may be written as an integer, an array's items have the default's item type.
fn check_type(
    key: &str,
    value: &toml::Value,
    default: Option<&toml::Value>,
) -> Result<(), SettingsError> {
    use toml::Value::{Array, Float, Integer};
    let fits = |value: &toml::Value, default: &toml::Value| match (default, value) {
        (Integer(_), Integer(v)) => *v >= 0,
        (Float(_), Float(_) | Integer(_)) => true,
        (d, v) => std::mem::discriminant(d) == std::mem::discriminant(v),
    };
    let expected = match (key, default) {
        ("return_threshold", _) => Float(0.0),
        (_, None) => Integer(0),
        (_, Some(default)) => default.clone(),
    };
    let ok = match (&expected, value) {
        (Array(defaults), Array(items)) => match defaults.first() {
            Some(first) => items.iter().all(|item| fits(item, first)),
            None => true,
        },
        _ => fits(value, &expected),
    };
    if ok {
        return Ok(());
    }
    let kind = match expected {
        Integer(_) => "a non-negative integer",
        Float(_) => "a number",
        toml::Value::Boolean(_) => "true or false",
        toml::Value::String(_) => "a string",
        Array(_) => "an array like the default",
        _ => "a value of the default's type",
    };
    Err(SettingsError::Invalid(format!(
        "invalid setting `{key}` = {value}: expected {kind}"
    )))
}

/// `settings` as a TOML table.
pub(crate) fn to_table<S: Serialize>(settings: &S) -> Result<toml::Table, SettingsError> {
    toml::Table::try_from(settings)
        .map_err(|e| SettingsError::Invalid(format!("settings do not serialise: {e}")))
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

/// Implements [`Settings`] for an algorithm's settings type: its table, its [`RunSettings`]
/// (reached through `$($run).+`), its `build_algorithm` and `trained_policy` methods, and the
/// trait's methods given after a `;`.
macro_rules! settings_common {
    ($ty:ty, $($run:ident).+ $(; $($extra:tt)*)?) => {
        impl $crate::settings::Settings for $ty {
            fn to_table(&self) -> Result<toml::Table, $crate::settings::SettingsError> {
                $crate::settings::to_table(self)
            }

            fn run(&self) -> &$crate::settings::RunSettings {
                &self.$($run).+
            }

            fn run_mut(&mut self) -> &mut $crate::settings::RunSettings {
                &mut self.$($run).+
            }

            fn build(
                &self,
                b: $crate::settings::Build<'_>,
            ) -> Result<$crate::settings::AnyAlgorithm, $crate::settings::SettingsError> {
                self.build_algorithm(b)
            }

            fn policy(
                &self,
                setup: &cinder_agent::Setup,
                files: &cinder_core::Snapshot,
            ) -> Result<$crate::policy::Trained, $crate::settings::SettingsError> {
                self.trained_policy(setup, files)
            }

            $($($extra)*)?
        }
    };
}
pub(crate) use settings_common;

/// The [`Settings`] and [`AlgorithmSettings`] of an online algorithm's settings type: its
/// shared group (`$($group).+`, an [`OnPolicySettings`] or [`OffPolicySettings`]) is checked
/// first and builds the learner `$new` from `self.config()`, which is checked too; its
/// defaults are `Self::reference()`; its optional table is `icm`.
macro_rules! online_settings {
    ($ty:ty, $($group:ident).+, $new:path) => {
        impl $ty {
            fn build_algorithm(
                &self,
                b: $crate::settings::Build<'_>,
            ) -> $crate::settings::BuildResult {
                self.$($group).+.build(b, self.config()?, $new)
            }

            fn trained_policy(
                &self,
                setup: &cinder_agent::Setup,
                files: &cinder_core::Snapshot,
            ) -> Result<$crate::policy::Trained, $crate::settings::SettingsError> {
                self.$($group).+.trained(setup, files, self.config()?, $new)
            }
        }

        impl $crate::settings::AlgorithmSettings for $ty {
            fn defaults() -> Self {
                Self::reference()
            }

            fn optional_tables() -> &'static [&'static str] {
                &["icm"]
            }

            fn validate(&self) -> Result<(), $crate::settings::SettingsError> {
                self.$($group).+.validate()?;
                Ok(self.config()?.validate()?)
            }
        }

        $crate::settings::settings_common!($ty, $($group).+.run);
    };
}
pub(crate) use online_settings;
