//! `cargo xtask`: Cinder's task runner.
//!
//! - `cargo xtask test [--device flex|ndarray|wgpu|all] [-- <test binary args>]`: the test
//!   matrix. The workspace is compiled once with every backend; each leg reruns the same test
//!   binaries with `CINDER_TEST_DEVICE` set, which `cinder_nn::device::test_device()` reads.
//!   Learning smoke tests (`learning_*`) run on the flex leg only.
//! - `cargo xtask ci`: `cargo fmt --check`, `cargo clippy --all-targets -D warnings`, then the
//!   test matrix on all devices.
//! - `cargo xtask bench envs`: environment throughput (release), printed as a markdown table.

use std::process::Command;

use anyhow::{Context, Result, bail};

const DEVICES: [&str; 3] = ["flex", "ndarray", "wgpu"];
const TEST_DEVICE_VAR: &str = "CINDER_TEST_DEVICE";
const USAGE: &str = "usage: cargo xtask <command>
  test [--device flex|ndarray|wgpu|all] [-- <test args>]         run the test matrix (default: all)
  ci                                                               fmt check, clippy, all devices
  bench envs                                                       env steps/s (release)";

fn main() {
    if let Err(e) = run(std::env::args().skip(1).collect()) {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}

fn run(args: Vec<String>) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("ci") => ci(),
        Some("bench") => bench(&args[1..]),
        Some("-h" | "--help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command `{other}`\n{USAGE}"),
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

fn test(args: &[String]) -> Result<()> {
    let (own, passthrough) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let devices = match own {
        [] => DEVICES.to_vec(),
        [flag, device] if flag == "--device" => parse_devices(device)?,
        _ => bail!("unexpected arguments {own:?}\n{USAGE}"),
    };
    run_matrix(&devices, passthrough)
}

fn parse_devices(name: &str) -> Result<Vec<&'static str>> {
    if name == "all" {
        return Ok(DEVICES.to_vec());
    }
    DEVICES
        .iter()
        .find(|d| **d == name)
        .map(|d| vec![*d])
        .with_context(|| format!("unknown device `{name}`; known: flex, ndarray, wgpu, all"))
}

/// Learning smoke tests are named `learning_*` and run on the flex leg only: their thresholds
/// hold for flex's random streams, and thousands of updates on lavapipe would take minutes.
const LEARNING_TESTS: &str = "learning_";

fn run_matrix(devices: &[&str], passthrough: &[String]) -> Result<()> {
    let mut failed = Vec::new();
    for device in devices {
        let mut args = vec![
            "test",
            "--workspace",
            "--lib",
            "--bins",
            "--tests",
            "--examples",
            "--",
        ];
        if *device != "flex" {
            args.extend(["--skip", LEARNING_TESTS]);
        }
        args.extend(passthrough.iter().map(String::as_str));
        if let Err(e) = cargo(&args, &[(TEST_DEVICE_VAR, device)]) {
            eprintln!("device {device}: {e:#}");
            failed.push(*device);
        }
    }
    // Doc tests do not touch a device: once is enough.
    cargo(&["test", "--workspace", "--doc"], &[])?;
    if !failed.is_empty() {
        bail!("tests failed on: {}", failed.join(", "));
    }
    println!("\nall tests passed on: {}", devices.join(", "));
    Ok(())
}

fn ci() -> Result<()> {
    cargo(&["fmt", "--all", "--check"], &[])?;
    cargo(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    run_matrix(&DEVICES, &[])
}

fn bench(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("envs") => cargo(
            &[
                "bench",
                "--package",
                "cinder-envs",
                "--bench",
                "env_throughput",
            ],
            &[],
        ),
        Some(other) => bail!("unknown benchmark `{other}`; known: envs"),
        None => bail!("which benchmark? known: envs\n{USAGE}"),
    }
}
