//! The `cinder` command line with this crate's environments:
//! `cargo run --release -p custom-env -- train sac --env PointReach-v0`.

use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: cinder::Allocator = cinder::Allocator;

fn main() -> ExitCode {
    cinder::cli::main_with(custom_env::envs())
}
