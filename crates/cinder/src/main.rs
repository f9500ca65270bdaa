//! `cinder`: train and evaluate reinforcement-learning agents from the command line (see
//! [`cinder::cli`]).

use std::process::ExitCode;

/// burn's CPU backends allocate a fresh buffer for every tensor operation. With glibc's
/// allocator, buffers of 128 KiB and more (a 256×256 layer) are mapped and unmapped each
/// time, and the page faults cost a third of an SAC update; mimalloc reuses them.
#[global_allocator]
static ALLOCATOR: cinder::Allocator = cinder::Allocator;

fn main() -> ExitCode {
    cinder::cli::main()
}
