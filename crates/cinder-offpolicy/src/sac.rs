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
//! The critic and policy losses are differentiated in two halves of the minibatch on two
//! threads ([`backward_halves`]); the Gaussian noise of both samples is drawn for the whole
//! minibatch first, so a run is the same whichever thread takes which half.
//!
//! The two critics are one [`EnsembleMlp`]: each layer is a single batched matrix product. The
//! policy is the agent layer's [`SquashedPolicy`]; `acting` is its copy on the acting device.

use burn::module::{Module, Param};
use burn::optim::ModuleOptimizer;
use burn::tensor::{Device, Tensor};
use cinder_agent::batch::continuous_actions;
use cinder_agent::error::{check_count, check_max_grad_norm, check_positive, check_unit_interval};
use cinder_agent::{
    ActionScale, AgentError, BatchTensors, Learned, OffPolicyLearner, SquashedPolicy,
};
use cinder_core::seeding::{EnvRng, rng_from_seed};
use cinder_core::{ActMode, Acted, ActionBatch, Actor, Snapshot, Space};
use cinder_data::ReplayBatch;
use cinder_nn::distributions::standard_normal;
use cinder_nn::halves::{add_up, backward_halves};
use cinder_nn::persist::{RNG_FILE, load_counters, load_json, load_module, load_optim};
use cinder_nn::persist::{save_counters, save_json, save_module, save_optim};
use cinder_nn::tensors::{matrix, read_floats};
use cinder_nn::{
    Activation, EnsembleMlp, EnsembleMlpConfig, Schedule, adam, descend, soft_update, step,
};
use cinder_train::Metric;

/// SAC's own hyper-parameters (the replay loop's are in [`ReplayConfig`](crate::ReplayConfig)).
/// Defaults are Pyrado's, with `tau` in Cinder's convention.
#[derive(Debug, Clone, PartialEq)]
pub struct SacConfig {
    /// Hidden layers of the policy and of each Q-function.
    pub hidden: Vec<usize>,
    /// Non-linearity of all networks.
    pub activation: Activation,
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
    /// Global gradient-norm clip of each network, or none.
    pub max_grad_norm: Option<f64>,
    /// Adam learning rate of policy, critics and α.
    pub lr: f64,
    /// Learning-rate schedule, stepped per update.
    pub lr_schedule: Schedule,
}

impl Default for SacConfig {
    fn default() -> Self {
        Self {
            hidden: vec![256, 256],
            activation: Activation::Relu,
            tau: 0.005,
            entropy_coeff_init: 0.2,
            learn_entropy_coeff: true,
            target_update_intvl: 1,
            standardize_rew: true,
            rew_scale: 1.0,
            max_grad_norm: Some(5.0),
            lr: 3e-4,
            lr_schedule: Schedule::Constant,
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
        check_positive("lr", self.lr)?;
        check_max_grad_norm(self.max_grad_norm)?;
        self.lr_schedule.validate("lr_schedule")?;
        Ok(())
    }
}

/// `log α` as a one-parameter module, so Adam can train it.
#[derive(Module, Debug)]
struct LogAlpha {
    value: Param<Tensor<1>>,
}

/// The SAC learner: the policy and its acting copy, twin critics and their targets, `log α`.
pub struct Sac {
    config: SacConfig,
    policy: SquashedPolicy,
    critics: EnsembleMlp,
    critic_targets: EnsembleMlp,
    log_alpha: LogAlpha,
    policy_optim: ModuleOptimizer,
    critic_optim: ModuleOptimizer,
    alpha_optim: ModuleOptimizer,
    acting: SquashedPolicy,
    scale: ActionScale,
    target_entropy: f64,
    device: Device,
    act_device: Device,
    rng: EnvRng,
    updates: usize,
}

/// `min_j Q_j(s, a)` → `[B]` from `[members, B, 1]` critic outputs.
fn min_over_members(q: Tensor<3>) -> Tensor<1> {
    let [members, rows, _] = q.dims();
    q.reshape([members, rows]).min_dim(0).reshape([rows])
}

impl Sac {
    /// A learner for `observation_dim`-sized observations and a bounded box `action_space`,
    /// learning on `device` and acting on `act_device`; `seed` drives random actions.
    pub fn new(
        config: SacConfig,
        observation_dim: usize,
        action_space: &Space,
        device: &Device,
        act_device: &Device,
        seed: u64,
    ) -> Result<Self, AgentError> {
        config.validate()?;
        let scale = ActionScale::for_space("SAC", action_space)?;
        let a = scale.dim();
        let device = device.clone().autodiff();
        let policy = SquashedPolicy::new(
            observation_dim,
            a,
            &config.hidden,
            config.activation,
            &device,
        )?;
        let critics = EnsembleMlpConfig::new(2, observation_dim + a, config.hidden.clone(), 1)
            .with_activation(config.activation)
            .init(&device)?;
        let log_alpha = LogAlpha {
            value: Param::from_tensor(Tensor::from_floats(
                [config.entropy_coeff_init.ln() as f32],
                &device,
            )),
        };
        Ok(Self {
            acting: policy.valid().to_device(act_device),
            critic_targets: critics.valid(),
            policy,
            critics,
            log_alpha,
            policy_optim: adam(),
            critic_optim: adam(),
            alpha_optim: adam(),
            target_entropy: -(a as f64),
            scale,
            device,
            act_device: act_device.clone(),
            rng: rng_from_seed(seed),
            updates: 0,
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

    fn lr(&self, progress: f64) -> f64 {
        self.config
            .lr_schedule
            .value(self.config.lr, progress, self.updates)
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
        let unit = match mode {
            ActMode::Random => self.scale.sample_unit(num_envs, &mut self.rng),
            ActMode::Explore | ActMode::Greedy => {
                let obs = matrix(obs, num_envs, &self.act_device);
                let dist = self.acting.distribution(obs);
                let actions = if mode == ActMode::Greedy {
                    dist.mode()
                } else {
                    dist.sample()
                };
                read_floats(actions)?
            }
        };
        Ok(Acted::actions(ActionBatch::Continuous(
            self.scale.unit_to_env(&unit),
        )))
    }
}

impl OffPolicyLearner for Sac {
    fn update(&mut self, batch: &ReplayBatch, progress: f64) -> Result<Learned, AgentError> {
        let actions = continuous_actions(batch, "SAC")?;
        let t = BatchTensors::new(batch, &self.device);
        let rows = batch.len();
        let lr = self.lr(progress);
        let log_alpha = self.log_alpha.value.val().inner();
        let alpha = log_alpha.clone().exp();
        let returns = self.shaped_returns(t.returns.clone());
        let buffer_actions = matrix(&self.scale.env_to_unit(actions), rows, &self.device);
        // Drawn here, for the whole minibatch, so that the halves use the generator in a fixed
        // order whichever thread runs them.
        let next_noise = standard_normal([rows, self.scale.dim()], &self.device);

        // Critic step: each half of the minibatch's target and TD loss on its own thread.
        let (policy, critic_targets) = (self.policy.valid(), &self.critic_targets);
        let (grads, critic_parts) =
            backward_halves(&self.critics, &self.device, rows, |critics, half| {
                let t = t.half(half);
                let dist = policy.distribution(t.next_observations.clone());
                let (next_actions, next_log_probs) =
                    dist.rsample_with_log_prob_from(half.of(&next_noise));
                let next_q = min_over_members(
                    critic_targets
                        .forward_shared(Tensor::cat(vec![t.next_observations, next_actions], 1)),
                );
                let soft_value = next_q - next_log_probs * alpha.clone();
                let target = half.of(&returns) + t.discounts * soft_value;
                let q = critics.forward_shared(Tensor::cat(
                    vec![t.observations, half.of(&buffer_actions)],
                    1,
                ));
                let members = q.dims()[0];
                let td =
                    q.clone().reshape([members, half.len()]) - target.autodiff().unsqueeze::<2>();
                let loss = (td.clone().powi_scalar(2) * t.weights.unsqueeze::<2>())
                    .sum()
                    .mul_scalar(0.5 / half.total as f64);
                let q_mean = q.sum().div_scalar((members * half.total) as f64);
                let stats = Tensor::cat(vec![loss.clone(), q_mean], 0).detach().inner();
                (loss, (stats, td.detach().inner()))
            });
        self.critics = step(
            self.critics.clone(),
            grads,
            &mut self.critic_optim,
            lr,
            self.config.max_grad_norm,
        )?;

        // Policy step through the updated critics (held fixed), again in halves.
        let policy_noise = standard_normal([rows, self.scale.dim()], &self.device);
        let critics = self.critics.clone().no_grad();
        let (grads, policy_parts) =
            backward_halves(&self.policy, &self.device, rows, |policy, half| {
                let observations = half.of(&t.observations);
                let dist = policy.distribution(observations.clone());
                let (policy_actions, log_probs) =
                    dist.rsample_with_log_prob_from(half.of(&policy_noise));
                let q_pi = min_over_members(
                    critics.forward_shared(Tensor::cat(vec![observations, policy_actions], 1)),
                );
                let loss = (log_probs.clone() * alpha.clone().autodiff() - q_pi)
                    .sum()
                    .div_scalar(half.total as f64);
                (
                    loss.clone(),
                    (loss.detach().inner(), log_probs.detach().inner()),
                )
            });
        // The policy steps while the critics' targets move on the other thread: neither reads
        // what the other writes.
        let updates = self.updates + 1;
        let move_targets = updates.is_multiple_of(self.config.target_update_intvl);
        let (new_policy, new_critic_targets) = rayon::join(
            || {
                step(
                    self.policy.clone(),
                    grads,
                    &mut self.policy_optim,
                    lr,
                    self.config.max_grad_norm,
                )
            },
            || {
                move_targets
                    .then(|| {
                        soft_update(
                            self.critic_targets.clone(),
                            &self.critics.valid(),
                            self.config.tau,
                        )
                    })
                    .transpose()
            },
        );
        self.policy = new_policy?;
        if let Some(new_critic_targets) = new_critic_targets? {
            self.critic_targets = new_critic_targets;
        }
        let (policy_losses, log_probs): (Vec<_>, Vec<_>) = policy_parts.into_iter().unzip();
        let log_probs = Tensor::cat(log_probs, 0);

        // Entropy-coefficient step (eq. 18) on the policy's log-probabilities.
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
        self.updates = updates;

        let (critic_stats, td): (Vec<_>, Vec<_>) = critic_parts.into_iter().unzip();
        let critic_stats = add_up(critic_stats);
        Ok(Learned {
            stats: Tensor::cat(
                vec![
                    critic_stats.clone().narrow(0, 0, 1),
                    add_up(policy_losses),
                    alpha,
                    log_probs.mean().neg(),
                    critic_stats.narrow(0, 1, 1),
                ],
                0,
            ),
            td_errors: Tensor::cat(td, 1).abs().mean_dim(0).reshape([rows]),
        })
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
        vec![Metric::new("lr", self.lr(progress))]
    }

    fn end_iteration(&mut self) {
        self.acting = self.policy.valid().to_device(&self.act_device);
    }

    fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        save_module(snapshot, "policy.bpk", &self.policy)?;
        save_module(snapshot, "critics.bpk", &self.critics)?;
        save_module(snapshot, "critic_targets.bpk", &self.critic_targets)?;
        save_module(snapshot, "log_alpha.bpk", &self.log_alpha)?;
        save_optim(snapshot, "policy_optim.bpk", &self.policy_optim)?;
        save_optim(snapshot, "critic_optim.bpk", &self.critic_optim)?;
        save_optim(snapshot, "alpha_optim.bpk", &self.alpha_optim)?;
        save_counters(snapshot, "counters.bin", &[self.updates]);
        save_json(snapshot, RNG_FILE, &self.rng)?;
        Ok(())
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        let policy = load_module(snapshot, "policy.bpk", self.policy.clone())?;
        let critics = load_module(snapshot, "critics.bpk", self.critics.clone())?;
        let critic_targets =
            load_module(snapshot, "critic_targets.bpk", self.critic_targets.clone())?;
        let log_alpha = load_module(snapshot, "log_alpha.bpk", self.log_alpha.clone())?;
        let policy_optim = load_optim(snapshot, "policy_optim.bpk", self.policy_optim.clone())?;
        let critic_optim = load_optim(snapshot, "critic_optim.bpk", self.critic_optim.clone())?;
        let alpha_optim = load_optim(snapshot, "alpha_optim.bpk", self.alpha_optim.clone())?;
        let [updates] = load_counters(snapshot, "counters.bin")?;
        let rng = load_json(snapshot, RNG_FILE)?;
        self.policy = policy;
        self.critics = critics;
        self.critic_targets = critic_targets;
        self.log_alpha = log_alpha;
        self.policy_optim = policy_optim;
        self.critic_optim = critic_optim;
        self.alpha_optim = alpha_optim;
        self.updates = updates;
        self.rng = rng;
        self.acting = self.policy.valid().to_device(&self.act_device);
        Ok(())
    }
}
