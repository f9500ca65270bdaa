//! Snapshots: an algorithm's named files (burnpack weights and optimiser states) plus a
//! `meta.json`, written so that a crash never leaves a half-written snapshot in place of a good
//! one.
//!
//! A snapshot directory is filled under a temporary name, then swapped in with two renames
//! (`dir` → `dir.old`, `dir.tmp` → `dir`); [`read_snapshot`] falls back to `dir.old` if the crash
//! happened between them. `meta.json` records each file's size and CRC-32C, checked on reading.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use cinder_core::Snapshot;

use crate::TrainError;

/// Which snapshots the training loop keeps (Pyrado's snapshot modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SnapshotMode {
    /// Overwrite `snapshots/latest` at every evaluation.
    Latest,
    /// Overwrite `snapshots/best` whenever an evaluation beats every earlier one.
    Best,
    /// Write none.
    None,
}

impl SnapshotMode {
    /// The directory name under `snapshots/`.
    pub fn dir_name(self) -> Option<&'static str> {
        match self {
            SnapshotMode::Latest => Some("latest"),
            SnapshotMode::Best => Some("best"),
            SnapshotMode::None => None,
        }
    }
}

/// One file's entry in `meta.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// File name inside the snapshot directory.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// CRC-32C of the contents.
    pub crc32c: u32,
}

/// `meta.json` of a snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SnapshotMeta {
    /// Iteration after which it was taken.
    pub iteration: usize,
    /// Environment steps by then.
    pub total_steps: usize,
    /// Gradient updates by then.
    #[serde(default)]
    pub total_updates: usize,
    /// Training episodes finished by then.
    #[serde(default)]
    pub total_episodes: usize,
    /// Wall time of training by then, evaluations included.
    #[serde(default)]
    pub wall_seconds: f64,
    /// The evaluation mean return at that point.
    pub eval_mean: f64,
    /// The files and their checksums.
    pub files: Vec<FileEntry>,
    /// Whatever the run records about itself (algorithm, environment, configuration).
    pub run: serde_json::Value,
}

const META: &str = "meta.json";

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, bytes).map_err(|source| TrainError::Io {
        path: tmp.clone(),
        source,
    })?;
    fs::rename(&tmp, path).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    dir.with_file_name(name)
}

/// Writes `snapshot` and its metadata into `dir`, replacing what was there only once every
/// file is complete.
pub fn write_snapshot(
    dir: &Path,
    snapshot: &Snapshot,
    mut meta: SnapshotMeta,
) -> Result<(), TrainError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TrainError::Io { path, source }
    };
    let tmp = sibling(dir, ".tmp");
    let old = sibling(dir, ".old");
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    meta.files.clear();
    for (name, bytes) in snapshot.files() {
        if !Snapshot::is_valid_name(name) {
            return Err(TrainError::BadSnapshot {
                path: tmp.clone(),
                reason: format!("file name `{name}` is not allowed"),
            });
        }
        let path = tmp.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io(parent))?;
        }
        fs::write(&path, bytes).map_err(io(&path))?;
        meta.files.push(FileEntry {
            name: name.to_string(),
            bytes: bytes.len() as u64,
            crc32c: crc32c::crc32c(bytes),
        });
    }
    let json = serde_json::to_vec_pretty(&meta).expect("snapshot metadata serialises");
    fs::write(tmp.join(META), json).map_err(io(&tmp.join(META)))?;
    if dir.exists() {
        if old.exists() {
            fs::remove_dir_all(&old).map_err(io(&old))?;
        }
        fs::rename(dir, &old).map_err(io(dir))?;
    }
    fs::rename(&tmp, dir).map_err(io(dir))?;
    if old.exists() {
        fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    Ok(())
}

/// Whether `dir` holds a snapshot for [`read_snapshot`] (its `meta.json`, or `dir.old`'s when
/// a crash mid-swap left only that).
pub fn is_snapshot(dir: &Path) -> bool {
    dir.join(META).exists() || !dir.exists() && sibling(dir, ".old").join(META).exists()
}

/// Reads the snapshot in `dir` (or `dir.old`, left by a crash mid-swap) and checks every
/// file against `meta.json`.
pub fn read_snapshot(dir: &Path) -> Result<(Snapshot, SnapshotMeta), TrainError> {
    let old = sibling(dir, ".old");
    let dir = if !dir.exists() && old.exists() {
        old.as_path()
    } else {
        dir
    };
    let bad = |reason: String| TrainError::BadSnapshot {
        path: dir.to_path_buf(),
        reason,
    };
    let meta_path = dir.join(META);
    let text = fs::read(&meta_path).map_err(|source| TrainError::Io {
        path: meta_path.clone(),
        source,
    })?;
    let meta: SnapshotMeta = serde_json::from_slice(&text)
        .map_err(|e| bad(format!("{META} is not valid snapshot metadata: {e}")))?;
    let mut snapshot = Snapshot::new();
    for entry in &meta.files {
        if !Snapshot::is_valid_name(&entry.name) {
            return Err(bad(format!("file name `{}` is not allowed", entry.name)));
        }
        let path = dir.join(&entry.name);
        let bytes = fs::read(&path).map_err(|source| TrainError::Io {
            path: path.clone(),
            source,
        })?;
        if bytes.len() as u64 != entry.bytes || crc32c::crc32c(&bytes) != entry.crc32c {
            return Err(bad(format!(
                "{} does not match {META} (size {} vs {}, or checksum): the file is corrupt \
                 or from another snapshot",
                entry.name,
                bytes.len(),
                entry.bytes
            )));
        }
        snapshot.insert(entry.name.clone(), bytes);
    }
    Ok((snapshot, meta))
}
