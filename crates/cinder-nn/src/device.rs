//! Choosing a burn device by name.
//!
//! burn 0.22 makes the backend a run-time [`Device`]; a binary built with several backend
//! features can choose among them without recompiling. Cinder's default CPU device is `flex`.

use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use burn::tensor::Device;

use crate::error::NnError;

/// The backends Cinder runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceKind {
    /// burn-flex: the fast pure-Rust CPU backend (the default).
    Flex,
    /// burn-ndarray: the older CPU backend, kept in the test matrix.
    Ndarray,
    /// burn-wgpu: GPUs through Vulkan / Metal / DX12 (Mesa's lavapipe on CPU-only machines).
    Wgpu,
}

impl DeviceKind {
    /// Every kind, in the order the test matrix runs them.
    pub const ALL: [DeviceKind; 3] = [DeviceKind::Flex, DeviceKind::Ndarray, DeviceKind::Wgpu];

    /// The name `parse_device` takes.
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Flex => "flex",
            DeviceKind::Ndarray => "ndarray",
            DeviceKind::Wgpu => "wgpu",
        }
    }

    /// The device, if its backend was compiled in.
    pub fn device(self) -> Result<Device, NnError> {
        match self {
            #[cfg(feature = "flex")]
            DeviceKind::Flex => Ok(Device::flex()),
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)]
            // burn-ndarray is deprecated upstream; we keep it in the matrix.
            DeviceKind::Ndarray => Ok(Device::ndarray()),
            #[cfg(feature = "wgpu")]
            DeviceKind::Wgpu => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
            #[allow(unreachable_patterns)]
            other => Err(NnError::DeviceNotCompiled(other.name())),
        }
    }
}

/// Whether `device` is flex (with or without autodiff).
pub(crate) fn is_flex(device: &Device) -> bool {
    #[cfg(feature = "flex")]
    {
        device.clone().inner() == Device::flex()
    }
    #[cfg(not(feature = "flex"))]
    {
        let _ = device;
        false
    }
}

/// Makes this thread's f32/f64 arithmetic treat subnormal numbers as zero (x86-64: MXCSR's
/// flush-to-zero and denormals-are-zero bits; aarch64: FPCR's FZ bit); returns whether the CPU
/// mode was set (false on other architectures).
///
/// Intel CPUs take a microcode assist, about a hundred cycles, for each subnormal operand or
/// result; a training run passes values through that range (which ones was not traced): a
/// DDPG Pendulum run on a Xeon was 24% faster flushed (14.9 s → 11.4 s for 2000 updates).
/// TensorFlow sets the same mode in its thread pools; PyTorch offers it as
/// `torch.set_flush_denormal`. Values below 1.2e-38 (f32) become 0, so results change in the
/// last bits of quantities that small. The CLI calls this on each thread of its pool.
pub fn flush_subnormals_on_this_thread() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        const FLUSH_TO_ZERO: u32 = 1 << 15;
        const DENORMALS_ARE_ZERO: u32 = 1 << 6;
        let mut csr: u32 = 0;
        // SAFETY: reads and writes the calling thread's SSE control register; only the two
        // flush bits change, which alters no memory and no other thread.
        unsafe {
            std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack));
            csr |= FLUSH_TO_ZERO | DENORMALS_ARE_ZERO;
            std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, readonly));
        }
        true
    }
    #[cfg(target_arch = "aarch64")]
    {
        const FLUSH_TO_ZERO: u64 = 1 << 24;
        let mut fpcr: u64;
        // SAFETY: as above, for the calling thread's floating-point control register.
        unsafe {
            std::arch::asm!("mrs {}, fpcr", out(reg) fpcr, options(nomem, nostack));
            fpcr |= FLUSH_TO_ZERO;
            std::arch::asm!("msr fpcr, {}", in(reg) fpcr, options(nomem, nostack));
        }
        true
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DeviceKind {
    type Err = NnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DeviceKind::ALL
            .into_iter()
            .find(|k| k.name() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| NnError::UnknownDevice(s.to_string()))
    }
}

/// The device called `name` (`flex`, `ndarray` or `wgpu`).
pub fn parse_device(name: &str) -> Result<Device, NnError> {
    name.parse::<DeviceKind>()?.device()
}

/// Environment variable that selects the device of the test suite (`cargo xtask test
/// --device ...` sets it).
pub const TEST_DEVICE_VAR: &str = "CINDER_TEST_DEVICE";

/// The device tests run on: the one named by `CINDER_TEST_DEVICE`, `flex` when unset.
///
/// Every test that touches tensors gets its device here, so the same test bodies run on each
/// backend of the matrix.
///
/// # Panics
///
/// If the variable names an unknown or uncompiled device: a misconfigured test run must fail
/// loudly rather than silently test another backend.
pub fn test_device() -> Device {
    let kind = test_device_kind();
    kind.device()
        .unwrap_or_else(|e| panic!("{TEST_DEVICE_VAR}={kind}: {e}"))
}

/// The device's random stream is process-wide.
static DEVICE_STREAM: Mutex<()> = Mutex::new(());

/// A turn on the device's random stream, held until the guard drops: tests that seed the
/// stream and draw from it take one, or a parallel test's draws would land between theirs and
/// their results would depend on the test schedule.
pub fn device_stream_turn() -> MutexGuard<'static, ()> {
    DEVICE_STREAM.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The kind [`test_device`] returns: the one named by `CINDER_TEST_DEVICE`, `flex` when unset.
pub fn test_device_kind() -> DeviceKind {
    let name = std::env::var(TEST_DEVICE_VAR).unwrap_or_else(|_| "flex".to_string());
    name.parse()
        .unwrap_or_else(|e| panic!("{TEST_DEVICE_VAR}={name}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flushed_threads_compute_subnormal_results_as_zero() {
        let tiny = std::hint::black_box(1e-30f32);
        let scale = std::hint::black_box(1e-10f32);
        assert!(
            tiny * scale > 0.0,
            "subnormal result before the mode is set"
        );
        // On a fresh thread: the test harness's own threads keep their mode.
        let (flushed, product) = std::thread::spawn(move || {
            let flushed = flush_subnormals_on_this_thread();
            (flushed, tiny * scale)
        })
        .join()
        .expect("thread ran");
        if flushed {
            assert_eq!(product, 0.0);
        }
        assert!(tiny * scale > 0.0, "the calling thread is unaffected");
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_errors() {
        for kind in DeviceKind::ALL {
            assert_eq!(kind.name().parse::<DeviceKind>().unwrap(), kind);
        }
        assert_eq!(" FLEX ".parse::<DeviceKind>().unwrap(), DeviceKind::Flex);
        let err = parse_device("cuda").unwrap_err();
        assert!(err.to_string().contains("flex, ndarray, wgpu"), "{err}");
    }

    /// The matrix really runs each leg on its backend (e.g. `Device<NdArray(Cpu)>`).
    #[test]
    fn test_device_is_the_requested_backend() {
        let shown = format!("{:?}", test_device()).to_ascii_lowercase();
        assert!(shown.contains(test_device_kind().name()), "{shown}");
    }
}
