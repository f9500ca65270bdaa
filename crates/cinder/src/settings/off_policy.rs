//! The settings DQL, DDPG and SAC share: the replay loop (Pyrado's `ValueBased`) and the
//! networks' shape and optimisation.

use cinder_data::PrioritizedConfig;
use cinder_explore::Icm;
use cinder_offpolicy::{OffPolicy, ReplayConfig, ReplayLearner, Side, Sides};
use serde::{Deserialize, Serialize};

use super::{
    Build, BuildResult, CriticSettings, IcmSettings, NewLearner, RunSettings, SettingsError,
    grad_clip, net, replay_trained, schedule,
};
use crate::policy::Trained;
use cinder_agent::Setup;
use cinder_core::Snapshot;
use cinder_nn::{NetConfig, Schedule};

/// Settings of every off-policy run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OffPolicySettings {
    /// Budget, evaluation, environments.
    #[serde(flatten)]
    pub run: RunSettings,
    /// Discount factor γ.
    pub gamma: f64,
    /// Transitions the replay memory holds.
    pub memory_size: usize,
    /// Environment steps per iteration (over all environments; SB3's `train_freq`).
    pub min_steps: usize,
    /// Gradient updates per iteration (Pyrado's `num_updates_per_step`, whose step is an
    /// algorithm step; SB3's `gradient_steps`).
    pub num_updates_per_iter: usize,
    /// Random-action transitions before learning starts (SB3's `learning_starts`).
    pub num_init_memory_steps: usize,
    /// Transitions per minibatch.
    pub batch_size: usize,
    /// Transitions in the n-step targets (Tianshou's `estimation_step`).
    pub estimation_step: usize,
    /// Prioritized replay (Schaul et al. 2016) instead of uniform.
    pub prioritized: bool,
    /// Prioritization exponent α.
    pub per_alpha: f64,
    /// Initial importance-sampling exponent β (annealed to 1).
    pub per_beta_init: f64,
    /// Snapshots include the replay memory (`--save-buffer`).
    pub save_buffer: bool,
    /// Fill the memory before learning (and refill it after a resume without a saved memory)
    /// with the exploring policy rather than random actions.
    pub use_trained_policy_for_refill: bool,
    /// Learning rate (of the policy; of the critics too unless `critic_lr` is set).
    pub lr: f64,
    /// `constant`, `linear` or `exponential:<gamma>`, stepped per update (every learning
    /// rate follows it).
    pub lr_schedule: String,
    /// Global gradient-norm clip; 0 disables it.
    pub max_grad_norm: f64,
    /// Hidden layer sizes (of the policy; of the critics too unless `critic_hidden` is set).
    pub hidden: Vec<usize>,
    /// `relu` or `tanh`.
    pub activation: String,
    /// Gradient updates between target-network updates.
    pub target_update_intvl: usize,
    /// The Intrinsic Curiosity Module around the learner (`--icm`), if on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icm: Option<IcmSettings>,
}

impl OffPolicySettings {
    /// The shared defaults (SAC's, Pyrado): 100k steps, a 1M-transition memory, one update
    /// per environment step after 1000 random ones, 256-256 ReLU networks.
    pub fn defaults() -> Self {
        Self {
            run: RunSettings::steps(100_000, 1, 1000),
            gamma: 0.99,
            memory_size: 1_000_000,
            min_steps: 1,
            num_updates_per_iter: 1,
            num_init_memory_steps: 1000,
            batch_size: 256,
            estimation_step: 1,
            prioritized: false,
            per_alpha: PrioritizedConfig::default().alpha,
            per_beta_init: PrioritizedConfig::default().beta_init,
            save_buffer: false,
            use_trained_policy_for_refill: false,
            lr: 3e-4,
            lr_schedule: "constant".into(),
            max_grad_norm: 0.0,
            hidden: vec![256, 256],
            activation: "relu".into(),
            target_update_intvl: 1,
            icm: None,
        }
    }

    /// The replay loop's parameters.
    pub fn replay(&self) -> ReplayConfig {
        ReplayConfig {
            memory_size: self.memory_size,
            min_steps: self.min_steps,
            num_updates_per_iter: self.num_updates_per_iter,
            num_init_memory_steps: self.num_init_memory_steps,
            batch_size: self.batch_size,
            gamma: self.gamma,
            estimation_step: self.estimation_step,
            prioritized: self.prioritized.then_some(PrioritizedConfig {
                alpha: self.per_alpha,
                beta_init: self.per_beta_init,
                ..PrioritizedConfig::default()
            }),
            save_buffer: self.save_buffer,
            use_trained_policy_for_refill: self.use_trained_policy_for_refill,
        }
    }

    /// The networks' shape.
    pub fn net(&self) -> Result<NetConfig, SettingsError> {
        net(&self.hidden, &self.activation)
    }

    /// The learning-rate schedule.
    pub fn lr_schedule(&self) -> Result<Schedule, SettingsError> {
        schedule("lr_schedule", &self.lr_schedule)
    }

    /// The policy's and the critics' layers, rates, schedule and clips (DDPG, TD3, SAC).
    pub fn sides(&self, critic: &CriticSettings) -> Result<Sides, SettingsError> {
        let (net, max_grad_norm) = (self.net()?, grad_clip(self.max_grad_norm)?);
        Ok(Sides {
            critic: Side {
                net: critic.net(&net)?,
                lr: critic.lr(self.lr)?,
                max_grad_norm: critic.max_grad_norm(max_grad_norm)?,
            },
            policy: Side {
                net,
                lr: self.lr,
                max_grad_norm,
            },
            lr_schedule: self.lr_schedule()?,
        })
    }

    /// Checks the replay loop's parameters, the network's activation and the schedule.
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.net()?;
        self.lr_schedule()?;
        if let Some(icm) = &self.icm {
            icm.config()?;
        }
        Ok(self.replay().validate()?)
    }

    /// The learner `new` builds (`Dql::new`, `Sac::new`, …), in the replay loop over the
    /// environments.
    pub fn build<C, L>(&self, b: Build<'_>, config: C, new: NewLearner<C, L>) -> BuildResult
    where
        L: ReplayLearner + 'static,
    {
        let setup = b.setup();
        let learner = new(config, &setup)?;
        let replay = self.replay();
        Ok(match &self.icm {
            None => Box::new(OffPolicy::new(learner, b.envs, replay, &setup)?),
            Some(icm) => {
                let learner = Icm::new(learner, icm.config()?, &setup)?;
                Box::new(OffPolicy::new(learner, b.envs, replay, &setup)?)
            }
        })
    }

    /// The learner `new` builds, loaded from `files` (the wrapped learner's, under ICM: its
    /// files keep their names).
    pub fn trained<C, L: ReplayLearner + 'static>(
        &self,
        setup: &Setup,
        files: &Snapshot,
        config: C,
        new: NewLearner<C, L>,
    ) -> Result<Trained, SettingsError> {
        replay_trained(setup, files, config, new)
    }
}
