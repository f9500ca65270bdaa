//! `cinder train svpg`: Stein Variational Policy Gradient over particles of A2C or PPO
//! (`--set particle=a2c|ppo`; Pyrado's `SVPG` names). Every particle has the particle
//! learner's settings, its own environments (`n_envs` each) and its own seed; `total_steps`
//! counts the steps of all particles.

use cinder_agent::{AgentError, OnPolicyAgent, OnPolicyLearner, Setup};
use cinder_core::Snapshot;
use cinder_explore::svgd::Kernel;
use cinder_explore::{Svpg, SvpgConfig};
use cinder_pg::{A2c, Ppo};
use serde::{Deserialize, Serialize};

use crate::policy::Trained;

use super::{
    A2cSettings, AlgorithmSettings, AnyAlgorithm, Build, PpoSettings, SettingsError,
    on_policy_trained, settings_common, vec_env,
};

/// Every setting of an SVPG run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SvpgSettings {
    /// The particle learner's settings (PPO's keys; A2C reads the shared ones and
    /// `vfcn_coeff`).
    #[serde(flatten)]
    pub ppo: PpoSettings,
    /// Weight of A2C's value-function loss (`particle = "a2c"`).
    pub vfcn_coeff: f64,
    /// The particle learner: `a2c` or `ppo`.
    pub particle: String,
    /// Number of particles.
    pub num_particles: usize,
    /// Temperature of the target distribution `exp(J / T)`.
    pub temperature: f64,
    /// Iterations between restarts of the worst particle from the best (0: never).
    pub horizon: usize,
    /// `rbf` (SVPG) or `identity` (independent particles, for comparison).
    pub kernel: String,
}

impl SvpgSettings {
    fn config(&self) -> Result<SvpgConfig, SettingsError> {
        let kernel = Kernel::parse(&self.kernel).ok_or_else(|| {
            SettingsError::Invalid(format!(
                "invalid setting `kernel` = \"{}\": expected rbf or identity",
                self.kernel
            ))
        })?;
        let config = SvpgConfig {
            num_particles: self.num_particles,
            temperature: self.temperature,
            horizon: self.horizon,
            kernel,
        };
        config.validate()?;
        Ok(config)
    }

    fn a2c(&self) -> A2cSettings {
        A2cSettings {
            on_policy: self.ppo.on_policy.clone(),
            vfcn_coeff: self.vfcn_coeff,
        }
    }

    /// `num_particles` particles, each `new(setup)` with its own environments (the first
    /// gets `b`'s) and seed.
    fn particles<L: OnPolicyLearner>(
        &self,
        b: Build<'_>,
        new: impl Fn(&Setup) -> Result<L, AgentError>,
    ) -> Result<Vec<OnPolicyAgent<L>>, SettingsError> {
        let s = &self.ppo.on_policy;
        let setup = b.setup();
        let mut given = Some(b.envs);
        (0..self.num_particles)
            .map(|i| {
                // Particle i's environments get seeds seed + i·n_envs + j: all distinct.
                let setup = setup.with_seed(b.seed.wrapping_add((i * s.run.n_envs) as u64));
                let envs = match given.take() {
                    Some(envs) => envs,
                    None => vec_env(b.spec, s.run.n_envs, s.run.num_workers, b.normalization)
                        .map_err(AgentError::from)?,
                };
                let learner = new(&setup)?;
                Ok(OnPolicyAgent::new(learner, envs, s.budget(), &setup)?)
            })
            .collect()
    }

    fn build_algorithm(&self, b: Build<'_>) -> Result<AnyAlgorithm, SettingsError> {
        let config = self.config()?;
        Ok(match self.particle.as_str() {
            "a2c" => {
                let a2c = self.a2c().config()?;
                let particles = self.particles(b, |setup| A2c::new(a2c.clone(), setup))?;
                Box::new(Svpg::new(particles, config)?)
            }
            "ppo" => {
                let ppo = self.ppo.config()?;
                let particles = self.particles(b, |setup| Ppo::new(ppo.clone(), setup))?;
                Box::new(Svpg::new(particles, config)?)
            }
            other => return Err(particle_error(other)),
        })
    }
}

impl SvpgSettings {
    /// The best particle's learner, loaded from its files.
    fn trained_policy(&self, setup: &Setup, files: &Snapshot) -> Result<Trained, SettingsError> {
        match self.particle.as_str() {
            "a2c" => on_policy_trained(setup, files, self.a2c().config()?, A2c::new),
            "ppo" => on_policy_trained(setup, files, self.ppo.config()?, Ppo::new),
            other => Err(particle_error(other)),
        }
    }
}

fn particle_error(particle: &str) -> SettingsError {
    SettingsError::Invalid(format!(
        "invalid setting `particle` = \"{particle}\": expected a2c or ppo"
    ))
}

impl AlgorithmSettings for SvpgSettings {
    /// A2C particles with A2C's defaults, 8 of them at temperature 1.
    fn defaults() -> Self {
        let a2c = A2cSettings::reference();
        let config = SvpgConfig::default();
        Self {
            ppo: PpoSettings {
                on_policy: a2c.on_policy,
                ..PpoSettings::reference()
            },
            vfcn_coeff: a2c.vfcn_coeff,
            particle: "a2c".into(),
            num_particles: config.num_particles,
            temperature: config.temperature,
            horizon: config.horizon,
            kernel: "rbf".into(),
        }
    }

    fn validate(&self) -> Result<(), SettingsError> {
        self.ppo.on_policy.validate()?;
        self.config()?;
        match self.particle.as_str() {
            "a2c" => Ok(self.a2c().config()?.validate()?),
            "ppo" => Ok(self.ppo.config()?.validate()?),
            other => Err(particle_error(other)),
        }
    }
}

settings_common!(SvpgSettings, ppo.on_policy.run;
    fn policy_files(&self, snapshot: &Snapshot) -> Result<Snapshot, SettingsError> {
        Ok(cinder_explore::svpg::best_particle(snapshot)?)
    }
);
