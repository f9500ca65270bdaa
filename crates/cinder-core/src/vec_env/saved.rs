//! A [`VecEnv`]'s snapshot: every environment's own, the running episodes and the
//! observations to act on next.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::env::{from_snapshot, to_snapshot};
use crate::error::EnvError;

use super::VecEnv;

/// What [`VecEnv::snapshot`] writes.
#[derive(Serialize, Deserialize)]
struct Saved {
    envs: Vec<Value>,
    episode_returns: Vec<f64>,
    episode_lengths: Vec<usize>,
    observations: Vec<f32>,
    /// Before normalisation (empty without it, and in snapshots older than it).
    #[serde(default)]
    unnormalized: Vec<f32>,
    needs_reset: bool,
}

impl VecEnv {
    /// Every environment's [`Env::snapshot`], the running episodes' returns and lengths and
    /// the observations to act on next: what [`VecEnv::restore`] needs to go on exactly.
    pub fn snapshot(&self) -> Result<Value, EnvError> {
        let saved = Saved {
            envs: self
                .slots
                .iter()
                .map(|slot| slot.env.snapshot())
                .collect::<Result<_, _>>()?,
            episode_returns: self.slots.iter().map(|s| s.episode_return).collect(),
            episode_lengths: self.slots.iter().map(|s| s.episode_length).collect(),
            observations: self.observations.clone(),
            unnormalized: self.unnormalized.clone(),
            needs_reset: self.needs_reset,
        };
        to_snapshot(&self.context(), &saved)
    }

    /// Puts back what [`VecEnv::snapshot`] saved from a vector environment of the same size
    /// and kind; on an error every environment is left as it was.
    pub fn restore(&mut self, snapshot: &Value) -> Result<(), EnvError> {
        let context = self.context();
        let saved: Saved = from_snapshot(&context, snapshot)?;
        let n = self.slots.len();
        let sizes = [
            (saved.envs.len(), n, "environments"),
            (saved.episode_returns.len(), n, "episode returns"),
            (saved.episode_lengths.len(), n, "episode lengths"),
            (
                saved.observations.len(),
                self.observations.len(),
                "observation values",
            ),
        ];
        if let Some((got, expected, what)) = sizes.into_iter().find(|(g, e, _)| g != e) {
            return Err(EnvError::BadSnapshot {
                env: context,
                reason: format!("{got} {what} saved, this vector environment has {expected}"),
            });
        }
        let previous: Vec<Value> = self
            .slots
            .iter()
            .map(|slot| slot.env.snapshot())
            .collect::<Result<_, _>>()?;
        for (i, env_snapshot) in saved.envs.iter().enumerate() {
            if let Err(e) = self.slots[i].env.restore(env_snapshot) {
                for (slot, back) in self.slots.iter_mut().zip(&previous).take(i) {
                    slot.env.restore(back)?;
                }
                return Err(e);
            }
        }
        for (slot, (episode_return, episode_length)) in self
            .slots
            .iter_mut()
            .zip(saved.episode_returns.into_iter().zip(saved.episode_lengths))
        {
            slot.episode_return = episode_return;
            slot.episode_length = episode_length;
        }
        self.unnormalized = match saved.unnormalized.len() == self.unnormalized.len() {
            true => saved.unnormalized,
            // Saved without normalisation, or before it was kept: the closest there is.
            false if self.normalization.is_some() => saved.observations.clone(),
            false => Vec::new(),
        };
        self.observations = saved.observations;
        self.needs_reset = saved.needs_reset;
        if let Err(e) = self.refresh_masks() {
            self.broken_reset.get_or_insert(e);
        }
        Ok(())
    }
}
