//! What a snapshot holds besides weights and optimiser states so that a resumed run goes on
//! bit for bit: the environments ([`VecEnv::snapshot`]) and the host generators.

use cinder_core::{EnvError, Snapshot, VecEnv};
use cinder_nn::persist::{load_json, save_json};
use serde_json::Value;

use crate::AgentError;

/// The snapshot file of the training environments.
pub const ENVS_FILE: &str = "envs.json";

/// The snapshot file of the training environments' normalisation statistics.
pub const NORMALIZATION_FILE: &str = "normalization.json";

/// Adds `envs`' snapshot and their normalisation statistics to `snapshot`. Environments that
/// cannot save their state ([`EnvError::StateUnsupported`], e.g. a user's own) add only the
/// statistics: such a run cannot be resumed exactly.
pub fn save_envs(snapshot: &mut Snapshot, envs: &VecEnv) -> Result<(), AgentError> {
    if let Some(normalization) = envs.normalization() {
        save_json(snapshot, NORMALIZATION_FILE, &normalization.snapshot()?)?;
    }
    match envs.snapshot() {
        Ok(saved) => Ok(save_json(snapshot, ENVS_FILE, &saved)?),
        Err(EnvError::StateUnsupported { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Restores `envs` and their normalisation statistics from `snapshot` (what it holds of them),
/// then runs `load` (the learner's own files); if any of it fails, the environments and
/// statistics are put back, so a failed restore changes nothing. Statistics saved for
/// environments that do not normalise, or missing for ones that do, are an error.
pub fn restore_envs_then<T>(
    snapshot: &Snapshot,
    envs: &mut VecEnv,
    load: impl FnOnce() -> Result<T, AgentError>,
) -> Result<T, AgentError> {
    let statistics = match (snapshot.contains(NORMALIZATION_FILE), envs.normalization()) {
        (false, None) => None,
        (true, Some(current)) => {
            let saved: Value = load_json(snapshot, NORMALIZATION_FILE)?;
            Some((saved, current.snapshot()?))
        }
        (saved, _) => {
            let (has, lacks) = if saved {
                ("holds", "do not")
            } else {
                ("lacks", "do")
            };
            return Err(AgentError::Env(EnvError::BadSnapshot {
                env: envs.env(0).map_or("VecEnv", |env| env.id()).to_string(),
                reason: format!(
                    "the snapshot {has} normalisation statistics ({NORMALIZATION_FILE}) and \
                     these environments {lacks} normalise"
                ),
            }));
        }
    };
    let restore_statistics = |envs: &mut VecEnv, value: &Value| match envs.normalization_mut() {
        Some(normalization) => normalization.restore(value),
        None => Ok(()),
    };
    if let Some((saved, _)) = &statistics {
        restore_statistics(envs, saved)?;
    }
    let put_back = |envs: &mut VecEnv| {
        // What is put back came from these very environments, so it fits them.
        if let Some((_, previous)) = &statistics {
            let _ = restore_statistics(envs, previous);
        }
    };
    let restored = (|| {
        if !snapshot.contains(ENVS_FILE) {
            return load();
        }
        let saved: Value = load_json(snapshot, ENVS_FILE)?;
        let previous = envs.snapshot()?;
        envs.restore(&saved)?;
        load().inspect_err(|_| {
            let _ = envs.restore(&previous);
        })
    })();
    restored.inspect_err(|_| put_back(envs))
}
