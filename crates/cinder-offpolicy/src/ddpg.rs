//! Deep Deterministic Policy Gradient (Lillicrap et al. 2016, "Continuous control with deep
//! reinforcement learning"), with Tianshou's `DDPGPolicy` parameters.
//!
//! One update:
//! 1. critic target `y = R + γ^k (1 − d) Q'(s', μ'(s'))` from the target actor and critic;
//! 2. critic loss `mean(w (Q(s, a) − y)²)`, one optimiser step;
//! 3. actor loss `−mean(Q(s, μ(s)))` through the updated critic (held fixed), one step;
//! 4. every `target_update_intvl` updates, both targets move by `τ` towards the online nets.
//!
//! Acting: `μ(s) ∈ [-1, 1]^d` (a tanh output layer), plus exploration noise, bounded to
//! `[-1, 1]` by `action_bound_method = clip`, then mapped affinely onto the action box when
//! `action_scaling` (else clipped into it).

use burn::module::Module;
use burn::optim::{AdamConfig, ModuleOptimizer};
use burn::tensor::{Device, Tensor};
use cinder_core::seeding::{EnvRng, rng_from_seed};
use cinder_core::train::{Metric, Snapshot};
use cinder_core::{ActionBatch, Space};
use cinder_data::ReplayBatch;
use cinder_nn::persist::{load_module, load_optim, save_module, save_optim};
use cinder_nn::tensors::{matrix, read_floats};
use cinder_nn::{Activation, Mlp, MlpConfig, descend, soft_update};

use crate::batch::{ActionScale, BatchTensors};
use crate::error::{OffPolicyError, check, check_training};
use crate::noise::{ExplorationNoise, NoiseProcess};
use crate::off_policy::{ActMode, Learned, OffPolicyLearner, counters, read_counters};

/// DDPG's own hyper-parameters (the replay loop's, `gamma` and `estimation_step` among them,
/// are in [`ReplayConfig`](crate::ReplayConfig)). Defaults are Tianshou's.
#[derive(Debug, Clone, PartialEq)]
pub struct DdpgConfig {
    /// Hidden layers of actor and critic.
    pub hidden: Vec<usize>,
    /// Non-linearity of both networks.
    pub activation: Activation,
    /// Weight of the online networks in the target update.
    pub tau: f64,
    /// Exploration noise (Gaussian σ = 0.1 by default).
    pub exploration_noise: ExplorationNoise,
    /// Map `[-1, 1]` onto the action box (else the actor's output is used as is).
    pub action_scaling: bool,
    /// Clip actor output plus noise to `[-1, 1]` (Tianshou's `action_bound_method = "clip"`);
    /// `false` is Tianshou's `None` (the environment boundary still clips).
    pub action_bound_clip: bool,
    /// Gradient updates between two target updates.
    pub target_update_intvl: usize,
    /// Adam learning rate of the actor.
    pub actor_lr: f64,
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
            actor_lr: 1e-3,
            critic_lr: 1e-3,
            max_grad_norm: None,
        }
    }
}

impl DdpgConfig {
    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), OffPolicyError> {
        check(
            "tau",
            self.tau,
            (0.0..=1.0).contains(&self.tau),
            "in [0, 1]",
        )?;
        check_training(
            self.target_update_intvl,
            &[("actor_lr", self.actor_lr), ("critic_lr", self.critic_lr)],
            self.max_grad_norm,
        )
    }
}

/// The DDPG learner.
pub struct Ddpg {
    config: DdpgConfig,
    actor: Mlp,
    critic: Mlp,
    actor_target: Mlp,
    critic_target: Mlp,
    actor_optim: ModuleOptimizer,
    critic_optim: ModuleOptimizer,
    acting: Mlp,
    noise: NoiseProcess,
    scale: ActionScale,
    device: Device,
    act_device: Device,
    rng: EnvRng,
    updates: usize,
}

/// `μ(s) = tanh(actor(s)) ∈ [-1, 1]^d`.
fn deterministic_action(actor: &Mlp, obs: Tensor<2>) -> Tensor<2> {
    actor.forward(obs).tanh()
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
    ) -> Result<Self, OffPolicyError> {
        config.validate()?;
        let Space::Box(bounds) = action_space else {
            return Err(OffPolicyError::UnsupportedSpace(format!(
                "DDPG needs a continuous (box) action space, got {action_space}"
            )));
        };
        let scale = ActionScale::new(bounds)?;
        let a = scale.dim();
        let device = device.clone().autodiff();
        let actor = MlpConfig::new(observation_dim, config.hidden.clone(), a)
            .with_activation(config.activation)
            .init(&device)?;
        let critic = MlpConfig::new(observation_dim + a, config.hidden.clone(), 1)
            .with_activation(config.activation)
            .init(&device)?;
        let adam = || AdamConfig::new().with_epsilon(1e-8).init();
        Ok(Self {
            acting: actor.valid().to_device(act_device),
            actor_target: actor.valid(),
            critic_target: critic.valid(),
            actor,
            critic,
            actor_optim: adam(),
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

    /// Stored env actions back in the actor's units.
    fn actor_units(&self, actions: &[f32]) -> Vec<f32> {
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

impl OffPolicyLearner for Ddpg {
    fn act(
        &mut self,
        observations: &[f32],
        num_envs: usize,
        mode: ActMode,
        _progress: f64,
    ) -> Result<ActionBatch, OffPolicyError> {
        let unit = match mode {
            ActMode::Random => self.scale.sample_unit(num_envs, &mut self.rng),
            ActMode::Explore | ActMode::Greedy => {
                let obs = matrix(observations, num_envs, &self.act_device);
                let mut unit = read_floats(deterministic_action(&self.acting, obs))?;
                if mode == ActMode::Explore {
                    self.noise.perturb(&mut unit, &mut self.rng);
                    if self.config.action_bound_clip {
                        unit.iter_mut().for_each(|u| *u = u.clamp(-1.0, 1.0));
                    }
                }
                unit
            }
        };
        Ok(ActionBatch::Continuous(self.to_env(unit)))
    }

    fn update(&mut self, batch: &ReplayBatch, _progress: f64) -> Result<Learned, OffPolicyError> {
        let ActionBatch::Continuous(actions) = &batch.actions else {
            return Err(OffPolicyError::UnsupportedSpace(
                "DDPG replay batch holds discrete actions".into(),
            ));
        };
        let t = BatchTensors::new(batch, &self.device);
        let rows = batch.len();

        let target = {
            let next_actions =
                deterministic_action(&self.actor_target, t.next_observations.clone());
            t.td_target(Self::q(
                &self.critic_target,
                t.next_observations.clone(),
                next_actions,
            ))
        };
        let buffer_actions = matrix(&self.actor_units(actions), rows, &self.device);
        let q = Self::q(&self.critic, t.observations.clone(), buffer_actions);
        let td = q.clone() - target.autodiff();
        let critic_loss = (td.clone().powi_scalar(2) * t.weights.clone()).mean();
        let mut grads = critic_loss.backward();
        self.critic = descend(
            self.critic.clone(),
            &mut grads,
            &mut self.critic_optim,
            self.config.critic_lr,
            self.config.max_grad_norm,
        )?;

        let policy_actions = deterministic_action(&self.actor, t.observations.clone());
        let actor_loss = Self::q(
            &self.critic.clone().no_grad(),
            t.observations.clone(),
            policy_actions,
        )
        .mean()
        .neg();
        let mut grads = actor_loss.backward();
        self.actor = descend(
            self.actor.clone(),
            &mut grads,
            &mut self.actor_optim,
            self.config.actor_lr,
            self.config.max_grad_norm,
        )?;

        self.updates += 1;
        if self.updates.is_multiple_of(self.config.target_update_intvl) {
            let tau = self.config.tau;
            self.actor_target = soft_update(self.actor_target.clone(), &self.actor.valid(), tau)?;
            self.critic_target =
                soft_update(self.critic_target.clone(), &self.critic.valid(), tau)?;
        }
        Ok(Learned {
            stats: Tensor::cat(
                vec![
                    critic_loss.detach().inner(),
                    actor_loss.detach().inner(),
                    q.detach().inner().mean(),
                ],
                0,
            ),
            td_errors: td.detach().inner().abs(),
        })
    }

    fn stat_names(&self) -> &'static [&'static str] {
        &["critic_loss", "actor_loss", "q_mean"]
    }

    fn schedule_metrics(&self, _progress: f64) -> Vec<Metric> {
        Vec::new()
    }

    fn end_iteration(&mut self) {
        self.acting = self.actor.valid().to_device(&self.act_device);
    }

    fn save(&self, snapshot: &mut Snapshot) -> Result<(), OffPolicyError> {
        save_module(snapshot, "actor.bpk", &self.actor)?;
        save_module(snapshot, "critic.bpk", &self.critic)?;
        save_module(snapshot, "actor_target.bpk", &self.actor_target)?;
        save_module(snapshot, "critic_target.bpk", &self.critic_target)?;
        save_optim(snapshot, "actor_optim.bpk", &self.actor_optim)?;
        save_optim(snapshot, "critic_optim.bpk", &self.critic_optim)?;
        snapshot.insert("counters.bin", counters(&[self.updates]));
        Ok(())
    }

    fn load(&mut self, snapshot: &Snapshot) -> Result<(), OffPolicyError> {
        let actor = load_module(snapshot, "actor.bpk", self.actor.clone())?;
        let critic = load_module(snapshot, "critic.bpk", self.critic.clone())?;
        let actor_target = load_module(snapshot, "actor_target.bpk", self.actor_target.clone())?;
        let critic_target = load_module(snapshot, "critic_target.bpk", self.critic_target.clone())?;
        let actor_optim = load_optim(snapshot, "actor_optim.bpk", self.actor_optim.clone())?;
        let critic_optim = load_optim(snapshot, "critic_optim.bpk", self.critic_optim.clone())?;
        let [updates] = read_counters(snapshot)?;
        self.actor = actor;
        self.critic = critic;
        self.actor_target = actor_target;
        self.critic_target = critic_target;
        self.actor_optim = actor_optim;
        self.critic_optim = critic_optim;
        self.updates = updates;
        self.acting = self.actor.valid().to_device(&self.act_device);
        Ok(())
    }
}
