//! Your own environments in Cinder. [`envs`] registers them, with presets, for the whole
//! `cinder` command line (`src/main.rs` is the few lines that run it): `PointReach-v0`
//! (continuous actions) and `GridMask-v0` (discrete moves, some invalid); the library example
//! (`examples/library.rs`) trains through the library instead.

mod grid_mask;
mod point_reach;

pub use grid_mask::GridMask;
pub use point_reach::PointReach;

use cinder::cli::UserEnvs;
use cinder::envs::EnvSpec;

/// This crate's environments with their time limits and presets.
pub fn envs() -> UserEnvs {
    UserEnvs::new()
        .env_with_presets(
            EnvSpec::new(PointReach::ID, 100, PointReach::new),
            include_str!("../presets/point_reach.toml"),
        )
        .env_with_presets(
            EnvSpec::new(GridMask::ID, 50, GridMask::new),
            include_str!("../presets/grid_mask.toml"),
        )
}
