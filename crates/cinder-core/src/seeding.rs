//! Seeding: every random stream in Cinder comes from an explicit seed.
//!
//! Environments own a [`EnvRng`] seeded by `reset(Some(seed))`. A [`crate::VecEnv`] reset with
//! seed `s` seeds its environment `i` with `s + i`, as Gymnasium's vector environments do, so the
//! streams of different environments never depend on the order in which they are stepped (and
//! results are the same whatever number of worker threads steps them).
//!
//! The generator is ChaCha8: its output for a given seed is fixed by its specification
//! (`rand_chacha` documents it as portable and reproducible), unlike `StdRng`.
//!
//! Environments that port a Gymnasium one draw their resets from [`NumpyRng`] instead: NumPy's
//! PCG64 seeded through NumPy's `SeedSequence`, the generator Gymnasium's `np_random(seed)`
//! builds, so that the same seed gives the same episodes in Cinder and in Gymnasium.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

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

/// NumPy's `PCG64` bit generator: a 128-bit LCG with the XSL-RR output (O'Neill 2014, "PCG:
/// A family of simple fast space-efficient statistically good algorithms"), stepping before
/// each output as NumPy's `pcg64_random_r` does; `random::<f64>()` is NumPy's `next_double`.
/// Saved in snapshots as two hexadecimal strings (JSON numbers cannot hold 128 bits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumpyRng {
    #[serde(with = "hex_u128")]
    state: u128,
    #[serde(with = "hex_u128")]
    increment: u128,
}

impl NumpyRng {
    /// PCG's default 128-bit multiplier.
    const MULTIPLIER: u128 = 0x2360_ed05_1fc6_5da4_4385_df64_9fcc_f645;

    /// `pcg_setseq_128_srandom_r(initstate, initseq)`.
    fn new(initial_state: u128, sequence: u128) -> Self {
        let mut rng = Self {
            state: 0,
            increment: (sequence << 1) | 1,
        };
        rng.step();
        rng.state = rng.state.wrapping_add(initial_state);
        rng.step();
        rng
    }

    fn step(&mut self) {
        self.state = self
            .state
            .wrapping_mul(Self::MULTIPLIER)
            .wrapping_add(self.increment);
    }
}

impl RngCore for NumpyRng {
    fn next_u64(&mut self) -> u64 {
        self.step();
        let folded = ((self.state >> 64) as u64) ^ (self.state as u64);
        folded.rotate_right((self.state >> 122) as u32)
    }

    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

impl SeedableRng for NumpyRng {
    /// Initial state then sequence, each 128 bits little-endian.
    type Seed = [u8; 32];

    fn from_seed(seed: [u8; 32]) -> Self {
        let half = |i: usize| u128::from_le_bytes(seed[i..i + 16].try_into().expect("16 bytes"));
        Self::new(half(0), half(16))
    }
}

/// A `u128` as a hexadecimal string.
mod hex_u128 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(value: &u128, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{value:032x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u128, D::Error> {
        let text = String::deserialize(deserializer)?;
        u128::from_str_radix(&text, 16).map_err(|e| D::Error::custom(format!("{text:?}: {e}")))
    }
}

/// `numpy.random.PCG64(numpy.random.SeedSequence(seed))`: Gymnasium's `np_random(seed)`.
pub fn numpy_rng(seed: u64) -> NumpyRng {
    let [s0, s1, s2, s3] = seed_sequence_state(seed);
    let join = |high: u64, low: u64| (u128::from(high) << 64) | u128::from(low);
    NumpyRng::new(join(s0, s1), join(s2, s3))
}

/// NumPy's `SeedSequence(seed).generate_state(4, uint64)` (pool of four 32-bit words, no spawn
/// key): the entropy's 32-bit words are hashed into the pool, the pool is mixed word against
/// word, and the state is drawn from the pool by a second hash (NumPy's `bit_generator.pyx`,
/// after Melissa O'Neill's `seed_seq_fe`).
fn seed_sequence_state(seed: u64) -> [u64; 4] {
    const INIT_A: u32 = 0x43b0_d7e5;
    const MULT_A: u32 = 0x931e_8875;
    const INIT_B: u32 = 0x8b51_f9dd;
    const MULT_B: u32 = 0x58f3_8ded;
    const MIX_MULT_L: u32 = 0xca01_f9dd;
    const MIX_MULT_R: u32 = 0x4973_f715;
    const XSHIFT: u32 = 16;
    // The integer as little-endian 32-bit words, as NumPy coerces it (0 is one word).
    let entropy: Vec<u32> = if seed >> 32 == 0 {
        vec![seed as u32]
    } else {
        vec![seed as u32, (seed >> 32) as u32]
    };
    let mut hash_const = INIT_A;
    let mut hashmix = |value: u32| {
        let mut value = value ^ hash_const;
        hash_const = hash_const.wrapping_mul(MULT_A);
        value = value.wrapping_mul(hash_const);
        value ^ (value >> XSHIFT)
    };
    let mix = |x: u32, y: u32| {
        let result = MIX_MULT_L
            .wrapping_mul(x)
            .wrapping_sub(MIX_MULT_R.wrapping_mul(y));
        result ^ (result >> XSHIFT)
    };
    let mut pool: [u32; 4] = std::array::from_fn(|i| hashmix(entropy.get(i).copied().unwrap_or(0)));
    for src in 0..pool.len() {
        for dst in 0..pool.len() {
            if src != dst {
                pool[dst] = mix(pool[dst], hashmix(pool[src]));
            }
        }
    }
    let mut hash_const = INIT_B;
    let words: Vec<u32> = pool
        .iter()
        .cycle()
        .take(8)
        .map(|&word| {
            let mut value = word ^ hash_const;
            hash_const = hash_const.wrapping_mul(MULT_B);
            value = value.wrapping_mul(hash_const);
            value ^ (value >> XSHIFT)
        })
        .collect();
    std::array::from_fn(|i| u64::from(words[2 * i]) | (u64::from(words[2 * i + 1]) << 32))
}

/// The seed of sub-stream `index` of `seed` (environment `index` of a vector environment).
pub fn sub_seed(seed: u64, index: usize) -> u64 {
    seed.wrapping_add(index as u64)
}

#[cfg(test)]
mod tests {
    use rand::{Rng, RngCore};

    use super::*;

    /// `SeedSequence(seed).generate_state(4, np.uint64)` and the first three
    /// `PCG64(SeedSequence(seed)).random_raw()` outputs, printed by NumPy 2.4.6.
    #[test]
    fn numpy_rng_reproduces_numpy() {
        let cases: [(u64, [u64; 4], [u64; 3]); 4] = [
            (
                0,
                [
                    0xdb2cd7e7b0f478be,
                    0xabf4641a2c71ba49,
                    0x20c6ed6d9d7b8d41,
                    0x2c4099de223c39d4,
                ],
                [
                    11749869230777074271,
                    4976686463289251617,
                    755828109848996024,
                ],
            ),
            (
                1,
                [
                    0x672d8ee56d6791ff,
                    0x8ae19ca14eb1072c,
                    0x4915796d1322fc4a,
                    0xd0cc2bdcaba049bd,
                ],
                [
                    9441442522235856127,
                    17532960557476522086,
                    2659275481604167885,
                ],
            ),
            (
                42,
                [
                    0x9f1e2e6dcd540ab7,
                    0xd57873dc79fb94b6,
                    0x7d282a1b64d420b7,
                    0x336579714692d5ff,
                ],
                [
                    14276969152011380360,
                    8095878257575067585,
                    15838336090824644132,
                ],
            ),
            (
                (1 << 40) + 7,
                [
                    0x0d8672e10e3d1a15,
                    0x9aef4ada4ecfa161,
                    0x999c1c3b83dba903,
                    0x408927dc0dc8a316,
                ],
                [
                    15307346044642009514,
                    4709548916763817589,
                    2836937976252648324,
                ],
            ),
        ];
        for (seed, state, raw) in cases {
            assert_eq!(seed_sequence_state(seed), state, "seed {seed}");
            let mut rng = numpy_rng(seed);
            let drawn: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
            assert_eq!(drawn, raw, "seed {seed}");
        }
        // `Generator(PCG64(SeedSequence(0))).uniform(-0.05, 0.05, size=4)`.
        let mut rng = numpy_rng(0);
        let uniform: Vec<f64> = (0..4).map(|_| -0.05 + 0.1 * rng.random::<f64>()).collect();
        assert_eq!(
            uniform,
            [
                0.013696168732145436,
                -0.02302132862361297,
                -0.045902647606380534,
                -0.04834723644714709
            ]
        );
    }
}
