//! Deep Deterministic Policy Gradient (Lillicrap et al. 2016, "Continuous control with deep
//! reinforcement learning"), with Tianshou's `DDPGPolicy` parameters.
//!
//! One update:
//! 1. critic target `y = R + γ^k (1 − d) Q'(s', μ'(s'))` from the target policy and critic;
//! 2. critic loss `mean(w (Q(s, a) − y)²)`, one optimiser step;
//! 3. policy loss `−mean(Q(s, μ(s)))` through the updated critic (held fixed), one step;
//! 4. every `target_update_intvl` updates, both targets move by `τ` towards the trained nets.
//!
//! The networks, optimisers, halves and targets are the [`ActorCritic`] skeleton's; this file
//! is the maths. Acting: `μ(s) ∈ [-1, 1]^d` (the agent layer's [`DeterministicPolicy`]) plus
//! exploration noise, bounded and scaled onto the action box ([`NoisyActing`]). Tianshou
//! calls the policy network the "actor"; here it is the `policy`.

use cinder_agent::error::{check_count, check_unit_interval};
use cinder_agent::{AgentError, DeterministicPolicy, Exported, Learned, ReplayLearner, Setup};
use cinder_core::Snapshot;
use cinder_data::ReplayBatch;
use cinder_nn::{Activation, Mlp, NetConfig};

use crate::actor_critic::{ActorCritic, CriticLoss, Critics, Sides};
use crate::noise::{ExplorationNoise, NoisyActing, noisy_actor};

/// DDPG's own hyper-parameters (the replay loop's, `gamma` and `estimation_step` among them,
/// are in [`ReplayConfig`](crate::ReplayConfig)). Defaults are Tianshou's.
#[derive(Debug, Clone, PartialEq)]
pub struct DdpgConfig {
    /// Layers, learning rates (Tianshou's `actor_optim` and `critic_optim`), their schedule
    /// and gradient clips of the policy and the critic.
    pub sides: Sides,
    /// Weight of the trained networks in the target update.
    pub tau: f64,
    /// Exploration noise (Gaussian σ = 0.1 by default).
    pub exploration_noise: ExplorationNoise,
    /// Map `[-1, 1]` onto the action box (else the policy's output is used as is).
    pub action_scaling: bool,
    /// Clip the policy's output plus noise to `[-1, 1]` (Tianshou's `action_bound_method = "clip"`);
    /// `false` is Tianshou's `None` (the environment boundary still clips).
    pub action_bound_clip: bool,
    /// Gradient updates between two target updates.
    pub target_update_intvl: usize,
}

impl Default for DdpgConfig {
    fn default() -> Self {
        Self {
            sides: Sides::tied(NetConfig::new(&[256, 256], Activation::Relu), 1e-3, None),
            tau: 0.005,
            exploration_noise: ExplorationNoise::Gaussian { sigma: 0.1 },
            action_scaling: true,
            action_bound_clip: true,
            target_update_intvl: 1,
        }
    }
}

impl DdpgConfig {
    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), AgentError> {
        check_unit_interval("tau", self.tau)?;
        check_count("target_update_intvl", self.target_update_intvl)?;
        self.sides.validate()
    }
}

/// The DDPG learner: the actor-critic skeleton with one critic and a policy target, acting
/// with noise.
pub struct Ddpg {
    config: DdpgConfig,
    ac: ActorCritic<DeterministicPolicy, Mlp>,
    acting: NoisyActing,
}

impl Ddpg {
    /// A learner for `setup`'s spaces (a bounded box action space); the setup's seed drives
    /// the noise.
    pub fn new(config: DdpgConfig, setup: &Setup) -> Result<Self, AgentError> {
        config.validate()?;
        let ac = ActorCritic::new("DDPG", setup, true, &config.sides)?;
        Ok(Self {
            acting: NoisyActing::of(&config),
            ac,
            config,
        })
    }
}

noisy_actor!(Ddpg);

impl ReplayLearner for Ddpg {
    fn update(&mut self, batch: &ReplayBatch, progress: f64) -> Result<Learned, AgentError> {
        let (t, buffer_actions) = self
            .ac
            .minibatch("DDPG", batch, self.config.action_scaling)?;
        let rows = batch.len();

        // Critic: y = R + γ^k (1 − d) Q'(s', μ'(s')), loss mean(w (Q(s, a) − y)²).
        let critic = self.ac.critic_step(rows, progress, |nets, critic, half| {
            let t = t.half(half);
            let policy_target = nets
                .policy_target
                .as_ref()
                .expect("DDPG has a policy target");
            let next_actions = policy_target.forward(t.next_observations.clone());
            let next_q = nets
                .critic_targets
                .q_values(t.next_observations.clone(), next_actions);
            let target = t.td_target(next_q.reshape([half.len()]));
            let q = critic.q_values(t.observations, half.of(&buffer_actions));
            CriticLoss::squared(q, target, t.weights, |sum| {
                sum.div_scalar(half.total as f64)
            })
        })?;

        // Policy: −mean(Q(s, μ(s))) through the updated critic; targets every interval.
        let moves = (self.ac.updates + 1).is_multiple_of(self.config.target_update_intvl);
        let targets = (moves, self.config.tau);
        let (policy_loss, _) =
            self.ac
                .policy_step(rows, progress, targets, |critic, policy, half| {
                    let observations = half.of(&t.observations);
                    let actions = policy.forward(observations.clone());
                    let q = critic.q_values(observations, actions);
                    (q.sum().div_scalar(half.total as f64).neg(), ())
                })?;
        self.ac.updates += 1;
        Ok(critic.learned(vec![policy_loss]))
    }

    fn stat_names(&self) -> Vec<&'static str> {
        vec!["critic_loss", "policy_loss", "q_mean"]
    }

    fn end_iteration(&mut self) {
        self.ac.sync_acting();
    }

    fn graph(&self) -> Result<Exported, AgentError> {
        self.acting.graph(&self.ac)
    }

    fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        self.ac.save(snapshot)?;
        self.acting.save(snapshot)
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        let ac = self.ac.loaded(snapshot)?;
        self.acting = self.acting.loaded(snapshot)?;
        self.ac = ac;
        Ok(())
    }
}
