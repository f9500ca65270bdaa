//! How the deterministic policies (DDPG, TD3) act: exploration noise in the unit action cube,
//! bounded, then scaled or clipped onto the action box.

use cinder_agent::{AgentError, DeterministicPolicy, Exported};
use cinder_core::{ActMode, Acted, ActionBatch, Snapshot};
use cinder_nn::persist::{load_json, save_json};
use cinder_nn::tensors::{matrix, read_floats};
use rand::Rng;
use rand_distr::StandardNormal;

use crate::actor_critic::{ActorCritic, Critics};
use crate::ddpg::DdpgConfig;

/// The noise added to the deterministic action `μ(s) ∈ [-1, 1]^d` before it is bounded and
/// scaled to the action space (Tianshou adds it at the same place).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExplorationNoise {
    /// Independent `N(0, σ²)` per step (Tianshou's default, σ = 0.1; Fujimoto et al. 2018
    /// found it as good as OU noise).
    Gaussian {
        /// Standard deviation.
        sigma: f64,
    },
    /// The Ornstein-Uhlenbeck process of Lillicrap et al. 2016,
    /// `x ← x + θ (μ − x) dt + σ √dt ε` with `μ = 0` (Tianshou's `OUNoise` defaults: σ = 0.3,
    /// θ = 0.15, dt = 0.01), one process per environment and action dimension.
    OrnsteinUhlenbeck {
        /// Mean-reversion rate θ.
        theta: f64,
        /// Volatility σ.
        sigma: f64,
        /// Time step.
        dt: f64,
    },
}

impl ExplorationNoise {
    /// Parses `gaussian:<sigma>` or `ou:<theta>,<sigma>,<dt>` (also `gaussian` / `ou` with the
    /// defaults).
    pub fn parse(text: &str) -> Option<Self> {
        let (kind, args) = text.split_once(':').unwrap_or((text, ""));
        let numbers: Option<Vec<f64>> = if args.is_empty() {
            Some(Vec::new())
        } else {
            args.split(',').map(|x| x.trim().parse().ok()).collect()
        };
        let numbers = numbers?;
        let noise = match (kind.trim(), numbers.as_slice()) {
            ("gaussian", []) => ExplorationNoise::Gaussian { sigma: 0.1 },
            ("gaussian", [sigma]) => ExplorationNoise::Gaussian { sigma: *sigma },
            ("ou", []) => ExplorationNoise::OrnsteinUhlenbeck {
                theta: 0.15,
                sigma: 0.3,
                dt: 1e-2,
            },
            ("ou", [theta, sigma, dt]) => ExplorationNoise::OrnsteinUhlenbeck {
                theta: *theta,
                sigma: *sigma,
                dt: *dt,
            },
            _ => return None,
        };
        noise.is_valid().then_some(noise)
    }

    fn is_valid(&self) -> bool {
        match *self {
            ExplorationNoise::Gaussian { sigma } => sigma.is_finite() && sigma >= 0.0,
            ExplorationNoise::OrnsteinUhlenbeck { theta, sigma, dt } => {
                [theta, sigma, dt]
                    .iter()
                    .all(|v| v.is_finite() && *v >= 0.0)
                    && dt > 0.0
            }
        }
    }
}

impl std::fmt::Display for ExplorationNoise {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExplorationNoise::Gaussian { sigma } => write!(f, "gaussian:{sigma}"),
            ExplorationNoise::OrnsteinUhlenbeck { theta, sigma, dt } => {
                write!(f, "ou:{theta},{sigma},{dt}")
            }
        }
    }
}

/// The running state of an [`ExplorationNoise`] (OU's `x` per environment and dimension).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NoiseProcess {
    noise: ExplorationNoise,
    state: Vec<f64>,
}

impl NoiseProcess {
    pub fn new(noise: ExplorationNoise) -> Self {
        Self {
            noise,
            state: Vec::new(),
        }
    }

    /// The running state (empty for Gaussian noise and before the first step).
    pub fn state(&self) -> &[f64] {
        &self.state
    }

    /// Puts back a state saved with [`NoiseProcess::state`].
    pub fn set_state(&mut self, state: Vec<f64>) {
        self.state = state;
    }

    /// Adds one noise sample per value of `actions` (`num_envs × dim`, fixed between calls).
    pub fn perturb<R: Rng + ?Sized>(&mut self, actions: &mut [f32], rng: &mut R) {
        match self.noise {
            ExplorationNoise::Gaussian { sigma } => {
                for a in actions.iter_mut() {
                    let eps: f64 = rng.sample(StandardNormal);
                    *a += (sigma * eps) as f32;
                }
            }
            ExplorationNoise::OrnsteinUhlenbeck { theta, sigma, dt } => {
                self.state.resize(actions.len(), 0.0);
                for (x, a) in self.state.iter_mut().zip(actions.iter_mut()) {
                    let eps: f64 = rng.sample(StandardNormal);
                    *x += -theta * *x * dt + sigma * dt.sqrt() * eps;
                    *a += *x as f32;
                }
            }
        }
    }
}

/// The snapshot file of the exploration noise's running state (OU's `x`).
const NOISE_FILE: &str = "noise.json";

/// How a deterministic policy's actions reach the environment (Tianshou's
/// `exploration_noise`, `action_bound_method` and `action_scaling`): `μ(s) ∈ [-1, 1]^d` plus
/// noise when exploring, bounded to `[-1, 1]` with `action_bound_clip`, then mapped affinely
/// onto the action box with `action_scaling` (else clipped into it).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NoisyActing {
    noise: NoiseProcess,
    action_scaling: bool,
    action_bound_clip: bool,
}

/// `Actor` for a learner whose `acting` is a [`NoisyActing`] over its skeleton `ac` (DDPG,
/// TD3), and its `set_exploration_noise`.
macro_rules! noisy_actor {
    ($learner:ty) => {
        impl $learner {
            /// Replaces the exploration noise from the next exploring step on (Tianshou's
            /// `set_exp_noise`; `gaussian:0` is its `None`). An Ornstein-Uhlenbeck process
            /// starts again from 0. Only for this learner's lifetime: a run resumed from its
            /// directory explores with its settings' `exploration_noise`.
            pub fn set_exploration_noise(
                &mut self,
                noise: $crate::ExplorationNoise,
            ) -> Result<(), AgentError> {
                self.acting.set_noise(noise)
            }
        }

        impl cinder_core::Actor for $learner {
            type Error = AgentError;

            fn act(
                &mut self,
                obs: &[f32],
                num_envs: usize,
                mode: cinder_core::ActMode,
            ) -> Result<cinder_core::Acted, AgentError> {
                self.acting.act(&mut self.ac, obs, num_envs, mode)
            }
        }
    };
}
pub(crate) use noisy_actor;

impl NoisyActing {
    /// The acting `config` describes.
    pub fn of(config: &DdpgConfig) -> Self {
        Self {
            noise: NoiseProcess::new(config.exploration_noise),
            action_scaling: config.action_scaling,
            action_bound_clip: config.action_bound_clip,
        }
    }

    /// Replaces the noise (its running state starts again), or an error naming an invalid one.
    pub fn set_noise(&mut self, noise: ExplorationNoise) -> Result<(), AgentError> {
        if !noise.is_valid() {
            return Err(AgentError::InvalidParameter {
                name: "exploration_noise",
                value: noise.to_string(),
                expected: "non-negative finite parameters (and dt > 0)",
            });
        }
        self.noise = NoiseProcess::new(noise);
        Ok(())
    }

    /// `ac`'s greedy acting as an exported network: `μ(s)` scaled onto the box with
    /// `action_scaling`, else clipped into it.
    pub fn graph<C: Critics>(
        &self,
        ac: &ActorCritic<DeterministicPolicy, C>,
    ) -> Result<Exported, AgentError> {
        ac.acting.graph(&ac.scale, self.action_scaling)
    }

    /// Uniform in the box ([`ActMode::Random`]), `μ(s)` plus noise (exploring) or `μ(s)`
    /// (greedy) of `ac`'s acting copy, mapped onto the action box.
    pub fn act<C: Critics>(
        &mut self,
        ac: &mut ActorCritic<DeterministicPolicy, C>,
        obs: &[f32],
        num_envs: usize,
        mode: ActMode,
    ) -> Result<Acted, AgentError> {
        let mut unit = match mode {
            ActMode::Random => ac.scale.sample_unit(num_envs, &mut ac.rng),
            ActMode::Explore | ActMode::Greedy => {
                let obs = matrix(obs, num_envs, ac.act_device());
                let mut unit = read_floats(ac.acting.forward(obs))?;
                if mode == ActMode::Explore {
                    self.noise.perturb(&mut unit, &mut ac.rng);
                    if self.action_bound_clip {
                        unit.iter_mut().for_each(|u| *u = u.clamp(-1.0, 1.0));
                    }
                }
                unit
            }
        };
        let actions = if self.action_scaling {
            ac.scale.unit_to_env(&unit)
        } else {
            ac.scale.clip(&mut unit);
            unit
        };
        Ok(Acted::actions(ActionBatch::Continuous(actions)))
    }

    /// Adds the noise's running state to `snapshot`.
    pub fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        Ok(save_json(snapshot, NOISE_FILE, self.noise.state())?)
    }

    /// A copy with the running state [`NoisyActing::save`] stored.
    pub fn loaded(&self, snapshot: &Snapshot) -> Result<Self, AgentError> {
        let mut loaded = self.clone();
        loaded.noise.set_state(load_json(snapshot, NOISE_FILE)?);
        Ok(loaded)
    }
}
