//! A program's own environments in the CLI: [`UserEnvs`] registers them beside the built-in
//! ones ([`cinder_envs::register`]) with, optionally, presets of their own, which `cinder
//! train` reads as it reads the shipped ones.

use std::collections::BTreeMap;
use std::sync::{PoisonError, RwLock};

use cinder_core::Env;
use cinder_envs::EnvSpec;

use crate::run::RunError;

/// Environments a program adds to the CLI (see [`crate::cli::main_with`]).
#[derive(Debug, Default)]
pub struct UserEnvs {
    envs: Vec<(EnvSpec, Option<String>)>,
}

/// The presets of the program's environments: environment id → algorithm id → settings.
static PRESETS: RwLock<BTreeMap<String, toml::Table>> = RwLock::new(BTreeMap::new());

impl UserEnvs {
    /// No environments yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the environment `spec` registers, trained with each algorithm's defaults.
    pub fn env(mut self, spec: EnvSpec) -> Self {
        self.envs.push((spec, None));
        self
    }

    /// Adds the environment `spec` registers with its presets: TOML text with a table of
    /// settings per algorithm id (`[sac]`, `[ppo]`, ...), the shape of a shipped preset file
    /// turned inside out.
    pub fn env_with_presets(mut self, spec: EnvSpec, presets: &str) -> Self {
        self.envs.push((spec, Some(presets.to_string())));
        self
    }

    /// Registers every environment and its presets; a preset that is not TOML tables, or an id
    /// registered twice, is an error and registers nothing more.
    pub fn register(self) -> Result<(), RunError> {
        let input = |e: &dyn std::fmt::Display| RunError::Input(e.to_string());
        for (spec, presets) in self.envs {
            let id = spec.id.clone();
            let table = presets.map(|text| parse_presets(&id, &text)).transpose()?;
            cinder_envs::register(spec).map_err(|e| input(&e))?;
            if let Some(table) = table {
                let mut all = PRESETS.write().unwrap_or_else(PoisonError::into_inner);
                all.insert(id, table);
            }
        }
        Ok(())
    }
}

/// `text` as a table of algorithm id → settings table.
fn parse_presets(env: &str, text: &str) -> Result<toml::Table, RunError> {
    let input = |what: String| RunError::Input(format!("presets of {env}: {what}"));
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| input(e.message().into()))?;
    for (algo, settings) in &table {
        crate::registry::find(algo).map_err(|e| input(e.to_string()))?;
        if !settings.is_table() {
            return Err(input(format!("`{algo}` must be a table of settings")));
        }
    }
    Ok(table)
}

/// The program's preset of `algo` for its environment `env`, if it gave one.
pub(crate) fn preset(algo: &str, env: &str) -> Option<toml::Table> {
    let all = PRESETS.read().unwrap_or_else(PoisonError::into_inner);
    match all.get(env)?.get(algo)? {
        toml::Value::Table(table) => Some(table.clone()),
        _ => None,
    }
}

/// `cinder envs`: every registered id with its spaces and time limit.
pub(crate) fn print_envs() {
    for spec in cinder_envs::registry() {
        match spec.make_unwrapped() {
            Ok(env) => println!(
                "{:<28} observations {}  actions {}  time limit {}",
                spec.id,
                env.observation_space(),
                env.action_space(),
                spec.max_episode_steps
            ),
            Err(e) => println!("{:<28} cannot be built: {e}", spec.id),
        }
    }
    if cfg!(feature = "gym") {
        println!(
            "{:<28} any Gymnasium environment with flat Box or Discrete spaces",
            "gym:<id>[?key=value&...]"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cinder_envs::CartPole;

    #[test]
    fn presets_must_name_algorithms_and_hold_tables() {
        let spec = || EnvSpec::new("PresetCheck-v0", 10, CartPole::new);
        let err = UserEnvs::new()
            .env_with_presets(spec(), "[nope]\nlr = 1.0")
            .register()
            .unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        let err = UserEnvs::new()
            .env_with_presets(spec(), "sac = 3")
            .register()
            .unwrap_err();
        assert!(err.to_string().contains("must be a table"), "{err}");
        UserEnvs::new()
            .env_with_presets(spec(), "[sac]\nlr = 1e-3")
            .register()
            .unwrap();
        let table = preset("sac", "PresetCheck-v0").expect("registered preset");
        assert_eq!(table["lr"].as_float(), Some(1e-3));
        assert!(preset("ppo", "PresetCheck-v0").is_none());
    }
}
