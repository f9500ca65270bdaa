//! Deep Deterministic Policy Gradient (Lillicrap et al. 2016, "Continuous control with deep
//! reinforcement learning"), with Tianshou's `DDPGPolicy` parameters.
//!
//! One update:
//! 1. critic target `y = R + γ^k (1 − d) Q'(s', μ'(s'))` from the target policy and critic;
//! 2. critic loss `mean(w (Q(s, a) − y)²)`, one optimiser step;
//! 3. policy loss `−mean(Q(s, μ(s)))` through the updated critic (held fixed), one step;
//! 4. every `target_update_intvl` updates, both targets move by `τ` towards the trained nets.
//!
//! Steps 2 and 3 differentiate the two halves of the minibatch on two threads
//! ([`backward_halves`]) and sum their gradients.
//!
//! Acting: `μ(s) ∈ [-1, 1]^d` (the agent layer's [`DeterministicPolicy`]), plus exploration
//! noise, bounded to `[-1, 1]` by `action_bound_method = clip`, then mapped affinely onto the
//! action box when `action_scaling` (else clipped into it). Tianshou calls the policy network
//! the "actor"; here it is the `policy`, and `acting` is its copy on the acting device.

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Device, Tensor};
use cinder_agent::batch::continuous_actions;
use cinder_agent::error::{check_count, check_max_grad_norm, check_positive, check_unit_interval};
use cinder_agent::{
    ActionScale, AgentError, BatchTensors, DeterministicPolicy, Learned, OffPolicyLearner,
};
use cinder_core::seeding::{EnvRng, rng_from_seed};
use cinder_core::{ActMode, Acted, ActionBatch, Actor, Snapshot, Space};
use cinder_data::ReplayBatch;
use cinder_nn::halves::{add_up, backward_halves};
use cinder_nn::persist::{RNG_FILE, load_counters, load_json, load_module, load_optim};
use cinder_nn::persist::{save_counters, save_json, save_module, save_optim};
use cinder_nn::tensors::{matrix, read_floats};
use cinder_nn::{Activation, Mlp, MlpConfig, adam, soft_update, step};
use cinder_train::Metric;

use crate::noise::{ExplorationNoise, NoiseProcess};

/// DDPG's own hyper-parameters (the replay loop's, `gamma` and `estimation_step` among them,
/// are in [`ReplayConfig`](crate::ReplayConfig)). Defaults are Tianshou's.
#[derive(Debug, Clone, PartialEq)]
pub struct DdpgConfig {
    /// Hidden layers of policy and critic.
    pub hidden: Vec<usize>,
    /// Non-linearity of both networks.
    pub activation: Activation,
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
    /// Adam learning rate of the policy (Tianshou's `actor_optim`).
    pub policy_lr: f64,
    /// Adam learning rate of the critic.
    pub critic_lr: f64,
    /// Global gradient-norm clip of each network, or none.
    pub max_grad_norm: Option<f64>,
}

impl Default for DdpgConfig {
    fn default() -> Self {
        Self {
            hidden: vec![256, 256],
            activation: Activation::Relu,
            tau: 0.005,
            exploration_noise: ExplorationNoise::Gaussian { sigma: 0.1 },
            action_scaling: true,
            action_bound_clip: true,
            target_update_intvl: 1,
            policy_lr: 1e-3,
            critic_lr: 1e-3,
            max_grad_norm: None,
        }
    }
}

impl DdpgConfig {
    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), AgentError> {
        check_unit_interval("tau", self.tau)?;
        check_count("target_update_intvl", self.target_update_intvl)?;
        check_positive("policy_lr", self.policy_lr)?;
        check_positive("critic_lr", self.critic_lr)?;
        check_max_grad_norm(self.max_grad_norm)
    }
}

/// The snapshot file of the exploration noise's running state (OU's `x`).
const NOISE_FILE: &str = "noise.json";

/// The DDPG learner: the policy and its acting copy, the critic, both targets.
pub struct Ddpg {
    config: DdpgConfig,
    policy: DeterministicPolicy,
    critic: Mlp,
    policy_target: DeterministicPolicy,
    critic_target: Mlp,
    policy_optim: ModuleOptimizer,
    critic_optim: ModuleOptimizer,
    acting: DeterministicPolicy,
    noise: NoiseProcess,
    scale: ActionScale,
    device: Device,
    act_device: Device,
    rng: EnvRng,
    updates: usize,
}

impl Ddpg {
    /// A learner for `observation_dim`-sized observations and a bounded box `action_space`,
    /// learning on `device` and acting on `act_device`; `seed` drives the noise.
    pub fn new(
        config: DdpgConfig,
        observation_dim: usize,
        action_space: &Space,
        device: &Device,
        act_device: &Device,
        seed: u64,
    ) -> Result<Self, AgentError> {
        config.validate()?;
        let scale = ActionScale::for_space("DDPG", action_space)?;
        let a = scale.dim();
        let device = device.clone().autodiff();
        let policy = DeterministicPolicy::new(
            observation_dim,
            a,
            &config.hidden,
            config.activation,
            &device,
        )?;
        let critic = MlpConfig::new(observation_dim + a, config.hidden.clone(), 1)
            .with_activation(config.activation)
            .init(&device)?;
        Ok(Self {
            acting: policy.valid().to_device(act_device),
            policy_target: policy.valid(),
            critic_target: critic.valid(),
            policy,
            critic,
            policy_optim: adam(),
            critic_optim: adam(),
            noise: NoiseProcess::new(config.exploration_noise),
            scale,
            device,
            act_device: act_device.clone(),
            rng: rng_from_seed(seed),
            updates: 0,
            config,
        })
    }

    /// Env actions from unit-cube actions (scaled, or clipped into the box).
    fn to_env(&self, mut unit: Vec<f32>) -> Vec<f32> {
        if self.config.action_scaling {
            self.scale.unit_to_env(&unit)
        } else {
            self.scale.clip(&mut unit);
            unit
        }
    }

    /// Stored env actions back in the policy's units.
    fn policy_units(&self, actions: &[f32]) -> Vec<f32> {
        if self.config.action_scaling {
            self.scale.env_to_unit(actions)
        } else {
            actions.to_vec()
        }
    }

    /// `Q(s, a)` → `[B]`.
    fn q(critic: &Mlp, obs: Tensor<2>, actions: Tensor<2>) -> Tensor<1> {
        let rows = obs.dims()[0];
        critic
            .forward(Tensor::cat(vec![obs, actions], 1))
            .reshape([rows])
    }
}

impl Actor for Ddpg {
    type Error = AgentError;

    /// Uniform in the box ([`ActMode::Random`]), `μ(s)` plus noise (exploring) or `μ(s)`
    /// (greedy), mapped onto the action box.
    fn act(&mut self, obs: &[f32], num_envs: usize, mode: ActMode) -> Result<Acted, AgentError> {
        let unit = match mode {
            ActMode::Random => self.scale.sample_unit(num_envs, &mut self.rng),
            ActMode::Explore | ActMode::Greedy => {
                let obs = matrix(obs, num_envs, &self.act_device);
                let mut unit = read_floats(self.acting.forward(obs))?;
                if mode == ActMode::Explore {
                    self.noise.perturb(&mut unit, &mut self.rng);
                    if self.config.action_bound_clip {
                        unit.iter_mut().for_each(|u| *u = u.clamp(-1.0, 1.0));
                    }
                }
                unit
            }
        };
        Ok(Acted::actions(ActionBatch::Continuous(self.to_env(unit))))
    }
}

impl OffPolicyLearner for Ddpg {
    fn update(&mut self, batch: &ReplayBatch, _progress: f64) -> Result<Learned, AgentError> {
        let actions = continuous_actions(batch, "DDPG")?;
        let t = BatchTensors::new(batch, &self.device);
        let rows = batch.len();
        let buffer_actions = matrix(&self.policy_units(actions), rows, &self.device);

        // Critic step: each half of the minibatch's TD loss on its own thread.
        let (policy_target, critic_target) = (&self.policy_target, &self.critic_target);
        let (grads, critic_parts) =
            backward_halves(&self.critic, &self.device, rows, |critic, half| {
                let t = t.half(half);
                let next_actions = policy_target.forward(t.next_observations.clone());
                let target = t.td_target(Self::q(
                    critic_target,
                    t.next_observations.clone(),
                    next_actions,
                ));
                let q = Self::q(&critic, t.observations, half.of(&buffer_actions));
                let td = q.clone() - target.autodiff();
                let loss = (td.clone().powi_scalar(2) * t.weights)
                    .sum()
                    .div_scalar(half.total as f64);
                let q_mean = q.sum().div_scalar(half.total as f64);
                let stats = Tensor::cat(vec![loss.clone(), q_mean], 0).detach().inner();
                (loss, (stats, td.detach().inner()))
            });
        self.critic = step(
            self.critic.clone(),
            grads,
            &mut self.critic_optim,
            self.config.critic_lr,
            self.config.max_grad_norm,
        )?;

        // Policy step through the updated critic (held fixed), again in halves.
        let critic = self.critic.clone().no_grad();
        let (grads, policy_losses) =
            backward_halves(&self.policy, &self.device, rows, |policy, half| {
                let observations = half.of(&t.observations);
                let actions = policy.forward(observations.clone());
                let loss = Self::q(&critic, observations, actions)
                    .sum()
                    .div_scalar(half.total as f64)
                    .neg();
                (loss.clone(), loss.detach().inner())
            });
        // The policy steps while the critic's target moves on the other thread: neither reads
        // what the other writes.
        let updates = self.updates + 1;
        let move_targets = updates.is_multiple_of(self.config.target_update_intvl);
        let tau = self.config.tau;
        let (new_policy, new_critic_target) = rayon::join(
            || {
                step(
                    self.policy.clone(),
                    grads,
                    &mut self.policy_optim,
                    self.config.policy_lr,
                    self.config.max_grad_norm,
                )
            },
            || {
                move_targets
                    .then(|| soft_update(self.critic_target.clone(), &self.critic.valid(), tau))
                    .transpose()
            },
        );
        self.policy = new_policy?;
        self.updates = updates;
        if let Some(new_critic_target) = new_critic_target? {
            self.critic_target = new_critic_target;
            self.policy_target =
                soft_update(self.policy_target.clone(), &self.policy.valid(), tau)?;
        }
        let (critic_stats, td): (Vec<_>, Vec<_>) = critic_parts.into_iter().unzip();
        let critic_stats = add_up(critic_stats);
        Ok(Learned {
            stats: Tensor::cat(
                vec![
                    critic_stats.clone().narrow(0, 0, 1),
                    add_up(policy_losses),
                    critic_stats.narrow(0, 1, 1),
                ],
                0,
            ),
            td_errors: Tensor::cat(td, 0).abs(),
        })
    }

    fn stat_names(&self) -> Vec<&'static str> {
        vec!["critic_loss", "policy_loss", "q_mean"]
    }

    fn schedule_metrics(&self, _progress: f64) -> Vec<Metric> {
        Vec::new()
    }

    fn end_iteration(&mut self) {
        self.acting = self.policy.valid().to_device(&self.act_device);
    }

    fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        save_module(snapshot, "policy.bpk", &self.policy)?;
        save_module(snapshot, "critic.bpk", &self.critic)?;
        save_module(snapshot, "policy_target.bpk", &self.policy_target)?;
        save_module(snapshot, "critic_target.bpk", &self.critic_target)?;
        save_optim(snapshot, "policy_optim.bpk", &self.policy_optim)?;
        save_optim(snapshot, "critic_optim.bpk", &self.critic_optim)?;
        save_counters(snapshot, "counters.bin", &[self.updates]);
        save_json(snapshot, RNG_FILE, &self.rng)?;
        save_json(snapshot, NOISE_FILE, self.noise.state())?;
        Ok(())
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        let policy = load_module(snapshot, "policy.bpk", self.policy.clone())?;
        let critic = load_module(snapshot, "critic.bpk", self.critic.clone())?;
        let policy_target = load_module(snapshot, "policy_target.bpk", self.policy_target.clone())?;
        let critic_target = load_module(snapshot, "critic_target.bpk", self.critic_target.clone())?;
        let policy_optim = load_optim(snapshot, "policy_optim.bpk", self.policy_optim.clone())?;
        let critic_optim = load_optim(snapshot, "critic_optim.bpk", self.critic_optim.clone())?;
        let [updates] = load_counters(snapshot, "counters.bin")?;
        let rng = load_json(snapshot, RNG_FILE)?;
        let noise: Vec<f64> = load_json(snapshot, NOISE_FILE)?;
        self.policy = policy;
        self.critic = critic;
        self.policy_target = policy_target;
        self.critic_target = critic_target;
        self.policy_optim = policy_optim;
        self.critic_optim = critic_optim;
        self.updates = updates;
        self.rng = rng;
        self.noise.set_state(noise);
        self.acting = self.policy.valid().to_device(&self.act_device);
        Ok(())
    }
}
