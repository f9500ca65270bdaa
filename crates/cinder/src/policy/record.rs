//! What a snapshot records about its run (`meta.json`'s `run`): the algorithm, the resolved
//! settings and the spaces, which shape the networks a loaded policy rebuilds.

use std::path::Path;

use cinder_core::Space;
use serde::Deserialize;

use super::PolicyError;

/// The format of the record `cinder train` writes, and the newest this version reads.
pub const RUN_FORMAT: u32 = 1;

/// A run, as its policy needs it.
#[derive(Debug, Deserialize)]
pub(super) struct Record {
    pub algo: String,
    pub env: String,
    pub settings: toml::Table,
    pub observation_space: Space,
    pub action_space: Space,
}

/// The record of the snapshot in `dir` from its `meta.json` `run` value; a snapshot written
/// before the record held the settings and spaces (no `format`) is read through its run's
/// `config.toml` and the registered environment.
pub(super) fn read(run: &serde_json::Value, dir: &Path) -> Result<Record, PolicyError> {
    let at = |e: &dyn std::fmt::Display| PolicyError::Load(format!("{}: {e}", dir.display()));
    match run.get("format").and_then(serde_json::Value::as_u64) {
        Some(format) if format > u64::from(RUN_FORMAT) => Err(at(&format!(
            "snapshot format {format} is newer than this Cinder reads ({RUN_FORMAT}): update \
             Cinder"
        ))),
        Some(_) => Record::deserialize(run).map_err(|e| at(&format!("meta.json: run record: {e}"))),
        None => {
            let run_dir = dir
                .parent()
                .and_then(Path::parent)
                .ok_or_else(|| at(&"no run directory above this snapshot"))?;
            let config = crate::run::read_config(run_dir).map_err(|e| at(&e))?;
            let env = cinder_envs::make(&config.env).map_err(|e| at(&e))?;
            Ok(Record {
                settings: config.settings.to_table().map_err(|e| at(&e))?,
                algo: config.algo,
                env: config.env,
                observation_space: env.observation_space().clone(),
                action_space: env.action_space().clone(),
            })
        }
    }
}
