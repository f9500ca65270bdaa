//! What a snapshot holds besides weights and optimiser states so that a resumed run goes on
//! bit for bit: the environments ([`VecEnv::snapshot`]) and the host generators.

use cinder_core::{EnvError, Snapshot, VecEnv};
use cinder_nn::persist::{load_json, save_json};
use serde_json::Value;

use crate::AgentError;

/// The snapshot file of the training environments.
pub const ENVS_FILE: &str = "envs.json";

/// Adds `envs`' snapshot to `snapshot`. Environments that cannot save their state
/// ([`EnvError::StateUnsupported`], e.g. a user's own) add nothing: such a run resumes with
/// new episodes instead of bit for bit.
pub fn save_envs(snapshot: &mut Snapshot, envs: &VecEnv) -> Result<(), AgentError> {
    match envs.snapshot() {
        Ok(saved) => Ok(save_json(snapshot, ENVS_FILE, &saved)?),
        Err(EnvError::StateUnsupported { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Restores `envs` from `snapshot` (if it holds them), then runs `load` (the learner's own
/// files); if either fails, the environments are put back, so a failed restore changes
/// nothing.
pub fn restore_envs_then<T>(
    snapshot: &Snapshot,
    envs: &mut VecEnv,
    load: impl FnOnce() -> Result<T, AgentError>,
) -> Result<T, AgentError> {
    if !snapshot.contains(ENVS_FILE) {
        return load();
    }
    let saved: Value = load_json(snapshot, ENVS_FILE)?;
    let previous = envs.snapshot()?;
    envs.restore(&saved)?;
    load().inspect_err(|_| {
        // `previous` came from these very environments, so it fits them.
        let _ = envs.restore(&previous);
    })
}
