//! Behaviour cloning (Tianshou's `ImitationPolicy`): supervised learning of the logged actions.
//!
//! - discrete actions: a categorical [`Policy`]; loss = NLL of the logged action,
//!   `−mean log π(a_t | s_t)`; acts with the most likely action (greedy) or a sample (explore);
//! - continuous actions: a [`DeterministicPolicy`] `μ(s) ∈ [-1, 1]^d`, mapped to the action box
//!   (Tianshou's `action_scaling`); loss = MSE between the mapped action and the logged one, in
//!   the environment's units.

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::Device;
use cinder_agent::batch::{ActionScale, continuous_actions, discrete_actions};
use cinder_agent::error::{check_max_grad_norm, check_positive};
use cinder_agent::policy::{ActionTensor, DeterministicPolicy, Policy, PolicyActor, PolicyConfig};
use cinder_agent::{AgentError, Exported, Learned, ReplayLearner, Setup};
use cinder_core::seeding::{EnvRng, rng_from_seed};
use cinder_core::{ActMode, Acted, ActionBatch, Actor, Observed, Snapshot, Space};
use cinder_data::ReplayBatch;
use cinder_nn::persist::{load_counters, load_module, load_optim, save_counters};
use cinder_nn::persist::{save_module, save_optim};
use cinder_nn::tensors::{matrix, read_floats};
use cinder_nn::{Activation, NetConfig, Schedule, adam, descend};

/// BC's hyper-parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct BcConfig {
    /// Hidden layer sizes of the policy.
    pub net: NetConfig,
    /// Adam learning rate.
    pub lr: f64,
    /// Learning-rate schedule over the updates (Tianshou's `lr_scheduler`).
    pub lr_schedule: Schedule,
    /// Global gradient-norm clip, or none.
    pub max_grad_norm: Option<f64>,
}

impl Default for BcConfig {
    /// Tianshou's imitation examples: two hidden layers, Adam at 1e-3.
    fn default() -> Self {
        Self {
            net: NetConfig::new(&[64, 64], Activation::Relu),
            lr: 1e-3,
            lr_schedule: Schedule::Constant,
            max_grad_norm: None,
        }
    }
}

impl BcConfig {
    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), AgentError> {
        check_positive("lr", self.lr)?;
        self.lr_schedule.validate("lr_schedule")?;
        check_max_grad_norm(self.max_grad_norm)
    }
}

/// The snapshot file of BC's update count (the exponential schedule's step).
const COUNTERS_FILE: &str = "counters.bin";

/// The cloned policy, by action kind.
#[derive(Module, Debug)]
enum Cloned {
    Discrete(Policy),
    Continuous(DeterministicPolicy),
}

/// The behaviour-cloning learner.
pub struct Bc {
    config: BcConfig,
    policy: Cloned,
    acting: Acting,
    optim: ModuleOptimizer,
    device: Device,
    scale: Option<ActionScale>,
    updates: usize,
}

/// The policy's acting copy.
enum Acting {
    Discrete(PolicyActor),
    Continuous {
        policy: DeterministicPolicy,
        device: Device,
        space: Space,
        rng: EnvRng,
    },
}

impl Bc {
    /// A learner for `setup`'s spaces (discrete actions or a bounded box); the setup's seed
    /// drives sampled and random actions.
    pub fn new(config: BcConfig, setup: &Setup) -> Result<Self, AgentError> {
        config.validate()?;
        let device = setup.device.clone().autodiff();
        let (observation_dim, action_space) = (setup.observation_dim(), &setup.action_space);
        let (act_device, seed) = (&setup.act_device, setup.seed);
        let (policy, scale) = match action_space {
            Space::Discrete(_) => {
                let policy_config = PolicyConfig {
                    net: config.net.clone(),
                    ..PolicyConfig::default()
                };
                let policy = Policy::new(&policy_config, observation_dim, action_space, &device)?;
                (Cloned::Discrete(policy), None)
            }
            Space::Box(_) => {
                let scale = ActionScale::for_space("BC", action_space)?;
                let policy =
                    DeterministicPolicy::new(observation_dim, scale.dim(), &config.net, &device)?;
                (Cloned::Continuous(policy), Some(scale))
            }
        };
        let acting = match &policy {
            Cloned::Discrete(p) => {
                Acting::Discrete(PolicyActor::new(p, action_space, act_device, seed))
            }
            Cloned::Continuous(p) => Acting::Continuous {
                policy: p.valid().to_device(act_device),
                device: act_device.clone(),
                space: action_space.clone(),
                rng: rng_from_seed(seed),
            },
        };
        Ok(Self {
            optim: adam(),
            policy,
            acting,
            device,
            scale,
            config,
            updates: 0,
        })
    }

    /// Copies the trained weights into the acting copy.
    fn sync(&mut self) {
        match (&mut self.acting, &self.policy) {
            (Acting::Discrete(actor), Cloned::Discrete(p)) => actor.sync(p),
            (Acting::Continuous { policy, device, .. }, Cloned::Continuous(p)) => {
                *policy = p.valid().to_device(device);
            }
            _ => unreachable!("the acting copy has the trained policy's kind"),
        }
    }
}

impl Actor for Bc {
    type Error = AgentError;

    /// Discrete: the most likely action (greedy) or a sample (explore). Continuous: `μ(s)`
    /// mapped to the box in both modes. Uniformly random in [`ActMode::Random`].
    /// Discrete actions keep to the valid ones.
    fn act_masked(&mut self, observed: Observed<'_>, mode: ActMode) -> Result<Acted, AgentError> {
        let (obs, num_envs) = (observed.values, observed.num_envs);
        let scale = self.scale.as_ref();
        match &mut self.acting {
            Acting::Discrete(actor) => actor.act_masked(observed, mode),
            Acting::Continuous { space, rng, .. } if mode == ActMode::Random => {
                Ok(Acted::actions(ActionBatch::sample(space, num_envs, rng)))
            }
            Acting::Continuous { policy, device, .. } => {
                let unit = read_floats(policy.forward(matrix(obs, num_envs, device)))?;
                let scale = scale.expect("a continuous policy has its action scale");
                Ok(Acted::actions(ActionBatch::Continuous(
                    scale.unit_to_env(&unit),
                )))
            }
        }
    }
}

impl ReplayLearner for Bc {
    fn update(&mut self, batch: &ReplayBatch, progress: f64) -> Result<Learned, AgentError> {
        let t = matrix(&batch.observations, batch.len(), &self.device);
        let loss = match &self.policy {
            Cloned::Discrete(policy) => {
                discrete_actions(batch, "BC")?;
                let logged = ActionTensor::from_batch(&batch.actions, batch.len(), &self.device);
                policy.distribution(t).log_prob(&logged).mean().neg()
            }
            Cloned::Continuous(policy) => {
                let scale = self
                    .scale
                    .as_ref()
                    .expect("a continuous policy has its scale");
                let logged = scale.env_to_unit(continuous_actions(batch, "BC")?);
                let rows = batch.len();
                let logged = matrix(&logged, rows, &self.device);
                let half = matrix(&scale.half_range(), 1, &self.device);
                // Env-unit error: (mid + half·μ) − (mid + half·u) = half · (μ − u).
                ((policy.forward(t) - logged) * half).powi_scalar(2).mean()
            }
        };
        let mut grads = loss.backward();
        let config = &self.config;
        self.policy = descend(
            self.policy.clone(),
            &mut grads,
            &mut self.optim,
            config.lr_schedule.value(config.lr, progress, self.updates),
            config.max_grad_norm,
        )?;
        self.updates += 1;
        Ok(Learned {
            stats: loss.detach().inner(),
            td_errors: None,
        })
    }

    fn stat_names(&self) -> Vec<&'static str> {
        vec!["loss"]
    }

    fn end_iteration(&mut self) {
        self.sync();
    }

    fn graph(&self) -> Result<Exported, AgentError> {
        match &self.acting {
            Acting::Discrete(actor) => actor.graph(),
            Acting::Continuous { policy, .. } => {
                let scale = self.scale.as_ref();
                policy.graph(scale.expect("a continuous policy has its scale"), true)
            }
        }
    }

    fn is_stochastic(&self) -> bool {
        matches!(self.acting, Acting::Discrete(_))
    }

    fn save(&self, snapshot: &mut Snapshot) -> Result<(), AgentError> {
        save_module(snapshot, "policy.bpk", &self.policy)?;
        save_optim(snapshot, "policy_optim.bpk", &self.optim)?;
        save_counters(snapshot, COUNTERS_FILE, &[self.updates]);
        Ok(())
    }

    /// Snapshots written before BC counted its updates have no counter file: 0.
    fn load(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        let policy = load_module(snapshot, "policy.bpk", self.policy.clone())?;
        let optim = load_optim(snapshot, "policy_optim.bpk", self.optim.clone())?;
        let [updates] = match snapshot.contains(COUNTERS_FILE) {
            true => load_counters(snapshot, COUNTERS_FILE)?,
            false => [0],
        };
        self.policy = policy;
        self.optim = optim;
        self.updates = updates;
        self.sync();
        Ok(())
    }
}
