//! Seeding: every random stream in Cinder comes from an explicit seed.
//!
//! Environments own a [`EnvRng`] seeded by `reset(Some(seed))`. A [`crate::VecEnv`] reset with
//! seed `s` seeds its environment `i` with `s + i`, as Gymnasium's vector environments do, so the
//! streams of different environments never depend on the order in which they are stepped (and
//! results are the same whatever number of worker threads steps them).
//!
//! The generator is ChaCha8: its output for a given seed is fixed by its specification
//! (`rand_chacha` documents it as portable and reproducible), unlike `StdRng`.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The random-number generator every environment and sampler owns.
pub type EnvRng = ChaCha8Rng;

/// A generator whose whole output is fixed by `seed`.
pub fn rng_from_seed(seed: u64) -> EnvRng {
    EnvRng::seed_from_u64(seed)
}

/// A generator seeded from the operating system, for runs that ask for no seed.
pub fn rng_from_entropy() -> EnvRng {
    EnvRng::from_os_rng()
}

/// The seed of sub-stream `index` of `seed` (environment `index` of a vector environment).
pub fn sub_seed(seed: u64, index: usize) -> u64 {
    seed.wrapping_add(index as u64)
}
