//! What a snapshot holds besides weights and optimiser states so that a resumed run goes on
//! bit for bit: the environments ([`VecEnv::snapshot`]) and the host generators.

use cinder_core::{Snapshot, VecEnv};
use cinder_nn::persist::{load_json, save_json};
use serde_json::Value;

use crate::AgentError;

/// The snapshot file of the training environments.
pub const ENVS_FILE: &str = "envs.json";

/// Adds `envs`' snapshot to `snapshot`.
pub fn save_envs(snapshot: &mut Snapshot, envs: &VecEnv) -> Result<(), AgentError> {
    Ok(save_json(snapshot, ENVS_FILE, &envs.snapshot()?)?)
}

/// Restores `envs` from `snapshot`, then runs `load` (the learner's own files); if either
/// fails, the environments are put back, so a failed restore changes nothing.
pub fn restore_envs_then<T>(
    snapshot: &Snapshot,
    envs: &mut VecEnv,
    load: impl FnOnce() -> Result<T, AgentError>,
) -> Result<T, AgentError> {
    let saved: Value = load_json(snapshot, ENVS_FILE)?;
    let previous = envs.snapshot()?;
    envs.restore(&saved)?;
    load().inspect_err(|_| {
        // `previous` came from these very environments, so it fits them.
        let _ = envs.restore(&previous);
    })
}
