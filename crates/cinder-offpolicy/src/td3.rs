//! Twin Delayed DDPG (Fujimoto et al. 2018, "Addressing Function Approximation Error in
//! Actor-Critic Methods"), with Tianshou's `TD3Policy` parameters (SB3's names in brackets):
//! DDPG plus
//! - clipped double Q: twin critics, the target is the smaller of the two target values;
//! - target policy smoothing: `a' = clip(μ'(s') + clip(ε, −c, c), −1, 1)`, `ε ~ N(0, σ̃²)`
//!   (`policy_noise` σ̃ = 0.2 [`target_policy_noise`], `noise_clip` c = 0.5
//!   [`target_noise_clip`]; c = 0 leaves ε unclipped, as in Tianshou);
//! - delayed policy updates: the policy and all targets move once every `update_actor_freq`
//!   critic updates (2 [`policy_delay`]); the policy ascends the first critic only.
//!
//! One update: critic target `y = R + γ^k (1 − d) min_j Q'_j(s', a')`, critic loss
//! `Σ_j mean(w (Q_j(s, a) − y)²)`; then, on every `update_actor_freq`-th update, policy loss
//! `−mean(Q_1(s, μ(s)))` and `θ' ← (1 − τ) θ' + τ θ` for the critics and the policy. The
//! skeleton ([`ActorCritic`]) holds the networks and steps them; acting is DDPG's
//! ([`NoisyActing`]). The logged `policy_loss` is that of the latest policy update (0 before
//! the first).

use burn::tensor::Tensor;
use cinder_agent::error::{check, check_non_negative};
use cinder_agent::{AgentError, DeterministicPolicy, Exported, Learned, ReplayLearner, Setup};
use cinder_core::Snapshot;
use cinder_data::ReplayBatch;
use cinder_nn::EnsembleMlp;
use cinder_nn::distributions::standard_normal;
use cinder_nn::persist::{load_json, save_json};
use cinder_nn::tensors::read_floats;

use crate::actor_critic::{ActorCritic, CriticLoss, Critics, min_over_members};
use crate::ddpg::DdpgConfig;
use crate::noise::{NoisyActing, noisy_actor};

/// TD3's hyper-parameters: DDPG's and three of its own. Defaults are Tianshou's (and SB3's).
#[derive(Debug, Clone, PartialEq)]
pub struct Td3Config {
    /// Networks, τ, exploration and action mapping, learning rates, as DDPG; its
    /// `target_update_intvl` must be 1 (TD3's targets move with the delayed policy updates).
    pub ddpg: DdpgConfig,
    /// σ̃ of the target policy smoothing noise, in the policy's `[-1, 1]` units.
    pub policy_noise: f64,
    /// Bound c of the smoothing noise; 0 leaves it unbounded.
    pub noise_clip: f64,
    /// Critic updates per policy (and target) update.
    pub update_actor_freq: usize,
}

impl Default for Td3Config {
    fn default() -> Self {
        Self {
            ddpg: DdpgConfig::default(),
            policy_noise: 0.2,
            noise_clip: 0.5,
            update_actor_freq: 2,
        }
    }
}

impl Td3Config {
    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), AgentError> {
        self.ddpg.validate()?;
        let intvl = self.ddpg.target_update_intvl;
        let expected = "1: TD3's targets move with every delayed policy update";
        check("target_update_intvl", intvl as f64, intvl == 1, expected)?;
        for (name, value) in [
            ("policy_noise", self.policy_noise),
            ("noise_clip", self.noise_clip),
        ] {
            check_non_negative(name, value)?;
        }
        let freq = self.update_actor_freq;
        check("update_actor_freq", freq as f64, freq > 0, "at least 1")
    }
}

/// The snapshot file of the latest policy loss (logged on updates without a policy step).
const POLICY_LOSS_FILE: &str = "policy_loss.json";

/// The TD3 learner: the actor-critic skeleton with twin critics and a policy target.
pub struct Td3 {
    config: Td3Config,
    ac: ActorCritic<DeterministicPolicy, EnsembleMlp>,
    acting: NoisyActing,
    policy_loss: Tensor<1>,
}

impl Td3 {
    /// A learner for `setup`'s spaces (a bounded box action space); the setup's seed drives
    /// the noise.
    pub fn new(config: Td3Config, setup: &Setup) -> Result<Self, AgentError> {
        config.validate()?;
        let ac = ActorCritic::new("TD3", setup, true, &config.ddpg.sides)?;
        Ok(Self {
            acting: NoisyActing::of(&config.ddpg),
            policy_loss: Tensor::zeros([1], &ac.device.clone().inner()),
            ac,
            config,
        })
    }
}

noisy_actor!(Td3);

impl ReplayLearner for Td3 {
    fn update(&mut self, batch: &ReplayBatch, progress: f64) -> Result<Learned, AgentError> {
        let (c, d) = (self.config.noise_clip, &self.config.ddpg);
        let (t, buffer_actions) = self.ac.minibatch("TD3", batch, d.action_scaling)?;
        let rows = batch.len();
        // Drawn for the whole minibatch, so the halves use the generator in a fixed order.
        let mut smoothing = standard_normal([rows, self.ac.scale.dim()], &self.ac.device)
            .mul_scalar(self.config.policy_noise);
        if c > 0.0 {
            smoothing = smoothing.clamp(-c, c);
        }

        // Critics: y = R + γ^k (1 − d) min_j Q'_j(s', a'), loss Σ_j mean(w (Q_j(s, a) − y)²).
        let critic = self.ac.critic_step(rows, progress, |nets, critics, half| {
            let t = t.half(half);
            let policy_target = nets
                .policy_target
                .as_ref()
                .expect("TD3 has a policy target");
            let next_actions = (policy_target.forward(t.next_observations.clone())
                + half.of(&smoothing))
            .clamp(-1.0, 1.0);
            let next_q = nets
                .critic_targets
                .q_values(t.next_observations.clone(), next_actions);
            let target = t.td_target(min_over_members(next_q));
            let q = critics.q_values(t.observations, half.of(&buffer_actions));
            CriticLoss::squared(q, target, t.weights, |sum| {
                sum.div_scalar(half.total as f64)
            })
        })?;

        // Delayed policy: −mean(Q_1(s, μ(s))) through the updated critics, then every target.
        if (self.ac.updates + 1).is_multiple_of(self.config.update_actor_freq) {
            let targets = (true, d.tau);
            let (loss, _) =
                self.ac
                    .policy_step(rows, progress, targets, |critics, policy, half| {
                        let observations = half.of(&t.observations);
                        let actions = policy.forward(observations.clone());
                        let q1 = critics.q_values(observations, actions).narrow(0, 0, 1);
                        (q1.sum().div_scalar(half.total as f64).neg(), ())
                    })?;
            self.policy_loss = loss;
        }
        self.ac.updates += 1;
        Ok(critic.learned(vec![self.policy_loss.clone()]))
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
        self.acting.save(snapshot)?;
        let policy_loss = read_floats(self.policy_loss.clone())?;
        Ok(save_json(snapshot, POLICY_LOSS_FILE, &policy_loss.first())?)
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        let ac = self.ac.loaded(snapshot)?;
        let acting = self.acting.loaded(snapshot)?;
        let policy_loss: f32 = load_json(snapshot, POLICY_LOSS_FILE)?;
        self.policy_loss = Tensor::from_floats([policy_loss], &self.policy_loss.device());
        self.ac = ac;
        self.acting = acting;
        Ok(())
    }
}
