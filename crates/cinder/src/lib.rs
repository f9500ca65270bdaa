//! # Cinder
//!
//! Reinforcement learning in Rust on the burn deep-learning framework. This facade re-exports
//! the workspace's crates:
//!
//! - [`core`] (`cinder-core`): spaces, the [`Env`](core::Env) trait, [`VecEnv`](core::VecEnv),
//!   wrappers, seeding, [`Snapshot`](core::Snapshot) files.
//! - [`envs`] (`cinder-envs`): Gymnasium-exact classic control and [`envs::make`].
//! - [`data`] (`cinder-data`): GAE, on-policy rollouts, the sampler, replay buffers.
//! - [`nn`] (`cinder-nn`): MLPs, action distributions, target networks, global-norm gradient
//!   clipping, device selection.
//! - [`agent`] (`cinder-agent`): policies and their acting copies, the learner traits, Q-network
//!   targets, batch tensors, the learners' error type.
//! - [`pg`] (`cinder-pg`): the GAE critic, A2C, PPO, PPO2.
//! - [`offpolicy`] (`cinder-offpolicy`): the replay loop, DQL, DDPG, SAC.
//! - [`offline`] (`cinder-offline`): Minari datasets, the offline iteration, BC, discrete BCQ.
//! - [`explore`] (`cinder-explore`): the Intrinsic Curiosity Module around any online learner,
//!   SVGD and SVPG.
//! - [`train`] (`cinder-train`): the training loop, evaluation, log sinks and snapshots.
//!
//! and holds what the `cinder` binary is made of: [`cli`] (the command line, which a program
//! with environments of its own runs through [`cli::main_with`]), [`registry`] (one row per
//! algorithm), [`settings`] (presets and overrides resolved into an algorithm), [`resources`]
//! (a run's memory estimated before anything is allocated) and [`run`] (run directories,
//! training, resuming, evaluation of a saved run).
//!
//! A program that trains through the library runs as fast as the CLI with two lines: the
//! allocator (`#[global_allocator] static A: cinder::Allocator = cinder::Allocator;`) and
//! its work inside [`with_fast_cpu`].
//!
//! ```
//! use cinder::core::{Action, Env};
//! let mut env = cinder::envs::make("Pendulum-v1")?;
//! env.reset(Some(0));
//! let step = env.step(Action::Continuous(&[1.0]))?;
//! assert!(!step.terminated);
//! # Ok::<(), cinder::core::EnvError>(())
//! ```
#![warn(missing_docs)]

pub use cinder_agent as agent;
pub use cinder_core as core;
pub use cinder_data as data;
pub use cinder_envs as envs;
pub use cinder_explore as explore;
pub use cinder_nn as nn;
pub use cinder_nn::burn;
pub use cinder_offline as offline;
pub use cinder_offpolicy as offpolicy;
pub use cinder_pg as pg;
pub use cinder_train as train;

pub mod cli;
pub mod policy;
pub mod registry;
pub mod resources;
pub mod run;
pub mod settings;
mod user_envs;

use cinder_nn::device::flush_subnormals_on_this_thread;

/// The allocator the `cinder` binary uses, for a program's `#[global_allocator]`: burn's CPU
/// backends allocate a fresh buffer for every tensor operation, and glibc's allocator maps and
/// unmaps those of 128 KiB and more (a 256×256 layer) each time; the page faults cost a third
/// of an SAC update. mimalloc reuses them.
pub use mimalloc::MiMalloc as Allocator;

/// Runs `work` as the `cinder` binary runs its commands: on a thread of a rayon pool with one
/// thread per core, whose threads flush subnormal numbers to zero.
///
/// burn-flex splits large matrix products over rayon's threads. Called from a thread outside
/// the pool, every split product puts the caller to sleep and wakes it again (a context switch
/// each way: ~10% of an SAC update under `perf`); from a thread of the pool the caller works on
/// its share and waits spinning. Subnormal numbers slow Intel CPUs down by two orders of
/// magnitude ([`flush_subnormals_on_this_thread`]). Falls back to the calling thread if the
/// pool cannot start.
pub fn with_fast_cpu<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    // The main thread's stack size: deep recursion (serde, clap) must not see a smaller one.
    const STACK: usize = 8 << 20;
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(STACK)
        .start_handler(|_| {
            flush_subnormals_on_this_thread();
        })
        .build();
    match pool {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}
