//! Exploration for Cinder.
//!
//! - [`icm`]: the Intrinsic Curiosity Module (Pathak et al. 2017), [`Icm`], a wrapper that
//!   adds a curiosity reward to any [`OnPolicyLearner`](cinder_agent::OnPolicyLearner) or
//!   [`ReplayLearner`](cinder_agent::ReplayLearner) before it forms its targets, and
//!   trains its own models after each of the learner's updates.
//! - [`svgd`]: the Stein variational gradient with an RBF kernel (Liu & Wang 2016), on flat
//!   parameter vectors.
//! - [`svpg`]: Stein Variational Policy Gradient (Liu et al. 2017), [`Svpg`], particles of a
//!   policy-gradient learner updated together along the Stein direction.
#![warn(missing_docs)]

pub mod icm;
pub mod svgd;
pub mod svpg;

pub use icm::{Icm, IcmConfig, IcmNets};
pub use svgd::{Kernel, mean_pairwise_distance, stein_directions, stein_terms};
pub use svpg::{Svpg, SvpgConfig};
