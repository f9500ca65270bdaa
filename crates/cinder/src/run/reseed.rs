//! Device generators reseeded before every iteration, so that a resumed run draws what the
//! uninterrupted one drew.

use burn::tensor::Device;
use cinder_agent::AgentError;
use cinder_core::{Actor, Snapshot};
use cinder_train::{Algorithm, Iteration};

use crate::burn;
use crate::settings::AnyAlgorithm;

/// An algorithm whose devices' generators are reseeded before every iteration from the run's
/// seed and the iteration's number. burn's device generators cannot be saved; reseeding them
/// from what a snapshot does hold (seed and iteration) makes every draw on a device (actions
/// sampled by the policy, SAC's reparameterisation noise) the same in a resumed run as in the
/// uninterrupted one.
pub(super) struct Reseeded {
    algorithm: AnyAlgorithm,
    devices: Vec<Device>,
    seed: u64,
    /// Iterations run so far (the next one's number).
    pub(super) iteration: usize,
}

impl Reseeded {
    /// `algorithm` with `devices` reseeded from `seed` before each iteration, from the first.
    pub(super) fn new(algorithm: AnyAlgorithm, devices: Vec<Device>, seed: u64) -> Self {
        Self {
            algorithm,
            devices,
            seed,
            iteration: 0,
        }
    }
}

impl Actor for Reseeded {
    type Error = AgentError;

    cinder_core::delegate_actor!(self => self.algorithm);
}

impl Algorithm for Reseeded {
    fn iterate(&mut self, progress: f64) -> Result<Iteration, AgentError> {
        let seed = iteration_seed(self.seed, self.iteration);
        for device in &self.devices {
            device.seed(seed);
        }
        self.iteration += 1;
        self.algorithm.iterate(progress)
    }

    fn snapshot(&self) -> Result<Snapshot, AgentError> {
        self.algorithm.snapshot()
    }

    fn restore(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        self.algorithm.restore(snapshot)
    }
}

/// The device seed of iteration `iteration` of a run seeded with `seed` (SplitMix64's
/// finaliser over both, so that neighbouring seeds and iterations give unrelated streams).
fn iteration_seed(seed: u64, iteration: usize) -> u64 {
    let mut z = seed ^ (iteration as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
