//! Fixed controllers and environments the offline tests record datasets with.
#![allow(dead_code)] // each test file uses its part

use cinder_core::{ActMode, Acted, ActionBatch, Actor, VecEnv};

/// Balances the pole with a fixed linear rule (returns of ~500; a deterministic actor: the
/// same observations give the same actions).
pub struct Balance;

impl Actor for Balance {
    type Error = std::convert::Infallible;

    fn act(&mut self, obs: &[f32], n: usize, _mode: ActMode) -> Result<Acted, Self::Error> {
        let actions = obs
            .chunks_exact(obs.len() / n)
            .map(|o| usize::from(o[2] + 0.3 * o[3] + 0.01 * o[1] > 0.0))
            .collect();
        Ok(Acted::actions(ActionBatch::Discrete(actions)))
    }
}

/// Pushes the pendulum towards upright with a linear rule, saturating at the action bounds.
pub struct Swing;

impl Actor for Swing {
    type Error = std::convert::Infallible;

    fn act(&mut self, obs: &[f32], n: usize, _mode: ActMode) -> Result<Acted, Self::Error> {
        let actions = obs.chunks_exact(obs.len() / n).map(swing).collect();
        Ok(Acted::actions(ActionBatch::Continuous(actions)))
    }
}

/// [`Swing`]'s action for one observation.
pub fn swing(o: &[f32]) -> f32 {
    (-3.0 * o[1] - 0.5 * o[2]).clamp(-2.0, 2.0)
}

/// `n` environments `id`.
pub fn envs(id: &str, n: usize) -> VecEnv {
    let spec = cinder_envs::spec(id).unwrap();
    VecEnv::from_fn(n, |_| spec.make()).unwrap()
}
