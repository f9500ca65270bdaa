//! Soft Actor-Critic (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications"),
//! Pyrado's `SAC`: a tanh-squashed Gaussian policy, twin Q-functions with twin targets, and an
//! entropy coefficient α that can be learned towards a target entropy of `−|A|`. (Pyrado
//! calls α's settings `ent_coeff_init` / `learn_ent_coeff`; Cinder spells the entropy
//! coefficient `entropy_coeff` everywhere.)
//!
//! One update, in the order of SB3 (which Pyrado follows):
//! 1. `a ~ π(·|s)` reparameterised, `log π(a|s)` with the tanh correction;
//! 2. critic target `y = R + γ^k (1 − d) (min_j Q'_j(s', a') − α log π(a'|s'))`, `a' ~ π(·|s')`;
//! 3. critic loss `½ Σ_j mean(w (Q_j(s, a_buffer) − y)²)`, one optimiser step;
//! 4. policy loss `mean(α log π(a|s) − min_j Q_j(s, a))` through the *updated* critics, and
//!    entropy loss `−mean(log α · (log π(a|s) + H̄))` (eq. 18), one step each;
//! 5. every `target_update_intvl` updates: `θ'_j ← (1 − τ) θ'_j + τ θ_j`.
//!
//! The networks, optimisers, halves and targets are the [`ActorCritic`] skeleton's; this file
//! is the maths. The Gaussian noise of both samples is drawn for the whole minibatch before it
//! is split in halves, so a run is the same whichever thread takes which half. The two critics
//! are one [`EnsembleMlp`] (each layer a single batched matrix product); the policy is the
//! agent layer's [`SquashedPolicy`].

use burn::module::{Module, Param};
use burn::optim::ModuleOptimizer;
use burn::tensor::Tensor;
use cinder_agent::error::{check_count, check_positive, check_unit_interval};
use cinder_agent::{AgentError, Exported, Learned, ReplayLearner, Setup, SquashedPolicy};
use cinder_core::{ActMode, Acted, ActionBatch, Actor, Snapshot};
use cinder_data::ReplayBatch;
use cinder_nn::distributions::standard_normal;
use cinder_nn::persist::{load_module, load_optim, save_module, save_optim};
use cinder_nn::tensors::{matrix, read_floats};
use cinder_nn::{Activation, EnsembleMlp, NetConfig, adam, descend};
use cinder_train::Metric;

use crate::actor_critic::{ActorCritic, CriticLoss, Critics, Sides, min_over_members};

/// SAC's own hyper-parameters (the replay loop's are in [`ReplayConfig`](crate::ReplayConfig)).
/// Defaults are Pyrado's, with `tau` in Cinder's convention.
#[derive(Debug, Clone, PartialEq)]
pub struct SacConfig {
    /// Layers, learning rates, their schedule and gradient clips of the policy and the
    /// Q-functions; α learns at the policy's rate. Pyrado: one `lr` for all three, its
    /// `max_grad_norm` on the policy only.
    pub sides: Sides,
    /// Weight of the trained critics in the target update (Pyrado's 0.995 is 1 − tau).
    pub tau: f64,
    /// Initial entropy coefficient α (Pyrado's `ent_coeff_init`).
    pub entropy_coeff_init: f64,
    /// Learn α towards the target entropy `−|A|` (Pyrado's `learn_ent_coeff`).
    pub learn_entropy_coeff: bool,
    /// Gradient updates between two target updates.
    pub target_update_intvl: usize,
    /// Standardise the rewards of each minibatch to mean 0, std 1.
    pub standardize_rew: bool,
    /// Factor applied to the rewards (after standardising).
    pub rew_scale: f64,
}

impl Default for SacConfig {
    fn default() -> Self {
        Self {
            sides: Sides::tied(
                NetConfig::new(&[256, 256], Activation::Relu),
                3e-4,
                Some(5.0),
            ),
            tau: 0.005,
            entropy_coeff_init: 0.2,
            learn_entropy_coeff: true,
            target_update_intvl: 1,
            standardize_rew: true,
            rew_scale: 1.0,
        }
    }
}

impl SacConfig {
    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), AgentError> {
        check_unit_interval("tau", self.tau)?;
        check_positive("entropy_coeff_init", self.entropy_coeff_init)?;
        check_count("target_update_intvl", self.target_update_intvl)?;
        check_positive("rew_scale", self.rew_scale)?;
        self.sides.validate()
    }
}

/// `log α` as a one-parameter module, so Adam can train it.
#[derive(Module, Debug)]
struct LogAlpha {
    value: Param<Tensor<1>>,
}

/// The SAC learner: the actor-critic skeleton with twin critics and no policy target, and
/// `log α`.
pub struct Sac {
    config: SacConfig,
    ac: ActorCritic<SquashedPolicy, EnsembleMlp>,
    log_alpha: LogAlpha,
    alpha_optim: ModuleOptimizer,
    target_entropy: f64,
}

impl Sac {
    /// A learner for `setup`'s spaces (a bounded box action space); the setup's seed drives
    /// random actions.
    pub fn new(config: SacConfig, setup: &Setup) -> Result<Self, AgentError> {
        config.validate()?;
        let ac = ActorCritic::new("SAC", setup, false, &config.sides)?;
        let log_alpha = LogAlpha {
            value: Param::from_tensor(Tensor::from_floats(
                [config.entropy_coeff_init.ln() as f32],
                &ac.device,
            )),
        };
        Ok(Self {
            target_entropy: -(ac.scale.dim() as f64),
            ac,
            log_alpha,
            alpha_optim: adam(),
            config,
        })
    }

    /// The entropy coefficient α (a device read-back).
    pub fn entropy_coeff(&self) -> Result<f64, AgentError> {
        let log_alpha = read_floats(self.log_alpha.value.val().inner())?;
        Ok(f64::from(log_alpha[0]).exp())
    }

    /// The target entropy `−|A|`.
    pub fn target_entropy(&self) -> f64 {
        self.target_entropy
    }

    /// The minibatch rewards after `standardize_rew` and `rew_scale` (n-step sums are treated
    /// as one reward each).
    fn shaped_returns(&self, returns: Tensor<1>) -> Tensor<1> {
        let returns = if self.config.standardize_rew {
            let centred = returns.clone() - returns.mean();
            let std = centred
                .clone()
                .powi_scalar(2)
                .mean()
                .sqrt()
                .add_scalar(1e-8);
            centred / std
        } else {
            returns
        };
        returns.mul_scalar(self.config.rew_scale)
    }
}

impl Actor for Sac {
    type Error = AgentError;

    /// Uniform in the box ([`ActMode::Random`]), sampled from the squashed Gaussian
    /// (exploring), or its mode `tanh(mean)` (greedy), scaled onto the action box.
    fn act(&mut self, obs: &[f32], num_envs: usize, mode: ActMode) -> Result<Acted, AgentError> {
        let ac = &mut self.ac;
        let unit = match mode {
            ActMode::Random => ac.scale.sample_unit(num_envs, &mut ac.rng),
            ActMode::Explore | ActMode::Greedy => {
                let obs = matrix(obs, num_envs, ac.act_device());
                let dist = ac.acting.distribution(obs);
                let actions = if mode == ActMode::Greedy {
                    dist.mode()
                } else {
                    dist.sample()
                };
                read_floats(actions)?
            }
        };
        Ok(Acted::actions(ActionBatch::Continuous(
            ac.scale.unit_to_env(&unit),
        )))
    }
}

impl ReplayLearner for Sac {
    fn update(&mut self, batch: &ReplayBatch, progress: f64) -> Result<Learned, AgentError> {
        let (t, buffer_actions) = self.ac.minibatch("SAC", batch, true)?;
        let (rows, device) = (batch.len(), self.ac.device.clone());
        let lr = self.ac.policy_lr(progress);
        let log_alpha = self.log_alpha.value.val().inner();
        let alpha = log_alpha.clone().exp();
        let returns = self.shaped_returns(t.returns.clone());
        // Drawn here, for the whole minibatch, so that the halves use the generator in a fixed
        // order whichever thread runs them.
        let next_noise = standard_normal([rows, self.ac.scale.dim()], &device);

        // Critics: y = R + γ^k (1 − d) (min_j Q'_j(s', a') − α log π(a'|s')), a' ~ π(·|s');
        // loss ½ Σ_j mean(w (Q_j(s, a) − y)²).
        let policy = self.ac.nets.policy.valid();
        let critic = self.ac.critic_step(rows, progress, |nets, critics, half| {
            let t = t.half(half);
            let dist = policy.distribution(t.next_observations.clone());
            let (next_actions, next_log_probs) =
                dist.rsample_with_log_prob_from(half.of(&next_noise));
            let next_q = min_over_members(
                nets.critic_targets
                    .q_values(t.next_observations, next_actions),
            );
            let soft_value = next_q - next_log_probs * alpha.clone();
            let target = half.of(&returns) + t.discounts * soft_value;
            let q = critics.q_values(t.observations, half.of(&buffer_actions));
            CriticLoss::squared(q, target, t.weights, |sum| {
                sum.mul_scalar(0.5 / half.total as f64)
            })
        })?;

        // Policy: mean(α log π(a|s) − min_j Q_j(s, a)) through the updated critics.
        let policy_noise = standard_normal([rows, self.ac.scale.dim()], &device);
        let moves = (self.ac.updates + 1).is_multiple_of(self.config.target_update_intvl);
        let targets = (moves, self.config.tau);
        let (policy_loss, log_probs) =
            self.ac
                .policy_step(rows, progress, targets, |critics, policy, half| {
                    let observations = half.of(&t.observations);
                    let dist = policy.distribution(observations.clone());
                    let (policy_actions, log_probs) =
                        dist.rsample_with_log_prob_from(half.of(&policy_noise));
                    let q_pi = min_over_members(critics.q_values(observations, policy_actions));
                    let loss = (log_probs.clone() * alpha.clone().autodiff() - q_pi)
                        .sum()
                        .div_scalar(half.total as f64);
                    (loss, log_probs.detach().inner())
                })?;
        let log_probs = Tensor::cat(log_probs, 0);

        // Entropy coefficient (eq. 18): −mean(log α · (log π(a|s) + H̄)).
        if self.config.learn_entropy_coeff {
            let gap = log_probs.clone().add_scalar(self.target_entropy).autodiff();
            let alpha_loss = (self.log_alpha.value.val() * gap).mean().neg();
            let mut grads = alpha_loss.backward();
            self.log_alpha = descend(
                self.log_alpha.clone(),
                &mut grads,
                &mut self.alpha_optim,
                lr,
                None,
            )?;
        }
        self.ac.updates += 1;

        let entropy = log_probs.mean().neg();
        Ok(critic.learned(vec![policy_loss, alpha, entropy]))
    }

    fn stat_names(&self) -> Vec<&'static str> {
        vec![
            "critic_loss",
            "policy_loss",
            "entropy_coeff",
            "entropy",
            "q_mean",
        ]
    }

    fn schedule_metrics(&self, progress: f64) -> Vec<Metric> {
        vec![Metric::new("lr", self.ac.policy_lr(progress))]
    }

    fn end_iteration(&mut self) {
        self.ac.sync_acting();
    }

    fn graph(&self) -> Result<Exported, AgentError> {
        self.ac.acting.graph(&self.ac.scale)
    }

    fn is_stochastic(&self) -> bool {
        true
    }

    fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        self.ac.save(snapshot)?;
        save_module(snapshot, "log_alpha.bpk", &self.log_alpha)?;
        save_optim(snapshot, "alpha_optim.bpk", &self.alpha_optim)?;
        Ok(())
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        let ac = self.ac.loaded(snapshot)?;
        let log_alpha = load_module(snapshot, "log_alpha.bpk", self.log_alpha.clone())?;
        let alpha_optim = load_optim(snapshot, "alpha_optim.bpk", self.alpha_optim.clone())?;
        self.ac = ac;
        self.log_alpha = log_alpha;
        self.alpha_optim = alpha_optim;
        Ok(())
    }
}
