//! `cargo xtask test` and `cargo xtask ci`: the workspace is compiled once with every backend
//! (the crates default to flex alone); each leg reruns the same test binaries with
//! `CINDER_TEST_DEVICE` set, which `cinder_nn::device::test_device()` reads. Learning smoke
//! tests (`learning_*`) run on the flex leg only. The Gymnasium bridge (cinder-gym, the
//! facade's `gym` feature) embeds Python and stays out: `tools/gym_check/ci.sh` tests it.
//!
//! `cargo xtask ci` lints while it builds the matrix: clippy's driver compiles the workspace's
//! own crates ([`lint_env`]), so the dependencies are built once, not checked a second time by
//! a separate `cargo clippy`.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};

use crate::cargo;

const TEST_DEVICE_VAR: &str = "CINDER_TEST_DEVICE";

/// The devices of the test matrix.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Device {
    Flex,
    Ndarray,
    Wgpu,
    All,
}

const DEVICES: [&str; 3] = ["flex", "ndarray", "wgpu"];

/// Every crate but the Gymnasium bridge, with every backend, Minari datasets and ONNX export:
/// what the matrix compiles.
const SELECTION: [&str; 5] = [
    "--workspace",
    "--exclude",
    "cinder-gym",
    "--features",
    "flex,ndarray,wgpu,minari,onnx",
];

/// `cargo xtask test`'s arguments.
#[derive(Args)]
pub struct TestArgs {
    /// The device to run the tests on.
    #[arg(long, value_enum, default_value = "all")]
    device: Device,
    /// Arguments for the test binaries (after `--`).
    #[arg(last = true)]
    passthrough: Vec<String>,
}

pub fn test(args: &TestArgs) -> Result<()> {
    let devices = match args.device {
        Device::Flex => vec!["flex"],
        Device::Ndarray => vec!["ndarray"],
        Device::Wgpu => vec!["wgpu"],
        Device::All => DEVICES.to_vec(),
    };
    run_matrix(&devices, &args.passthrough, &[])
}

/// Learning smoke tests are named `learning_*` and run on the flex leg only: their thresholds
/// hold for flex's random streams, and thousands of updates on lavapipe would take minutes.
const LEARNING_TESTS: &str = "learning_";

/// Runs the test binaries once per device, and the doc tests once, with `envs` set for every
/// cargo call (so that they share one build).
fn run_matrix(devices: &[&str], passthrough: &[String], envs: &[(&str, &str)]) -> Result<()> {
    let mut failed = Vec::new();
    for device in devices {
        let mut args = vec!["test"];
        args.extend(SELECTION);
        args.extend(["--lib", "--bins", "--tests", "--examples", "--"]);
        if *device != "flex" {
            args.extend(["--skip", LEARNING_TESTS]);
        }
        args.extend(passthrough.iter().map(String::as_str));
        let device_env = [(TEST_DEVICE_VAR, *device)];
        if let Err(e) = cargo(&args, &[envs, &device_env].concat()) {
            eprintln!("device {device}: {e:#}");
            failed.push(*device);
        }
    }
    // Doc tests do not touch a device: once is enough.
    cargo(&[&["test", "--doc"][..], &SELECTION].concat(), envs)?;
    if !failed.is_empty() {
        bail!("tests failed on: {}", failed.join(", "));
    }
    println!("\nall tests passed on: {}", devices.join(", "));
    Ok(())
}

/// Format check, then the matrix built with clippy's lints as errors ([`lint_env`]); the
/// benchmarks, which the matrix does not run, are compiled (hence linted) once beside it.
pub fn ci() -> Result<()> {
    cargo(&["fmt", "--all", "--check"], &[])?;
    let driver = clippy_driver()?;
    let lints = lint_env(&driver);
    let benches = [&["test"][..], &SELECTION, &["--benches", "--no-run"]];
    cargo(&benches.concat(), &lints)?;
    run_matrix(&DEVICES, &[], &lints)
}

/// The environment `cargo clippy` gives cargo, for any cargo command: clippy's driver in place
/// of rustc for the workspace's own crates (`RUSTC_WORKSPACE_WRAPPER`; the dependencies are
/// compiled by rustc as in any build) and its lint flags in `CLIPPY_ARGS` (cargo-clippy's own
/// way of passing them: flags separated by `__CLIPPY_HACKERY__`), here `-D warnings`. The
/// driver lints and then compiles as rustc does, so the test binaries it builds are the
/// usual ones. A separate `cargo clippy` checks every dependency once more (metadata-only
/// units that a build cannot reuse): 7 min 44 s of a cold CI run on two cores (2026-12-07).
fn lint_env(driver: &str) -> [(&'static str, &str); 2] {
    [
        ("RUSTC_WORKSPACE_WRAPPER", driver),
        (
            "CLIPPY_ARGS",
            "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__",
        ),
    ]
}

/// `clippy-driver` of the toolchain that builds (next to its `rustc`).
fn clippy_driver() -> Result<String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let output = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .with_context(|| format!("could not run {rustc} --print sysroot"))?;
    if !output.status.success() {
        bail!("{rustc} --print sysroot failed ({})", output.status);
    }
    let sysroot = String::from_utf8(output.stdout).context("rustc printed a non-UTF-8 sysroot")?;
    let driver = PathBuf::from(sysroot.trim())
        .join("bin")
        .join("clippy-driver");
    if !driver.exists() {
        bail!(
            "{} not found: install clippy (`rustup component add clippy`)",
            driver.display()
        );
    }
    Ok(driver.display().to_string())
}
