//! Replay buffers as bytes, for snapshots (`--save-buffer`): a little-endian header and the
//! stored columns, read back only into a buffer of the same shape.

use super::buffer::{ActionColumn, ReplayBuffer, ReplayError};
use super::prioritized::PrioritizedReplay;

const MAGIC: &[u8; 8] = b"CINDRPL2";
/// Files written before next-state action masks were stored: read as without masks.
const MAGIC_1: &[u8; 8] = b"CINDRPL1";

/// Appends little-endian values to a byte vector.
struct Writer(Vec<u8>);

impl Writer {
    fn u64(&mut self, v: usize) {
        self.0.extend_from_slice(&(v as u64).to_le_bytes());
    }
    fn f32s(&mut self, values: &[f32]) {
        values
            .iter()
            .for_each(|v| self.0.extend_from_slice(&v.to_le_bytes()));
    }
    fn f64s(&mut self, values: &[f64]) {
        values
            .iter()
            .for_each(|v| self.0.extend_from_slice(&v.to_le_bytes()));
    }
    fn flags(&mut self, values: &[bool]) {
        self.0.extend(values.iter().map(|&b| u8::from(b)));
    }
}

/// Reads what [`Writer`] wrote, with an error instead of a panic at every short read.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], ReplayError> {
        if self.0.len() < n {
            return Err(ReplayError::Corrupt(format!(
                "truncated: needed {n} more bytes, {} left",
                self.0.len()
            )));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn u64(&mut self) -> Result<usize, ReplayError> {
        let bytes = self.take(8)?;
        Ok(u64::from_le_bytes(bytes.try_into().expect("8 bytes")) as usize)
    }
    fn f32s(&mut self, out: &mut [f32]) -> Result<(), ReplayError> {
        let bytes = self.take(out.len() * 4)?;
        for (v, chunk) in out.iter_mut().zip(bytes.chunks_exact(4)) {
            *v = f32::from_le_bytes(chunk.try_into().expect("4 bytes"));
        }
        Ok(())
    }
    fn f64s(&mut self, n: usize) -> Result<Vec<f64>, ReplayError> {
        let bytes = self.take(n * 8)?;
        Ok(bytes
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect())
    }
    fn flags(&mut self, out: &mut [bool]) -> Result<(), ReplayError> {
        let bytes = self.take(out.len())?;
        for (v, &b) in out.iter_mut().zip(bytes) {
            *v = match b {
                0 => false,
                1 => true,
                other => return Err(ReplayError::Corrupt(format!("flag byte {other}"))),
            };
        }
        Ok(())
    }
}

impl ReplayBuffer {
    /// The header fields that must agree between a saved buffer and the one loading it.
    fn shape(&self) -> [usize; 5] {
        let kind = match self.actions {
            ActionColumn::Discrete(_) => 0,
            ActionColumn::Continuous(_) => 1,
        };
        [
            self.num_streams,
            self.rows,
            self.obs_dim,
            self.action_dim,
            kind,
        ]
    }

    fn write(&self, w: &mut Writer) {
        w.0.extend_from_slice(MAGIC);
        self.shape().iter().for_each(|&v| w.u64(v));
        w.u64(self.filled_rows);
        w.u64(self.cursor);
        let n = self.len();
        let d = self.obs_dim;
        w.f32s(&self.observations[..n * d]);
        w.f32s(&self.next_observations[..n * d]);
        match &self.actions {
            ActionColumn::Discrete(a) => a[..n].iter().for_each(|&v| w.u64(v as usize)),
            ActionColumn::Continuous(a) => w.f32s(&a[..n * self.action_dim]),
        }
        w.f32s(&self.rewards[..n]);
        w.flags(&self.terminated[..n]);
        w.flags(&self.truncated[..n]);
        match &self.next_masks {
            None => w.u64(0),
            Some(masks) => {
                w.u64(1);
                w.flags(&masks[..n * self.num_actions]);
            }
        }
    }

    /// A copy of `self` (same shape) filled from `r`.
    fn read(&self, r: &mut Reader) -> Result<Self, ReplayError> {
        let version = match r.take(8)? {
            magic if magic == MAGIC => 2,
            magic if magic == MAGIC_1 => 1,
            _ => return Err(ReplayError::Corrupt("not a Cinder replay buffer".into())),
        };
        let mut saved = [0usize; 5];
        for v in saved.iter_mut() {
            *v = r.u64()?;
        }
        if saved != self.shape() {
            return Err(ReplayError::Corrupt(format!(
                "saved for [streams, rows, obs_dim, action_dim, discrete=0/box=1] = {saved:?}, \
                 this run has {:?}",
                self.shape()
            )));
        }
        let mut buffer = self.clone();
        buffer.filled_rows = r.u64()?;
        buffer.cursor = r.u64()?;
        if buffer.filled_rows > buffer.rows || buffer.cursor >= buffer.rows {
            return Err(ReplayError::Corrupt(format!(
                "{} filled rows and cursor {} in a buffer of {} rows",
                buffer.filled_rows, buffer.cursor, buffer.rows
            )));
        }
        let n = buffer.len();
        let d = buffer.obs_dim;
        r.f32s(&mut buffer.observations[..n * d])?;
        r.f32s(&mut buffer.next_observations[..n * d])?;
        match &mut buffer.actions {
            ActionColumn::Discrete(a) => {
                for v in a[..n].iter_mut() {
                    *v = u32::try_from(r.u64()?)
                        .map_err(|_| ReplayError::Corrupt("discrete action exceeds u32".into()))?;
                }
            }
            ActionColumn::Continuous(a) => r.f32s(&mut a[..n * buffer.action_dim])?,
        }
        r.f32s(&mut buffer.rewards[..n])?;
        r.flags(&mut buffer.terminated[..n])?;
        r.flags(&mut buffer.truncated[..n])?;
        let has_masks = if version == 1 { 0 } else { r.u64()? };
        buffer.next_masks = match has_masks {
            0 => None,
            1 => {
                let a = buffer.num_actions;
                let mut masks = vec![true; buffer.capacity() * a];
                r.flags(&mut masks[..n * a])?;
                Some(masks)
            }
            other => return Err(ReplayError::Corrupt(format!("mask flag {other}"))),
        };
        Ok(buffer)
    }

    /// The stored transitions and ring position as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        self.write(&mut w);
        w.0
    }

    /// Replaces the contents with bytes from [`ReplayBuffer::to_bytes`] of a buffer of the same
    /// shape; on error `self` is unchanged.
    pub fn load_bytes(&mut self, bytes: &[u8]) -> Result<(), ReplayError> {
        let mut r = Reader(bytes);
        let buffer = self.read(&mut r)?;
        expect_end(&r)?;
        *self = buffer;
        Ok(())
    }
}

fn expect_end(r: &Reader) -> Result<(), ReplayError> {
    if r.0.is_empty() {
        Ok(())
    } else {
        Err(ReplayError::Corrupt(format!(
            "{} unexpected trailing bytes",
            r.0.len()
        )))
    }
}

impl PrioritizedReplay {
    /// The transitions, priorities and ring position as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let (buffer, scaled, max_priority) = self.parts();
        let mut w = Writer(Vec::new());
        buffer.write(&mut w);
        w.f64s(&scaled);
        w.f64s(&[max_priority]);
        w.0
    }

    /// Replaces the contents with bytes from [`PrioritizedReplay::to_bytes`]; on error `self`
    /// is unchanged.
    pub fn load_bytes(&mut self, bytes: &[u8]) -> Result<(), ReplayError> {
        let mut r = Reader(bytes);
        let buffer = self.buffer().read(&mut r)?;
        let scaled = r.f64s(buffer.len())?;
        let max_priority = r.f64s(1)?[0];
        expect_end(&r)?;
        self.set_parts(buffer, &scaled, max_priority)
    }
}
