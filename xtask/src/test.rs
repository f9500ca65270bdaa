//! `cargo xtask test` and `cargo xtask ci`: the workspace is compiled once with every backend
//! (the crates default to flex alone); each leg reruns the same test binaries with
//! `CINDER_TEST_DEVICE` set, which `cinder_nn::device::test_device()` reads. Learning smoke
//! tests (`learning_*`) run on the flex leg only. The Gymnasium bridge (cinder-gym, the
//! facade's `gym` feature) embeds Python and stays out: `tools/gym_check/ci.sh` tests it.

use anyhow::{Result, bail};
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
    run_matrix(&devices, &args.passthrough)
}

/// Learning smoke tests are named `learning_*` and run on the flex leg only: their thresholds
/// hold for flex's random streams, and thousands of updates on lavapipe would take minutes.
const LEARNING_TESTS: &str = "learning_";

fn run_matrix(devices: &[&str], passthrough: &[String]) -> Result<()> {
    let mut failed = Vec::new();
    for device in devices {
        let mut args = vec!["test"];
        args.extend(SELECTION);
        args.extend(["--lib", "--bins", "--tests", "--examples", "--"]);
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
    cargo(&[&["test", "--doc"][..], &SELECTION].concat(), &[])?;
    if !failed.is_empty() {
        bail!("tests failed on: {}", failed.join(", "));
    }
    println!("\nall tests passed on: {}", devices.join(", "));
    Ok(())
}

pub fn ci() -> Result<()> {
    cargo(&["fmt", "--all", "--check"], &[])?;
    let clippy = [
        &["clippy"][..],
        &SELECTION,
        &["--all-targets", "--", "-D", "warnings"],
    ];
    cargo(&clippy.concat(), &[])?;
    run_matrix(&DEVICES, &[])
}
