//! Weights and optimiser states as burnpack bytes, counters and host state (generators,
//! noise processes) as small files, for snapshots.

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use cinder_core::Snapshot;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::NnError;

/// Stores `module`'s parameters as burnpack file `name` of `snapshot`.
pub fn save_module<M: Module>(
    snapshot: &mut Snapshot,
    name: &str,
    module: &M,
) -> Result<(), NnError> {
    let bytes = module
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| NnError::Snapshot(format!("{name}: {e}")))?;
    snapshot.insert(name, bytes.to_vec());
    Ok(())
}

/// `module` with the parameters of burnpack file `name` of `snapshot`; an error names the file
/// if it is missing, corrupt or of another architecture.
pub fn load_module<M: Module>(snapshot: &Snapshot, name: &str, module: M) -> Result<M, NnError> {
    let bytes = snapshot.file(name).map_err(NnError::Snapshot)?;
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
        .map_err(|e| NnError::Snapshot(format!("{name} is not a burnpack record: {e}")))?;
    module
        .try_load_record(record)
        .map_err(|e| NnError::Snapshot(format!("{name} does not fit this network: {e}")))
}

/// Stores an optimiser's state as burnpack file `name` of `snapshot`.
pub fn save_optim(
    snapshot: &mut Snapshot,
    name: &str,
    optim: &ModuleOptimizer,
) -> Result<(), NnError> {
    let bytes = optim
        .into_bytes()
        .map_err(|e| NnError::Snapshot(format!("{name}: {e}")))?;
    snapshot.insert(name, bytes.to_vec());
    Ok(())
}

/// `optim` with the state of burnpack file `name` of `snapshot`.
pub fn load_optim(
    snapshot: &Snapshot,
    name: &str,
    optim: ModuleOptimizer,
) -> Result<ModuleOptimizer, NnError> {
    let bytes = snapshot.file(name).map_err(NnError::Snapshot)?;
    optim
        .from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
        .map_err(|e| NnError::Snapshot(format!("{name} is not an optimiser record: {e}")))
}

/// Stores counters (updates, iterations: what schedules read) as file `name` of `snapshot`,
/// little-endian u64s.
pub fn save_counters(snapshot: &mut Snapshot, name: &str, values: &[usize]) {
    let bytes = values
        .iter()
        .flat_map(|&v| (v as u64).to_le_bytes())
        .collect();
    snapshot.insert(name, bytes);
}

/// The `N` counters of file `name` of `snapshot`; an error names the file if it is missing or
/// of another length.
pub fn load_counters<const N: usize>(
    snapshot: &Snapshot,
    name: &str,
) -> Result<[usize; N], NnError> {
    let bytes = snapshot.file(name).map_err(NnError::Snapshot)?;
    if bytes.len() != 8 * N {
        return Err(NnError::Snapshot(format!(
            "{name} holds {} bytes, expected {}",
            bytes.len(),
            8 * N
        )));
    }
    let value = |i: usize| {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
        usize::try_from(u64::from_le_bytes(word))
    };
    let mut out = [0; N];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = value(i).map_err(|_| NnError::Snapshot(format!("{name}: counter out of range")))?;
    }
    Ok(out)
}

/// The snapshot file of a learner's host generator (minibatch order, exploration).
pub const RNG_FILE: &str = "rng.json";

/// Stores `value` (a generator, a noise process: host state a bit-exact resume needs) as JSON
/// file `name` of `snapshot`.
pub fn save_json<T: Serialize + ?Sized>(
    snapshot: &mut Snapshot,
    name: &str,
    value: &T,
) -> Result<(), NnError> {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| NnError::Snapshot(format!("{name} cannot be written: {e}")))?;
    snapshot.insert(name, bytes);
    Ok(())
}

/// File `name` of `snapshot` read back as `T`; an error names the file.
pub fn load_json<T: DeserializeOwned>(snapshot: &Snapshot, name: &str) -> Result<T, NnError> {
    let bytes = snapshot.file(name).map_err(NnError::Snapshot)?;
    serde_json::from_slice(bytes).map_err(|e| NnError::Snapshot(format!("{name}: {e}")))
}
