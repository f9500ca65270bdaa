//! Stein Variational Policy Gradient (Liu, Ramachandran, Liu & Peng 2017, "Stein Variational
//! Policy Gradient", arXiv:1704.02399), with Pyrado's `SVPG` parameters (`num_particles`,
//! `temperature`, `horizon`).
//!
//! `num_particles` copies of a policy-gradient learner (A2C, PPO), each with its own critic,
//! optimiser, environments, sampler and seed. Every iteration each particle samples a rollout
//! and runs its learner's update; at every optimiser step the particles exchange their policy
//! parameters `θ_j` and policy gradients `g_j` (the negated gradient of the loss each learner
//! descends, so the entropy bonus and PPO's clipping stay in), and each particle's optimiser
//! steps along the Stein direction ([`stein_directions`]):
//!
//! ```text
//! φ(θ_i) = (1/N) Σ_j [ k(θ_j, θ_i) · g_j / T  +  ∇_{θ_j} k(θ_j, θ_i) ]
//! ```
//!
//! the second term being the repulsion that keeps the particles apart (the paper's and the
//! SVGD reference code's sign; Pyrado's code turns it into an attraction). The critics take
//! their own steps unchanged. The particles' updates run on one thread each and meet at every
//! step, so the learners must take the same number of steps per iteration (equal rollout
//! sizes: the on-policy budget in steps does that).
//!
//! **`horizon`**: every `horizon` iterations, the particle whose episodes of those iterations
//! have the lowest mean return restarts as a copy of the one with the highest (weights,
//! optimiser states, critic), unless they are the same; 0 never restarts. (Pyrado declares
//! the parameter but never advances its counter.)

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use burn::optim::GradientsParams;
use cinder_agent::error::{check, check_count};
use cinder_agent::{AgentError, OnPolicyAgent, OnPolicyLearner, Policy, PolicyGradient};
use cinder_core::{Actor, Metric, Snapshot, join_all};
use cinder_nn::persist::{load_counters, load_json, save_counters, save_json};
use cinder_nn::{flat_grads, flat_params, set_flat_grads};
use cinder_train::{Algorithm, Iteration};
use serde::{Deserialize, Serialize};

use crate::svgd::{Kernel, mean_pairwise_distance, stein_directions};

/// SVPG's hyper-parameters (Pyrado's names).
#[derive(Debug, Clone, PartialEq)]
pub struct SvpgConfig {
    /// Particles (copies of the learner).
    pub num_particles: usize,
    /// Temperature `T` of the target `exp(J / T)`: higher spreads the particles more.
    pub temperature: f64,
    /// Iterations between restarts of the worst particle from the best; 0: never.
    pub horizon: usize,
    /// The kernel between particles (RBF; the identity makes independent particles).
    pub kernel: Kernel,
}

impl Default for SvpgConfig {
    fn default() -> Self {
        Self {
            num_particles: 8,
            temperature: 1.0,
            horizon: 50,
            kernel: Kernel::Rbf,
        }
    }
}

impl SvpgConfig {
    /// Checks every hyper-parameter's range.
    pub fn validate(&self) -> Result<(), AgentError> {
        check_count("num_particles", self.num_particles)?;
        check(
            "temperature",
            self.temperature,
            self.temperature > 0.0 && self.temperature.is_finite(),
            "positive and finite",
        )?;
        Ok(())
    }
}

/// The per-step meeting point of the particles' update threads.
struct Exchange {
    round: Mutex<Round>,
    changed: Condvar,
    temperature: f64,
    kernel: Kernel,
}

/// One step's deposits and the directions computed from them.
struct Round {
    params: Vec<Vec<f32>>,
    grads: Vec<Vec<f32>>,
    directions: Vec<Option<Vec<f32>>>,
    deposited: usize,
    /// Directions are ready and being taken; new deposits wait.
    serving: bool,
    /// Particles whose update has returned.
    finished: usize,
    /// Set when the particles cannot meet again (one finished or failed early).
    broken: bool,
}

impl Exchange {
    fn new(n: usize, temperature: f64, kernel: Kernel) -> Self {
        Self {
            round: Mutex::new(Round {
                params: vec![Vec::new(); n],
                grads: vec![Vec::new(); n],
                directions: vec![None; n],
                deposited: 0,
                serving: false,
                finished: 0,
                broken: false,
            }),
            changed: Condvar::new(),
            temperature,
            kernel,
        }
    }

    fn broken() -> AgentError {
        AgentError::InvalidParameter {
            name: "particle",
            value: "an update that ended early".into(),
            expected: "learners that take the same number of optimiser steps per iteration \
                       (equal rollout sizes)",
        }
    }

    /// Waits until `ready(round)`; an error if the round broke meanwhile.
    fn wait_until<'a>(
        &self,
        round: MutexGuard<'a, Round>,
        ready: impl Fn(&Round) -> bool,
    ) -> Result<MutexGuard<'a, Round>, AgentError> {
        let round = self
            .changed
            .wait_while(round, |r| !ready(r) && !r.broken)
            .unwrap_or_else(PoisonError::into_inner);
        if round.broken {
            return Err(Self::broken());
        }
        Ok(round)
    }

    /// Deposits particle `i`'s parameters and objective gradient, waits for every particle,
    /// and returns its Stein direction.
    fn meet(&self, i: usize, params: Vec<f32>, grad: Vec<f32>) -> Result<Vec<f32>, AgentError> {
        let round = self.round.lock().unwrap_or_else(PoisonError::into_inner);
        let n = round.params.len();
        let mut round = self.wait_until(round, |r| !r.serving)?;
        round.params[i] = params;
        round.grads[i] = grad;
        round.deposited += 1;
        if round.deposited + round.finished == n {
            if round.finished > 0 {
                round.broken = true;
            } else {
                let directions =
                    stein_directions(&round.params, &round.grads, self.temperature, self.kernel);
                round.directions = directions.into_iter().map(Some).collect();
                round.serving = true;
            }
            self.changed.notify_all();
        }
        let mut round = self.wait_until(round, |r| r.serving)?;
        let direction = round.directions[i].take().ok_or_else(Self::broken)?;
        round.deposited -= 1;
        if round.deposited == 0 {
            round.serving = false;
            self.changed.notify_all();
        }
        Ok(direction)
    }

    /// Particle `i`'s update has returned: a round waiting on it can never complete.
    fn finish(&self) {
        let mut round = self.round.lock().unwrap_or_else(PoisonError::into_inner);
        round.finished += 1;
        if round.deposited > 0 && !round.serving {
            round.broken = true;
        }
        self.changed.notify_all();
    }
}

/// Particle `i`'s [`PolicyGradient`]: the Stein direction in place of its own gradient.
struct Stein<'a> {
    exchange: &'a Exchange,
    index: usize,
}

impl PolicyGradient for Stein<'_> {
    fn transform(
        &mut self,
        policy: &Policy,
        grads: &mut GradientsParams,
    ) -> Result<(), AgentError> {
        let params = flat_params(policy)?;
        // The optimiser descends the loss: the objective's gradient is its negation, and the
        // step must go along +φ, so the optimiser gets −φ.
        let ascent: Vec<f32> = flat_grads(policy, grads)?.into_iter().map(|g| -g).collect();
        let direction = self.exchange.meet(self.index, params, ascent)?;
        let descent: Vec<f32> = direction.into_iter().map(|d| -d).collect();
        Ok(set_flat_grads(policy, grads, &descent)?)
    }
}

/// SVPG over particles of an on-policy learner `L`.
pub struct Svpg<L> {
    particles: Vec<OnPolicyAgent<L>>,
    config: SvpgConfig,
    iteration: usize,
    /// Returns of each particle's episodes since the last restart check.
    recent: Vec<Vec<f64>>,
    /// Each particle's mean return over its latest episodes (what ranks them).
    scores: Vec<f64>,
    /// `particle_<i>_return`, made once per `Svpg` and leaked: a [`Metric`]'s name is
    /// `&'static str`, and these few bytes live as long as the process.
    names: Vec<&'static str>,
}

impl<L: OnPolicyLearner + Send> Svpg<L> {
    /// SVPG over `particles` (one per `config.num_particles`, each built with its own
    /// environments and seed).
    pub fn new(particles: Vec<OnPolicyAgent<L>>, config: SvpgConfig) -> Result<Self, AgentError> {
        config.validate()?;
        let n = particles.len();
        check(
            "num_particles",
            config.num_particles as f64,
            n == config.num_particles,
            "the number of particles built",
        )?;
        let names = (0..n)
            .map(|i| &*Box::leak(format!("particle_{i}_return").into_boxed_str()))
            .collect();
        Ok(Self {
            particles,
            config,
            iteration: 0,
            recent: vec![Vec::new(); n],
            scores: vec![f64::NEG_INFINITY; n],
            names,
        })
    }

    /// The particles.
    pub fn particles(&self) -> &[OnPolicyAgent<L>] {
        &self.particles
    }

    /// The index of the particle with the best recent mean return.
    pub fn best(&self) -> usize {
        best_of(&self.scores)
    }

    /// Every particle's flat policy parameters.
    pub fn parameters(&self) -> Result<Vec<Vec<f32>>, AgentError> {
        self.particles
            .iter()
            .map(|p| Ok(flat_params(p.learner().policy())?))
            .collect()
    }

    /// One SVPG update from one rollout per particle: every particle's learner updates on
    /// its rollout, one thread each, meeting at each optimiser step to take the Stein
    /// direction; the acting copies are synced.
    pub fn learn(
        &mut self,
        rollouts: &[cinder_data::Rollout],
        progress: f64,
    ) -> Result<Vec<cinder_agent::Update>, AgentError> {
        let exchange = Exchange::new(
            self.particles.len(),
            self.config.temperature,
            self.config.kernel,
        );
        let exchange = &exchange;
        std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .particles
                .iter_mut()
                .zip(rollouts)
                .enumerate()
                .map(|(index, (particle, rollout))| {
                    scope.spawn(move || {
                        let mut stein = Stein { exchange, index };
                        let update = particle.learn(rollout, progress, &mut stein);
                        exchange.finish();
                        update
                    })
                })
                .collect();
            join_all(handles)
        })
    }

    /// Every `horizon` iterations: the worst particle restarts as a copy of the best.
    fn restart_worst(&mut self) -> Result<(), AgentError> {
        let horizon = self.config.horizon;
        if horizon == 0 || !self.iteration.is_multiple_of(horizon) {
            return Ok(());
        }
        let means: Vec<f64> = self
            .recent
            .iter()
            .map(|r| {
                if r.is_empty() {
                    f64::NEG_INFINITY
                } else {
                    r.iter().sum::<f64>() / r.len() as f64
                }
            })
            .collect();
        let order = |a: &usize, b: &usize| means[*a].total_cmp(&means[*b]);
        let worst = (0..means.len()).min_by(order).unwrap_or(0);
        let best = (0..means.len()).max_by(order).unwrap_or(0);
        if means[best] > means[worst] {
            let copy = self.particles[best].snapshot()?;
            self.particles[worst].restore(&copy)?;
            self.scores[worst] = self.scores[best];
        }
        self.recent.iter_mut().for_each(Vec::clear);
        Ok(())
    }
}

impl<L: OnPolicyLearner + Send> Actor for Svpg<L> {
    type Error = AgentError;

    // The best particle acts.
    cinder_core::delegate_actor!(self => {
        let best = self.best();
        &mut self.particles[best]
    });
}

impl<L: OnPolicyLearner + Send> Algorithm for Svpg<L> {
    /// Samples every particle, updates them together, then reports the steps of all
    /// particles, the episodes of the best one (what the return columns of `progress.csv`
    /// show), the learners' statistics averaged over particles, each particle's latest mean
    /// return (0 before its first episode), the best's, and the mean pairwise distance.
    fn iterate(&mut self, progress: f64) -> Result<Iteration, AgentError> {
        let rollouts = self
            .particles
            .iter_mut()
            .map(OnPolicyAgent::sample)
            .collect::<Result<Vec<_>, _>>()?;
        let updates = self.learn(&rollouts, progress)?;
        self.iteration += 1;

        for (i, rollout) in rollouts.iter().enumerate() {
            let returns: Vec<f64> = rollout.episodes.iter().map(|e| e.episode_return).collect();
            if !returns.is_empty() {
                self.scores[i] = returns.iter().sum::<f64>() / returns.len() as f64;
            }
            self.recent[i].extend(returns);
        }
        let best = self.best();
        let episodes = rollouts[best].episodes.clone();

        // The learners' statistics averaged over particles, then the returns.
        let updates_done = updates.iter().map(|u| u.updates).sum();
        let mut metrics: Vec<Metric> = updates[0]
            .metrics
            .iter()
            .enumerate()
            .map(|(k, m)| {
                let sum: f64 = updates.iter().map(|u| u.metrics[k].value).sum();
                Metric::new(m.name, sum / updates.len() as f64)
            })
            .collect();
        let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
        metrics.extend(
            self.names
                .iter()
                .zip(&self.scores)
                .map(|(&name, &score)| Metric::new(name, finite(score))),
        );
        metrics.push(Metric::new("best_particle", best as f64));
        metrics.push(Metric::new("best_return", finite(self.scores[best])));
        metrics.push(Metric::new(
            "mean_pairwise_distance",
            mean_pairwise_distance(&self.parameters()?),
        ));
        self.restart_worst()?;
        Ok(Iteration {
            steps: rollouts.iter().map(|r| r.len()).sum(),
            updates: updates_done,
            episodes,
            metrics,
        })
    }

    /// Every particle's files under `particle-<i>/`, the iteration count and the ranking
    /// (recent returns and scores).
    fn snapshot(&self) -> Result<Snapshot, AgentError> {
        let mut snapshot = Snapshot::new();
        for (i, particle) in self.particles.iter().enumerate() {
            snapshot.nest(&format!("particle-{i}"), particle.snapshot()?);
        }
        save_counters(&mut snapshot, "svpg_counters.bin", &[self.iteration]);
        let ranking = Ranking {
            recent: self.recent.clone(),
            scores: self
                .scores
                .iter()
                .map(|s| s.is_finite().then_some(*s))
                .collect(),
        };
        save_json(&mut snapshot, RANKING_FILE, &ranking)?;
        Ok(snapshot)
    }

    fn restore(&mut self, snapshot: &Snapshot) -> Result<(), AgentError> {
        let [iteration] = load_counters::<1>(snapshot, "svpg_counters.bin")?;
        let ranking: Ranking = load_json(snapshot, RANKING_FILE)?;
        let n = self.particles.len();
        if ranking.recent.len() != n || ranking.scores.len() != n {
            return Err(AgentError::InvalidParameter {
                name: "num_particles",
                value: n.to_string(),
                expected: "the number of particles in the snapshot",
            });
        }
        if snapshot.contains(&format!("particle-{n}/policy.bpk")) {
            return Err(AgentError::InvalidParameter {
                name: "num_particles",
                value: n.to_string(),
                expected: "the number of particles in the snapshot",
            });
        }
        // Restore every particle, or put back the ones already restored.
        let current = self.snapshot()?;
        for i in 0..n {
            if let Err(e) = self.particles[i].restore(&snapshot.scope(&format!("particle-{i}"))) {
                for (j, particle) in self.particles.iter_mut().enumerate().take(i) {
                    particle.restore(&current.scope(&format!("particle-{j}")))?;
                }
                return Err(e);
            }
        }
        self.iteration = iteration;
        self.recent = ranking.recent;
        self.scores = ranking
            .scores
            .into_iter()
            .map(|s| s.unwrap_or(f64::NEG_INFINITY))
            .collect();
        Ok(())
    }
}

/// The snapshot file of the particles' ranking.
const RANKING_FILE: &str = "svpg_ranking.json";

/// The index of the best score (the first of equals).
fn best_of(scores: &[f64]) -> usize {
    (0..scores.len())
        .max_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(b.cmp(&a)))
        .unwrap_or(0)
}

/// The particle of an SVPG snapshot that acts (the best recent mean return), and its files:
/// what a reloaded policy is.
pub fn best_particle(snapshot: &Snapshot) -> Result<Snapshot, AgentError> {
    let ranking: Ranking = load_json(snapshot, RANKING_FILE)?;
    let scores: Vec<f64> = (ranking.scores.iter())
        .map(|s| s.unwrap_or(f64::NEG_INFINITY))
        .collect();
    Ok(snapshot.scope(&format!("particle-{}", best_of(&scores))))
}

/// What ranks the particles between restart checks; a score not yet known is `None`.
#[derive(Serialize, Deserialize)]
struct Ranking {
    recent: Vec<Vec<f64>>,
    scores: Vec<Option<f64>>,
}
