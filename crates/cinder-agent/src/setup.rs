//! [`Setup`]: what every learner is built from, so that every algorithm is built the same way:
//! `Learner::new(config, &setup)`, then its loop `Loop::new(learner, envs or dataset, config,
//! &setup)`, each returning a `Result`.

use burn::tensor::Device;
use cinder_core::{Space, VecEnv};

/// The environment's spaces, where a learner trains and acts, and its seed.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The observation space.
    pub observation_space: Space,
    /// The action space.
    pub action_space: Space,
    /// The learning device (a learner records its graphs on its autodiff form).
    pub device: Device,
    /// The device the acting copy of the policy runs on.
    pub act_device: Device,
    /// Seed of the host random streams (exploration, minibatches, environment resets).
    pub seed: u64,
}

impl Setup {
    /// A learner of `envs`' spaces learning on `device`, acting on `act_device`, seeded with
    /// `seed`.
    pub fn new(envs: &VecEnv, device: &Device, act_device: &Device, seed: u64) -> Self {
        Self::of_spaces(
            envs.observation_space(),
            envs.action_space(),
            device,
            act_device,
            seed,
        )
    }

    /// The same from the spaces alone (an offline learner, whose data came from elsewhere).
    pub fn of_spaces(
        observation_space: &Space,
        action_space: &Space,
        device: &Device,
        act_device: &Device,
        seed: u64,
    ) -> Self {
        Self {
            observation_space: observation_space.clone(),
            action_space: action_space.clone(),
            device: device.clone(),
            act_device: act_device.clone(),
            seed,
        }
    }

    /// The flat size of an observation.
    pub fn observation_dim(&self) -> usize {
        self.observation_space.flat_dim()
    }

    /// The same setup with another seed (SVPG's particles).
    pub fn with_seed(&self, seed: u64) -> Self {
        Self {
            seed,
            ..self.clone()
        }
    }
}
