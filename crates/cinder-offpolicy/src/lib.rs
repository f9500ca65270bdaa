//! Off-policy algorithms for Cinder.
//!
//! - [`dql`]: deep Q-learning ([`Dql`]; Mnih et al. 2015) with double DQN, n-step and
//!   prioritized replay, and action masks carried by the observation.
//! - [`ddpg`]: [`Ddpg`] (Lillicrap et al. 2016) with Gaussian or Ornstein-Uhlenbeck noise.
//! - [`sac`]: [`Sac`] (Haarnoja et al. 2018) with twin critics as one batched ensemble and a
//!   learned entropy coefficient.
//! - [`td3`]: [`Td3`] (Fujimoto et al. 2018): DDPG with clipped double Q, target policy
//!   smoothing and delayed policy updates.
//! - [`actor_critic`]: [`ActorCritic`], the skeleton DDPG, TD3 and SAC are instances of
//!   (networks, targets, optimisers, the halves, save and load); each algorithm's file is its
//!   maths.
//! - [`off_policy`]: [`OffPolicy`], the replay loop all four share, which the training loop
//!   of [`cinder_train`] drives.
//!
//! Policies, Q-target pieces, batch tensors and action scaling come from the agent layer
//! ([`cinder_agent`]); the replay memory from [`cinder_data`].
//!
//! Target networks follow Cinder's one convention: `tau` is the weight of the online network
//! (`θ' ← (1 − τ) θ' + τ θ`, τ = 0.005 in SB3 and Tianshou). Pyrado's `tau = 0.995` is the
//! weight of the target, i.e. τ = 0.005 here.
#![warn(missing_docs)]

pub mod actor_critic;
pub mod ddpg;
pub mod dql;
pub mod noise;
pub mod off_policy;
pub mod sac;
pub mod td3;

pub use actor_critic::{ActorCritic, Side, Sides};
pub use cinder_agent::{Learned, ReplayLearner};
pub use ddpg::{Ddpg, DdpgConfig};
pub use dql::{Dql, DqlConfig, QOptimizer};
pub use noise::ExplorationNoise;
pub use off_policy::{OffPolicy, ReplayConfig};
pub use sac::{Sac, SacConfig};
pub use td3::{Td3, Td3Config};
