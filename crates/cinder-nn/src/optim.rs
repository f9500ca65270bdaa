//! Optimisers with the settings of the reference libraries.

use burn::optim::{AdamConfig, ModuleOptimizer};

/// Adam with PyTorch's ε = 1e-8 (burn's default is 1e-5), as SB3, Tianshou and Pyrado use it.
pub fn adam() -> ModuleOptimizer {
    AdamConfig::new().with_epsilon(1e-8).init()
}
