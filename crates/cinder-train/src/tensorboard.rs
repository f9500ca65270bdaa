//! A TensorBoard event-file writer for scalars, written from the format's definition: a file
//! of TFRecords (length, masked CRC-32C of the length, payload, masked CRC-32C of the payload),
//! each payload an `Event` protocol buffer (`tensorflow/core/util/event.proto`):
//!
//! ```text
//! Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//! Summary { repeated Value value = 1; }
//! Value   { string tag = 1; float simple_value = 2; }
//! ```

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::TrainError;

/// Appends scalar summaries to `events.out.tfevents.<seconds>.cinder` in a directory.
pub struct EventWriter {
    path: PathBuf,
    out: BufWriter<File>,
}

impl EventWriter {
    /// Creates a new event file in `dir` (never overwriting one: a resumed run in the same
    /// second gets a numbered name) and writes the version record TensorBoard expects first.
    pub fn create(dir: &Path) -> Result<Self, TrainError> {
        let now = wall_time();
        let base = format!("events.out.tfevents.{}.cinder", now as u64);
        let (path, file) = (0..)
            .map(|n| match n {
                0 => dir.join(&base),
                n => dir.join(format!("{base}.{n}")),
            })
            .find_map(|path| match File::create_new(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => None,
                result => Some((path, result)),
            })
            .expect("some numbered name is free");
        let file = file.map_err(|source| TrainError::Io {
            path: path.clone(),
            source,
        })?;
        let mut writer = Self {
            path,
            out: BufWriter::new(file),
        };
        let mut event = Vec::new();
        put_double(&mut event, 1, now);
        put_bytes(&mut event, 3, b"brain.Event:2");
        writer.record(&event)?;
        Ok(writer)
    }

    /// Writes one event holding `scalars` (tag, value) at `step`.
    pub fn scalars(&mut self, step: i64, scalars: &[(&str, f64)]) -> Result<(), TrainError> {
        let mut summary = Vec::new();
        for (tag, value) in scalars {
            let mut v = Vec::new();
            put_bytes(&mut v, 1, tag.as_bytes());
            put_key(&mut v, 2, 5);
            v.extend_from_slice(&(*value as f32).to_le_bytes());
            put_bytes(&mut summary, 1, &v);
        }
        let mut event = Vec::new();
        put_double(&mut event, 1, wall_time());
        put_key(&mut event, 2, 0);
        put_varint(&mut event, step as u64);
        put_bytes(&mut event, 5, &summary);
        self.record(&event)
    }

    /// Flushes buffered events to disk.
    pub fn flush(&mut self) -> Result<(), TrainError> {
        self.out.flush().map_err(|source| TrainError::Io {
            path: self.path.clone(),
            source,
        })
    }

    fn record(&mut self, payload: &[u8]) -> Result<(), TrainError> {
        let len = (payload.len() as u64).to_le_bytes();
        let mut bytes = Vec::with_capacity(payload.len() + 16);
        bytes.extend_from_slice(&len);
        bytes.extend_from_slice(&masked_crc(&len).to_le_bytes());
        bytes.extend_from_slice(payload);
        bytes.extend_from_slice(&masked_crc(payload).to_le_bytes());
        self.out.write_all(&bytes).map_err(|source| TrainError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

/// TFRecord's masked CRC-32C: `rotr(crc, 15) + 0xa282ead8`.
pub fn masked_crc(bytes: &[u8]) -> u32 {
    crc32c::crc32c(bytes)
        .rotate_right(15)
        .wrapping_add(0xa282_ead8)
}

fn wall_time() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Field key: `field << 3 | wire_type` (0 varint, 1 64-bit, 2 length-delimited, 5 32-bit).
fn put_key(out: &mut Vec<u8>, field: u64, wire_type: u64) {
    put_varint(out, (field << 3) | wire_type);
}

fn put_double(out: &mut Vec<u8>, field: u64, v: f64) {
    put_key(out, field, 1);
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    put_key(out, field, 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}
