//! `cargo xtask`: Cinder's task runner (`cargo xtask --help` lists the commands).
//!
//! - `cargo xtask test [--device flex|ndarray|wgpu|all] [-- <test binary args>]`: the test
//!   matrix ([`test`]).
//! - `cargo xtask ci`: `cargo fmt --check`, then the test matrix on all devices, built with
//!   clippy's lints (`-D warnings`) on every target, benchmarks included.
//! - `cargo xtask bench envs|acting|products|onpolicy|offpolicy|offline|explore|compare`: benchmarks in
//!   release ([`bench`]), printed as markdown tables for `docs/benchmarks.md`.

use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

mod bench;
mod test;

/// Cinder's task runner.
#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Run the test matrix (default: every device).
    Test(test::TestArgs),
    /// Format check, then the test matrix on every device, linted by clippy as it builds.
    Ci,
    /// Run a benchmark in release.
    Bench {
        #[command(subcommand)]
        which: bench::Which,
    },
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Task::Test(args) => test::test(&args),
        Task::Ci => test::ci(),
        Task::Bench { which } => bench::run(which),
    };
    if let Err(e) = result {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}

/// Runs `cargo` with `args` (and extra environment), failing on a non-zero exit.
fn cargo(args: &[&str], envs: &[(&str, &str)]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    println!("\n$ {} cargo {}", format_envs(envs), args.join(" "));
    let status = Command::new(cargo)
        .args(args)
        .envs(envs.iter().copied())
        .status()
        .with_context(|| format!("could not start cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

fn format_envs(envs: &[(&str, &str)]) -> String {
    envs.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}
