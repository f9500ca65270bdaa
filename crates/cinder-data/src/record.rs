//! Datasets recorded from an [`Actor`]: [`record`] rolls it out in a [`VecEnv`], [`Noisy`] adds
//! ε-greedy or Gaussian exploration to any actor first (`cinder collect`).

use cinder_core::actions::sample_valid;
use cinder_core::seeding::{EnvRng, rng_from_seed, sub_seed};
use cinder_core::{ActMode, Acted, ActionBatch, Actor, Observed, Space, VecEnv};
use rand::Rng;
use rand_distr::StandardNormal;

use crate::dataset::{Dataset, Episode, Provenance};
use crate::sampler::SampleError;

/// Rolls `actor` out in `envs` (reset with `seed`: environment `i`'s first episode has seed
/// `seed + i`, later ones continue its random stream) for at least `steps` transitions, acting
/// with `mode`; returns the episodes, finished ones first in the order they ended, then each
/// environment's unfinished one (its last step neither terminated nor truncated; it is
/// dropped if empty).
pub fn record<A>(
    actor: &mut A,
    envs: &mut VecEnv,
    steps: usize,
    mode: ActMode,
    seed: u64,
) -> Result<Dataset, SampleError>
where
    A: Actor,
    A::Error: std::error::Error + Send + Sync + 'static,
{
    let n = envs.num_envs();
    let dim = envs.observation_dim();
    let action_space = envs.action_space().clone();
    let action_dim = action_space.flat_dim();
    let mut observations = envs.reset(Some(seed)).to_vec();
    // An episode that has seen only its first observation.
    let start = |observation: &[f32], seed: Option<u64>| Episode {
        observations: observation.to_vec(),
        actions: ActionBatch::empty_for(&action_space),
        rewards: Vec::new(),
        terminations: Vec::new(),
        truncations: Vec::new(),
        seed,
    };
    let mut open: Vec<Episode> = (0..n)
        .map(|i| {
            start(
                &observations[i * dim..(i + 1) * dim],
                Some(sub_seed(seed, i)),
            )
        })
        .collect();
    let mut finished = Vec::new();
    let mut taken = 0;
    while taken < steps {
        let actions = actor
            .act_masked(
                Observed {
                    values: &observations,
                    num_envs: n,
                    masks: envs.action_masks(),
                },
                mode,
            )
            .map_err(|e| SampleError::Actor(Box::new(e)))?
            .actions;
        let step = envs.step(actions.as_actions())?;
        for (i, episode) in open.iter_mut().enumerate() {
            let row = i * dim..(i + 1) * dim;
            match (&mut episode.actions, &actions) {
                (ActionBatch::Discrete(log), ActionBatch::Discrete(a)) => log.push(a[i]),
                (ActionBatch::Continuous(log), ActionBatch::Continuous(a)) => {
                    log.extend_from_slice(&a[i * action_dim..(i + 1) * action_dim]);
                }
                _ => {
                    return Err(SampleError::BadBatch(
                        "action kind does not match the action space".into(),
                    ));
                }
            }
            episode.rewards.push(step.rewards[i]);
            episode.terminations.push(step.terminated[i]);
            episode.truncations.push(step.truncated[i]);
            if step.terminated[i] || step.truncated[i] {
                episode
                    .observations
                    .extend_from_slice(&step.final_observations[row.clone()]);
                let next = start(&step.observations[row], None);
                finished.push(std::mem::replace(episode, next));
            } else {
                episode
                    .observations
                    .extend_from_slice(&step.observations[row]);
            }
        }
        observations.copy_from_slice(step.observations);
        taken += n;
    }
    finished.extend(open.into_iter().filter(|e| !e.is_empty()));
    Ok(Dataset {
        env_id: None,
        observation_space: envs.observation_space().clone(),
        action_space,
        episodes: finished,
        provenance: Provenance::default(),
    })
}

/// Exploration added to a policy's actions when collecting a dataset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Noise {
    /// The policy's actions as they are.
    None,
    /// Discrete actions: a uniformly random action with this probability (ε-greedy).
    Epsilon(f64),
    /// Continuous actions: Gaussian noise of this standard deviation, in units of the
    /// action box's half-width (`σ · (high − low) / 2`), clipped into the box.
    Gaussian(f64),
}

/// An actor whose actions get [`Noise`]: the behaviour policy of a collected dataset.
pub struct Noisy<'a, A: ?Sized> {
    inner: &'a mut A,
    noise: Noise,
    space: Space,
    rng: EnvRng,
}

impl<'a, A: Actor + ?Sized> Noisy<'a, A> {
    /// `inner` acting in `space` with `noise` drawn from `seed`. Refuses ε-greedy noise for
    /// continuous actions, Gaussian noise for discrete ones, and values outside `[0, 1]` (ε)
    /// or below 0 (σ).
    pub fn new(inner: &'a mut A, space: &Space, noise: Noise, seed: u64) -> Result<Self, String> {
        match (noise, space) {
            (Noise::None, _) => {}
            (Noise::Epsilon(e), Space::Discrete(_)) if (0.0..=1.0).contains(&e) => {}
            (Noise::Gaussian(s), Space::Box(b)) if s >= 0.0 && s.is_finite() && b.is_bounded() => {}
            (Noise::Epsilon(e), Space::Discrete(_)) => {
                return Err(format!("ε must be in [0, 1], got {e}"));
            }
            (Noise::Gaussian(s), Space::Box(_)) => {
                return Err(format!(
                    "the noise σ must be finite and >= 0 on a bounded action box, got {s}"
                ));
            }
            (Noise::Epsilon(_), Space::Box(_)) => {
                return Err("ε-greedy noise needs discrete actions; use Gaussian noise".into());
            }
            (Noise::Gaussian(_), Space::Discrete(_)) => {
                return Err("Gaussian noise needs continuous actions; use ε-greedy".into());
            }
        }
        Ok(Self {
            inner,
            noise,
            space: space.clone(),
            rng: rng_from_seed(seed),
        })
    }
}

impl<A: Actor + ?Sized> Actor for Noisy<'_, A> {
    type Error = A::Error;

    /// The inner actor's actions with noise; ε-greedy draws among the valid actions.
    fn act_masked(&mut self, observed: Observed<'_>, mode: ActMode) -> Result<Acted, A::Error> {
        let masks = observed.masks;
        let mut actions = self.inner.act_masked(observed, mode)?.actions;
        match (&mut actions, self.noise, &self.space) {
            (ActionBatch::Discrete(a), Noise::Epsilon(eps), Space::Discrete(space)) => {
                for (i, action) in a.iter_mut().enumerate() {
                    if self.rng.random::<f64>() < eps {
                        *action = match masks {
                            None => space.sample(&mut self.rng),
                            Some(masks) => {
                                let n = space.n();
                                let valid = &masks[i * n..(i + 1) * n];
                                sample_valid(valid, &mut self.rng).unwrap_or(*action)
                            }
                        };
                    }
                }
            }
            (ActionBatch::Continuous(a), Noise::Gaussian(sigma), Space::Box(space)) => {
                let d = space.flat_dim();
                for (i, value) in a.iter_mut().enumerate() {
                    let half = (space.high()[i % d] - space.low()[i % d]) / 2.0;
                    let z: f64 = self.rng.sample(StandardNormal);
                    *value += (sigma * z) as f32 * half;
                }
                for row in a.chunks_exact_mut(d.max(1)) {
                    space.clip(row);
                }
            }
            _ => {}
        }
        Ok(Acted::actions(actions))
    }
}
