//! The settings A2C, PPO and PPO2 share: rollouts, the GAE critic, the policy network and its
//! optimisation (Pyrado's names; SB3's defaults).

use cinder_agent::{PolicyConfig, Setup};
use cinder_core::Snapshot;
use cinder_data::Budget;
use cinder_explore::Icm;
use cinder_nn::NetConfig;
use cinder_pg::{
    CriticFit, GaeConfig, OnPolicy, OnPolicyLearner, Standardizer, ValueLoss, ValueTarget,
};
use serde::{Deserialize, Serialize};

use super::{
    Build, BuildResult, CriticSettings, IcmSettings, NewLearner, RunSettings, SettingsError,
    at_least_one, grad_clip, net, on_policy_trained, one_of, schedule,
};
use crate::policy::Trained;

/// Settings of every on-policy run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnPolicySettings {
    /// Budget, evaluation, environments.
    #[serde(flatten)]
    pub run: RunSettings,
    /// Steps per environment per iteration (rollout length), unless `min_rollouts` is set.
    pub n_steps: usize,
    /// Episodes per iteration (Pyrado's `min_rollouts`): each iteration steps the
    /// environments until this many episodes ended (those still running are cut and
    /// bootstrapped); 0: `n_steps` steps per environment.
    pub min_rollouts: usize,
    /// Discount factor γ.
    pub gamma: f64,
    /// GAE λ.
    pub lambda: f64,
    /// Standardise advantages per rollout.
    pub standardize_adv: bool,
    /// Learning rate of the policy (of the critic too unless `critic_lr` is set).
    pub lr: f64,
    /// The critic's layers (Pyrado's `vfcn`), and the learning rate and gradient clip of its
    /// own optimiser (Pyrado's `GAE.lr`, `GAE.max_grad_norm`): PPO's, and A2C's and PPO2's
    /// with `value_fit = "separate"` (otherwise they fit it with the policy's optimiser, at
    /// its rate and clip).
    #[serde(flatten)]
    pub critic: CriticSettings,
    /// `constant`, `linear` or `exponential:<gamma>`.
    pub lr_schedule: String,
    /// Transitions per minibatch.
    pub batch_size: usize,
    /// Entropy bonus weight.
    pub entropy_coeff: f64,
    /// Global gradient-norm clip; 0 disables it.
    pub max_grad_norm: f64,
    /// Initial standard deviation of Gaussian actions.
    pub std_init: f64,
    /// Hidden layers of the policy (and of the value network unless `critic_hidden` is set).
    pub hidden: Vec<usize>,
    /// `tanh` or `relu`.
    pub activation: String,
    /// When the critic's value function is fitted: `with_policy` (in the learner's minibatch
    /// loop, on its minibatches) or `separate` (first, for `value_epochs` passes of
    /// `value_batch_size`, then advantages from the fitted function: Pyrado's `GAE.update`).
    pub value_fit: String,
    /// Passes of a separate value fit over the rollout (Pyrado's `GAE.num_epoch`).
    pub value_epochs: usize,
    /// Minibatch size of a separate value fit (Pyrado's `GAE.batch_size`).
    pub value_batch_size: usize,
    /// `mse` or `half_mse` (½·MSE, Pyrado's A2C and PPO2).
    pub value_loss: String,
    /// The value targets: `td_lambda` (TD(λ) returns) or `monte_carlo` (discounted rewards to
    /// the episode's end: Pyrado's A2C and PPO2, `use_empirical_returns`).
    pub value_target: String,
    /// How `standardize_adv` standardises: `batch` (per rollout) or `running` (Pyrado's
    /// `RunningStandardizer`).
    pub standardizer: String,
    /// The Intrinsic Curiosity Module around the learner (`--icm`), if on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icm: Option<IcmSettings>,
}

impl OnPolicySettings {
    /// SB3's PPO defaults (1M steps, 8 environments of 256 steps).
    pub fn defaults() -> Self {
        Self {
            run: RunSettings::steps(1_000_000, 8, 10),
            n_steps: 256,
            min_rollouts: 0,
            gamma: 0.99,
            lambda: 0.95,
            standardize_adv: true,
            lr: 3e-4,
            critic: CriticSettings::as_policy(),
            lr_schedule: "constant".into(),
            batch_size: 64,
            entropy_coeff: 0.0,
            max_grad_norm: 0.5,
            std_init: 1.0,
            hidden: vec![64, 64],
            activation: "tanh".into(),
            value_fit: "with_policy".into(),
            value_epochs: 10,
            value_batch_size: 64,
            value_loss: "mse".into(),
            value_target: "td_lambda".into(),
            standardizer: "batch".into(),
            icm: None,
        }
    }

    /// Checks what the learner configs do not cover.
    pub fn validate(&self) -> Result<(), SettingsError> {
        at_least_one(&[
            ("n_steps", self.n_steps),
            ("value_epochs", self.value_epochs),
            ("value_batch_size", self.value_batch_size),
        ])?;
        grad_clip(self.max_grad_norm)?;
        schedule("lr_schedule", &self.lr_schedule)?;
        self.net()?;
        self.critic()?;
        if let Some(icm) = &self.icm {
            icm.config()?;
        }
        Ok(())
    }

    /// The networks' shape.
    pub fn net(&self) -> Result<NetConfig, SettingsError> {
        net(&self.hidden, &self.activation)
    }

    /// The policy network's shape.
    pub fn policy(&self) -> Result<PolicyConfig, SettingsError> {
        Ok(PolicyConfig {
            net: self.net()?,
            std_init: self.std_init,
        })
    }

    /// The gradient-norm clip (0: none).
    pub fn grad_clip(&self) -> Option<f64> {
        grad_clip(self.max_grad_norm).unwrap_or(None)
    }

    /// The critic's settings.
    pub fn critic(&self) -> Result<GaeConfig, SettingsError> {
        Ok(GaeConfig {
            gamma: self.gamma,
            lambda: self.lambda,
            standardize_adv: self.standardize_adv,
            max_grad_norm: self.critic.max_grad_norm(self.grad_clip())?,
            lr: self.critic.lr(self.lr)?,
            lr_schedule: schedule("lr_schedule", &self.lr_schedule)?,
            net: self.critic.net(&self.net()?)?,
            fit: one_of(
                "value_fit",
                &self.value_fit,
                &[
                    ("with_policy", CriticFit::WithPolicy),
                    (
                        "separate",
                        CriticFit::Separate {
                            num_epoch: self.value_epochs,
                            batch_size: self.value_batch_size,
                        },
                    ),
                ],
            )?,
            value_loss: one_of(
                "value_loss",
                &self.value_loss,
                &[("mse", ValueLoss::Mse), ("half_mse", ValueLoss::HalfMse)],
            )?,
            value_target: one_of(
                "value_target",
                &self.value_target,
                &[
                    ("td_lambda", ValueTarget::TdLambda),
                    ("monte_carlo", ValueTarget::MonteCarlo),
                ],
            )?,
            standardizer: one_of(
                "standardizer",
                &self.standardizer,
                &[
                    ("batch", Standardizer::Batch),
                    ("running", Standardizer::Running),
                ],
            )?,
        })
    }

    /// The learner `new` builds (`Ppo::new`, `A2c::new`, …), in its on-policy iteration over
    /// the environments.
    pub fn build<C, L>(&self, b: Build<'_>, config: C, new: NewLearner<C, L>) -> BuildResult
    where
        L: OnPolicyLearner + 'static,
    {
        let setup = b.setup();
        let learner = new(config, &setup)?;
        let budget = self.budget();
        Ok(match &self.icm {
            None => Box::new(OnPolicy::new(learner, b.envs, budget, &setup)?),
            Some(icm) => {
                let learner = Icm::new(learner, icm.config()?, &setup)?;
                Box::new(OnPolicy::new(learner, b.envs, budget, &setup)?)
            }
        })
    }

    /// The learner `new` builds, loaded from `files` (the wrapped learner's, under ICM: its
    /// files keep their names).
    pub fn trained<C, L: OnPolicyLearner>(
        &self,
        setup: &Setup,
        files: &Snapshot,
        config: C,
        new: NewLearner<C, L>,
    ) -> Result<Trained, SettingsError> {
        on_policy_trained(setup, files, config, new)
    }

    /// What an iteration gathers: `min_rollouts` episodes, or `n_steps` on each environment.
    pub fn budget(&self) -> Budget {
        match self.min_rollouts {
            0 => Budget::MinSteps(self.run.n_envs.saturating_mul(self.n_steps)),
            episodes => Budget::MinRollouts(episodes),
        }
    }
}
