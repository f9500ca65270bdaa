//! The algorithm registry: one row per algorithm the CLI trains. Adding an algorithm means
//! its settings file in `settings/`, a preset file in `presets/`, and one row here.

use crate::settings::{
    A2cSettings, AlgorithmSettings, BcSettings, BcqSettings, DdpgSettings, DqlSettings,
    Ppo2Settings, PpoSettings, SacSettings, Settings, SettingsError, SvpgSettings, Td3Settings,
    resolve,
};

/// The family an algorithm belongs to (its crate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `cinder-pg`: learns from rollouts of its current policy.
    OnPolicy,
    /// `cinder-offpolicy`: learns from a replay memory of its own experience.
    OffPolicy,
    /// `cinder-offline`: learns from a fixed dataset, without environment steps.
    Offline,
    /// `cinder-explore`: exploration built around other learners.
    Exploration,
}

impl Family {
    /// How the family is named in help texts.
    pub fn name(self) -> &'static str {
        match self {
            Family::OnPolicy => "on-policy",
            Family::OffPolicy => "off-policy",
            Family::Offline => "offline",
            Family::Exploration => "exploration",
        }
    }
}

/// Resolves settings from a preset table and `key=value` overrides (see
/// [`crate::settings::resolve`]).
type Resolve =
    fn(&str, Option<&toml::Table>, &[String]) -> Result<Box<dyn Settings>, SettingsError>;

/// One algorithm of the CLI.
pub struct Entry {
    /// The id `cinder train <id>` takes.
    pub id: &'static str,
    /// Its family.
    pub family: Family,
    /// One line for `--help`.
    pub summary: &'static str,
    /// The shipped presets: a TOML table per environment id.
    pub presets: &'static str,
    resolve: Resolve,
}

impl Entry {
    const fn of<S: AlgorithmSettings>(
        id: &'static str,
        family: Family,
        summary: &'static str,
        presets: &'static str,
    ) -> Self {
        Self {
            id,
            family,
            summary,
            presets,
            resolve: resolve::<S>,
        }
    }

    /// This algorithm's settings: its defaults, then `preset`, then `overrides`, checked.
    pub fn resolve(
        &self,
        preset: Option<&toml::Table>,
        overrides: &[String],
    ) -> Result<Box<dyn Settings>, SettingsError> {
        (self.resolve)(self.id, preset, overrides)
    }
}

/// Every algorithm the CLI trains.
pub const REGISTRY: &[Entry] = &[
    Entry::of::<A2cSettings>(
        "a2c",
        Family::OnPolicy,
        "Advantage Actor-Critic (synchronous)",
        include_str!("../../../presets/a2c.toml"),
    ),
    Entry::of::<PpoSettings>(
        "ppo",
        Family::OnPolicy,
        "Proximal Policy Optimization, clipped surrogate",
        include_str!("../../../presets/ppo.toml"),
    ),
    Entry::of::<Ppo2Settings>(
        "ppo2",
        Family::OnPolicy,
        "PPO with a clipped value loss and one joint optimiser",
        include_str!("../../../presets/ppo2.toml"),
    ),
    Entry::of::<DqlSettings>(
        "dql",
        Family::OffPolicy,
        "Deep Q-learning (double, n-step, prioritized, action masks)",
        include_str!("../../../presets/dql.toml"),
    ),
    Entry::of::<DdpgSettings>(
        "ddpg",
        Family::OffPolicy,
        "Deep Deterministic Policy Gradient",
        include_str!("../../../presets/ddpg.toml"),
    ),
    Entry::of::<SacSettings>(
        "sac",
        Family::OffPolicy,
        "Soft Actor-Critic, twin critics, learned entropy coefficient",
        include_str!("../../../presets/sac.toml"),
    ),
    Entry::of::<Td3Settings>(
        "td3",
        Family::OffPolicy,
        "Twin Delayed DDPG: clipped double Q, smoothed targets, delayed policy",
        include_str!("../../../presets/td3.toml"),
    ),
    Entry::of::<BcSettings>(
        "bc",
        Family::Offline,
        "Behaviour cloning from a dataset (--dataset)",
        include_str!("../../../presets/bc.toml"),
    ),
    Entry::of::<BcqSettings>(
        "bcq",
        Family::Offline,
        "Discrete batch-constrained Q-learning from a dataset (--dataset)",
        include_str!("../../../presets/bcq.toml"),
    ),
    Entry::of::<SvpgSettings>(
        "svpg",
        Family::Exploration,
        "Stein variational policy gradient over A2C or PPO particles",
        include_str!("../../../presets/svpg.toml"),
    ),
];

/// The row of algorithm `id`, or an error listing the registry.
pub fn find(id: &str) -> Result<&'static Entry, SettingsError> {
    REGISTRY
        .iter()
        .find(|entry| entry.id == id)
        .ok_or_else(|| SettingsError::UnknownAlgorithm {
            id: id.to_string(),
            known: ids().join(", "),
        })
}

/// The registered ids, in registry order.
pub fn ids() -> Vec<&'static str> {
    REGISTRY.iter().map(|entry| entry.id).collect()
}

/// The registry as help text: one line per algorithm.
pub fn help() -> String {
    REGISTRY
        .iter()
        .map(|e| format!("  {:<6} {:<12} {}", e.id, e.family.name(), e.summary))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::{Family, REGISTRY, find, ids};

    #[test]
    fn every_shipped_preset_resolves_and_round_trips_through_config_toml() {
        for entry in REGISTRY {
            let presets: toml::Table = entry.presets.parse().expect("presets parse");
            assert!(!presets.is_empty(), "{} ships no preset", entry.id);
            // Offline algorithms need a dataset; resolving does not read it.
            let dataset = match entry.family {
                Family::Offline => vec!["dataset=/data/cartpole".to_string()],
                _ => Vec::new(),
            };
            let defaults = entry.resolve(None, &dataset).expect("defaults resolve");
            let again = entry
                .resolve(Some(&defaults.to_table().unwrap()), &[])
                .unwrap();
            assert_eq!(again.to_table().unwrap(), defaults.to_table().unwrap());
            for (env, table) in &presets {
                let table = table.as_table().expect("a table per environment");
                let settings = entry
                    .resolve(Some(table), &dataset)
                    .unwrap_or_else(|e| panic!("{} on {env}: {e}", entry.id));
                // What config.toml stores reads back to the same settings.
                let stored = settings.to_table().unwrap();
                let read = entry.resolve(Some(&stored), &[]).unwrap();
                assert_eq!(read.to_table().unwrap(), stored, "{} on {env}", entry.id);
            }
        }
    }

    #[test]
    fn offline_algorithms_without_a_dataset_ask_for_one() {
        for id in ["bc", "bcq"] {
            let err = find(id)
                .unwrap()
                .resolve(None, &[])
                .unwrap_err()
                .to_string();
            assert!(err.contains("--dataset"), "{err}");
        }
    }

    #[test]
    fn ids_are_unique_and_unknown_ids_list_the_registry() {
        let mut all = ids();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), REGISTRY.len());
        let err = find("dqn").err().unwrap().to_string();
        assert!(err.contains("unknown algorithm `dqn`"), "{err}");
        for id in ids() {
            assert!(err.contains(id), "{err}");
        }
    }
}
