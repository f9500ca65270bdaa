//! What A2C and PPO2 share: the policy and the critic's value network trained together with
//! one combined loss, one optimiser and one global gradient-norm clip (Pyrado's
//! `ActorCritic` optimises both parameter groups with one optimiser).

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Device, Int, Tensor};
use cinder_core::Space;
use cinder_core::seeding::{EnvRng, rng_from_seed};
use cinder_core::train::Snapshot;
use cinder_nn::Mlp;

use crate::error::PgError;
use crate::gae::Gae;
use crate::optimize::{Passes, fit};
use crate::policy::{Policy, PolicyConfig};
use cinder_nn::descend;
use cinder_nn::persist::{load_module, load_optim, save_module, save_optim};

/// Policy and value network as one module.
#[derive(Module, Debug)]
pub(crate) struct Joint {
    /// `π(a | s)`.
    pub policy: Policy,
    /// `V(s)`, the critic's network.
    pub vfcn: Mlp,
}

/// The state of a jointly trained actor-critic: policy, critic, the joint optimiser and the
/// minibatch RNG.
pub(crate) struct ActorCritic {
    pub policy: Policy,
    pub critic: Gae,
    optim: ModuleOptimizer,
    pub device: Device,
    rng: EnvRng,
    /// Updates done so far (for exponential schedules).
    pub updates: usize,
    make_optim: fn() -> ModuleOptimizer,
}

impl ActorCritic {
    /// A fresh policy for the spaces, trained with `critic` by the optimiser `make_optim` makes.
    pub fn new(
        policy: &PolicyConfig,
        critic: Gae,
        observation_space: &Space,
        action_space: &Space,
        device: &Device,
        seed: u64,
        make_optim: fn() -> ModuleOptimizer,
    ) -> Result<Self, PgError> {
        let device = device.clone().autodiff();
        Ok(Self {
            policy: Policy::new(policy, observation_space, action_space, &device)?,
            critic,
            optim: make_optim(),
            device,
            rng: rng_from_seed(seed),
            updates: 0,
            make_optim,
        })
    }

    /// Minimises `loss` over `rows` rows jointly in the policy and value network (see
    /// [`fit`]) with steps of size `lr` and one global gradient clip; returns the last pass's
    /// statistics.
    pub fn fit<F>(
        &mut self,
        rows: usize,
        passes: Passes,
        lr: f64,
        max_grad_norm: Option<f64>,
        loss: F,
    ) -> Result<Vec<f32>, PgError>
    where
        F: FnMut(&Joint, Tensor<1, Int>, bool) -> (Tensor<1>, Option<Tensor<1>>),
    {
        let joint = Joint {
            policy: self.policy.clone(),
            vfcn: self.critic.value_function().clone(),
        };
        let optim = &mut self.optim;
        let (joint, stats) = fit(
            joint,
            rows,
            passes,
            &mut self.rng,
            &self.device,
            loss,
            |joint, mut grads| Ok(descend(joint, &mut grads, optim, lr, max_grad_norm)?),
        )?;
        self.policy = joint.policy;
        self.critic.set_value_function(joint.vfcn);
        self.updates += 1;
        Ok(stats)
    }

    /// Adds policy, value network and the joint optimiser's state to `snapshot`.
    pub fn save(&self, snapshot: &mut Snapshot) -> Result<(), PgError> {
        save_module(snapshot, "policy.bpk", &self.policy)?;
        save_optim(snapshot, "joint_optim.bpk", &self.optim)?;
        self.critic.save(snapshot)
    }

    /// Restores what [`ActorCritic::save`] stored.
    pub fn load(&mut self, snapshot: &Snapshot) -> Result<(), PgError> {
        self.policy = load_module(snapshot, "policy.bpk", self.policy.clone())?;
        let optim = std::mem::replace(&mut self.optim, (self.make_optim)());
        self.optim = load_optim(snapshot, "joint_optim.bpk", optim)?;
        self.critic.load(snapshot)
    }
}
