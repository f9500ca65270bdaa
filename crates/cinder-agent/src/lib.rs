//! Cinder's agent layer: what every algorithm family builds on, so that no family depends on
//! another.
//!
//! - [`error`]: [`AgentError`], the one error type of every learner, and the hyper-parameter
//!   checks that produce its [`AgentError::InvalidParameter`].
//! - [`policy`]: stochastic policies ([`Policy`]: categorical or diagonal Gaussian), the
//!   tanh-squashed Gaussian ([`SquashedPolicy`], SAC) and the deterministic policy
//!   ([`DeterministicPolicy`], DDPG, TD3), and [`PolicyActor`], a policy's acting copy on its own
//!   device.
//! - [`q`]: Q-network pieces DQL and discrete BCQ share: action masks carried by observations,
//!   the (double) Q target value of the next state, the Huber loss.
//! - [`q_learning`]: [`QLearning`], the networks and bookkeeping of DQL and discrete BCQ
//!   (target copies, acting copy, ε-greedy, TD errors, save and load).
//! - [`learner`]: the learner traits, on-policy ([`OnPolicyLearner`]) and replay-based
//!   ([`ReplayLearner`]: online off-policy and offline learners), which the family loops drive
//!   and wrappers (ICM) wrap.
//! - [`resume`]: the environments' and generators' files that make a resumed run go on bit for
//!   bit.
//! - [`setup`]: [`Setup`], what every learner and loop is built from (spaces, devices, seed).
//! - [`batch`]: a replay minibatch as tensors ([`BatchTensors`]) and the affine map between a
//!   box action space and the unit cube ([`ActionScale`]).
//!
//! The acting trait itself, [`cinder_core::Actor`], lives in `cinder-core`: the sampler, the
//! replay loop and the training loop's evaluation all drive it.
#![warn(missing_docs)]

pub mod batch;
pub mod error;
pub mod learner;
pub mod policy;
pub mod q;
pub mod q_learning;
pub mod resume;
pub mod setup;

pub use batch::{ActionScale, BatchTensors};
pub use error::AgentError;
pub use learner::{
    Learned, OnPolicyAgent, OnPolicyLearner, PolicyGradient, ReplayLearner, StatSums, Unchanged,
    Update,
};
pub use policy::{
    ActionDistribution, ActionTensor, DeterministicPolicy, Exported, Policy, PolicyActor,
    PolicyConfig, SquashedPolicy,
};
pub use q_learning::{QLearning, QNets};
pub use setup::Setup;
