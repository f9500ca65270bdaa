//! The off-policy family: one update of each learner on the test device, action masks, the
//! entropy coefficient's target and direction, snapshots with the replay memory, bad input,
//! and learning smoke tests (named `learning_*`: `cargo xtask test` runs them on flex only).

use std::sync::{Arc, Mutex, MutexGuard};

use cinder_agent::{AgentError, Setup};
use cinder_core::space::{BoxSpace, Discrete, Space};
use cinder_core::{ActMode, Action, Actor, Env, EnvError, StepOutcome, VecEnv};
use cinder_envs::make;
use cinder_nn::device::{device_stream_turn, test_device};
use cinder_nn::{Activation, NetConfig};
use cinder_offpolicy::{
    Ddpg, DdpgConfig, Dql, DqlConfig, OffPolicy, ReplayConfig, ReplayLearner, Sac, SacConfig, Sides,
};
use cinder_train::{Algorithm, Every, RunLogger, StopReason, TrainConfig, TrainSummary, train};

/// Seeds the test device's stream and holds a turn on it until the guard drops.
fn seeded(seed: u64) -> MutexGuard<'static, ()> {
    let turn = device_stream_turn();
    test_device().seed(seed);
    turn
}

/// A box observation space of `dim` values.
fn observations(dim: usize) -> Space {
    Space::Box(BoxSpace::uniform(-1.0, 1.0, vec![dim]).unwrap())
}

fn replay(batch_size: usize) -> ReplayConfig {
    ReplayConfig {
        memory_size: 10_000,
        min_steps: 8,
        num_updates_per_iter: 2,
        num_init_memory_steps: 64,
        batch_size,
        gamma: 0.99,
        estimation_step: 1,
        prioritized: None,
        save_buffer: false,
        use_trained_policy_for_refill: false,
    }
}

/// Learners of `envs`' spaces on the test device, seed 0.
fn test_setup(envs: &VecEnv) -> Setup {
    let device = test_device();
    Setup::new(envs, &device, &device, 0)
}

fn dql(envs: &VecEnv, config: DqlConfig) -> Dql {
    Dql::new(config, &test_setup(envs)).unwrap()
}

fn sac(envs: &VecEnv, config: SacConfig) -> Sac {
    Sac::new(config, &test_setup(envs)).unwrap()
}

/// One iteration, checking that every metric is finite and that it made `num_updates_per_iter`
/// (2) gradient updates; returns the metrics.
fn finite_metrics<A: Algorithm>(algorithm: &mut A) -> Vec<(String, f64)>
where
    A::Error: std::fmt::Debug,
{
    let iteration = algorithm.iterate(0.5).unwrap();
    assert_eq!(iteration.updates, 2, "updates per iteration");
    for m in &iteration.metrics {
        assert!(m.value.is_finite(), "{} = {}", m.name, m.value);
    }
    iteration
        .metrics
        .iter()
        .map(|m| (m.name.to_string(), m.value))
        .collect()
}

#[test]
fn every_learner_updates_on_the_test_device() {
    let _stream = seeded(0);
    let envs = VecEnv::from_fn(2, |_| make("CartPole-v1")).unwrap();
    let learner = dql(&envs, DqlConfig::default());
    let mut config = replay(32);
    config.estimation_step = 3;
    config.prioritized = Some(Default::default());
    let setup = test_setup(&envs);
    let mut algorithm = OffPolicy::new(learner, envs, config, &setup).unwrap();
    let metrics = finite_metrics(&mut algorithm);
    assert!(metrics.iter().any(|(n, _)| n == "q_loss"), "{metrics:?}");

    let envs = VecEnv::from_fn(1, |_| make("Pendulum-v1")).unwrap();
    let learner = sac(&envs, SacConfig::default());
    let setup = test_setup(&envs);
    let mut algorithm = OffPolicy::new(learner, envs, replay(32), &setup).unwrap();
    let metrics = finite_metrics(&mut algorithm);
    assert!(metrics.iter().any(|(n, _)| n == "entropy_coeff"));

    let envs = VecEnv::from_fn(1, |_| make("MountainCarContinuous-v0")).unwrap();
    let learner = Ddpg::new(
        DdpgConfig {
            exploration_noise: cinder_offpolicy::ExplorationNoise::parse("ou").unwrap(),
            ..DdpgConfig::default()
        },
        &test_setup(&envs),
    )
    .unwrap();
    let setup = test_setup(&envs);
    let mut algorithm = OffPolicy::new(learner, envs, replay(32), &setup).unwrap();
    let metrics = finite_metrics(&mut algorithm);
    assert!(metrics.iter().any(|(n, _)| n == "policy_loss"));
}

/// Observation `[t, allowed_0, allowed_1, allowed_2]`: only one action is allowed at each step
/// (cycling), and the reward pays action 0 most, so an unmasked greedy policy would pick it.
struct OneAllowed {
    t: usize,
}

impl OneAllowed {
    fn write(&self, obs: &mut [f32]) {
        obs[0] = self.t as f32 / 10.0;
        for a in 0..3 {
            obs[1 + a] = if self.t % 3 == a { 1.0 } else { 0.0 };
        }
    }
}

impl Env for OneAllowed {
    fn id(&self) -> &str {
        "OneAllowed"
    }
    fn observation_space(&self) -> &Space {
        static SPACE: std::sync::OnceLock<Space> = std::sync::OnceLock::new();
        SPACE.get_or_init(|| Space::Box(BoxSpace::new(vec![0.0; 4], vec![10.0; 4]).unwrap()))
    }
    fn action_space(&self) -> &Space {
        static SPACE: std::sync::OnceLock<Space> = std::sync::OnceLock::new();
        SPACE.get_or_init(|| Space::Discrete(Discrete::new(3).unwrap()))
    }
    fn reset_into(&mut self, _seed: Option<u64>, obs: &mut [f32]) {
        self.t = 0;
        self.write(obs);
    }
    fn step_into(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<StepOutcome, EnvError> {
        let Action::Discrete(a) = action else {
            panic!("discrete env")
        };
        assert_eq!(
            a,
            self.t % 3,
            "a masked action was chosen at t = {}",
            self.t
        );
        self.t += 1;
        self.write(obs);
        Ok(StepOutcome {
            reward: if a == 0 { 1.0 } else { 0.1 },
            terminated: false,
            truncated: self.t >= 20,
        })
    }
}

#[test]
fn masked_actions_are_never_chosen() {
    let _stream = seeded(0);
    let envs = VecEnv::from_fn(3, |_| Ok(Box::new(OneAllowed { t: 0 }) as Box<dyn Env>)).unwrap();
    let learner = dql(
        &envs,
        DqlConfig {
            action_mask: true,
            eps_init: 0.5,
            ..DqlConfig::default()
        },
    );
    let setup = test_setup(&envs);
    let mut algorithm = OffPolicy::new(learner, envs, replay(32), &setup).unwrap();
    // Random filling, ε-greedy exploration and greedy evaluation all go through the env's
    // assertion; updates use masked targets.
    for _ in 0..5 {
        finite_metrics(&mut algorithm);
    }
    let mut eval =
        VecEnv::from_fn(2, |_| Ok(Box::new(OneAllowed { t: 0 }) as Box<dyn Env>)).unwrap();
    let summary = train(
        &mut algorithm,
        &mut eval,
        &TrainConfig {
            max_iter: Some(1),
            ..TrainConfig::default()
        },
        &mut RunLogger::quiet(),
    )
    .unwrap();
    assert_eq!(summary.final_eval.returns.len(), 10);

    // Without masks the same observations would not be accepted.
    let envs = VecEnv::from_fn(1, |_| Ok(Box::new(OneAllowed { t: 0 }) as Box<dyn Env>)).unwrap();
    let err = Dql::new(
        DqlConfig {
            action_mask: true,
            ..DqlConfig::default()
        },
        &Setup::of_spaces(
            &observations(2),
            envs.action_space(),
            &test_device(),
            &test_device(),
            0,
        ),
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("action_mask"), "{err}");
}

/// A constant observation and four actions; records every action it is given.
struct Recorder {
    taken: Arc<Mutex<Vec<usize>>>,
}

impl Env for Recorder {
    fn id(&self) -> &str {
        "Recorder"
    }
    fn observation_space(&self) -> &Space {
        static SPACE: std::sync::OnceLock<Space> = std::sync::OnceLock::new();
        SPACE.get_or_init(|| Space::Box(BoxSpace::new(vec![0.0], vec![1.0]).unwrap()))
    }
    fn action_space(&self) -> &Space {
        static SPACE: std::sync::OnceLock<Space> = std::sync::OnceLock::new();
        SPACE.get_or_init(|| Space::Discrete(Discrete::new(4).unwrap()))
    }
    fn reset_into(&mut self, _seed: Option<u64>, obs: &mut [f32]) {
        obs[0] = 0.5;
    }
    fn step_into(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<StepOutcome, EnvError> {
        let Action::Discrete(a) = action else {
            panic!("discrete env")
        };
        self.taken.lock().unwrap().push(a);
        obs[0] = 0.5;
        Ok(StepOutcome {
            reward: 0.0,
            terminated: false,
            truncated: false,
        })
    }
}

#[test]
fn the_memory_is_filled_with_random_actions_or_with_the_exploring_policy() {
    let _stream = seeded(0);
    for use_trained_policy_for_refill in [false, true] {
        let taken = Arc::new(Mutex::new(Vec::new()));
        let envs = VecEnv::from_fn(1, |_| {
            Ok(Box::new(Recorder {
                taken: taken.clone(),
            }) as Box<dyn Env>)
        })
        .unwrap();
        // ε = 0: the exploring policy is the greedy one, a single action for the one observation.
        let learner = dql(
            &envs,
            DqlConfig {
                eps_init: 0.0,
                eps_final: 0.0,
                ..DqlConfig::default()
            },
        );
        let config = ReplayConfig {
            use_trained_policy_for_refill,
            ..replay(32)
        };
        let setup = test_setup(&envs);
        let mut algorithm = OffPolicy::new(learner, envs, config, &setup).unwrap();
        algorithm.iterate(0.0).unwrap();
        let taken = taken.lock().unwrap();
        let fill: std::collections::BTreeSet<usize> = taken[..64].iter().copied().collect();
        if use_trained_policy_for_refill {
            assert_eq!(fill.len(), 1, "the policy filled the memory: {fill:?}");
        } else {
            assert_eq!(fill.len(), 4, "random actions filled the memory: {fill:?}");
        }
    }
}

#[test]
fn the_entropy_coefficient_targets_minus_the_action_dimension() {
    let _stream = seeded(0);
    let envs = VecEnv::from_fn(1, |_| make("Pendulum-v1")).unwrap();
    let learner = sac(
        &envs,
        SacConfig {
            entropy_coeff_init: 0.5,
            sides: Sides::tied(NetConfig::new(&[32, 32], Activation::Relu), 1e-2, Some(5.0)),
            ..SacConfig::default()
        },
    );
    assert_eq!(learner.target_entropy(), -1.0);
    assert!((learner.entropy_coeff().unwrap() - 0.5).abs() < 1e-6);
    let setup = test_setup(&envs);
    let mut algorithm = OffPolicy::new(learner, envs, replay(32), &setup).unwrap();
    // A fresh policy has std ≈ 1: its entropy (≈ 0.9 nats for one tanh-squashed dimension) is
    // above the target −1, so the loss −log α · (log π + H̄) pushes α down.
    let mut entropies = Vec::new();
    for _ in 0..10 {
        let metrics = finite_metrics(&mut algorithm);
        let entropy = metrics.iter().find(|(n, _)| n == "entropy").unwrap().1;
        entropies.push(entropy);
    }
    assert!(entropies.iter().all(|&h| h > -1.0), "{entropies:?}");
    let alpha = algorithm.learner().entropy_coeff().unwrap();
    assert!(
        alpha < 0.5 * 0.9,
        "α should fall while entropy > target, got {alpha}"
    );

    let box3 = Space::Box(BoxSpace::new(vec![-1.0; 3], vec![1.0; 3]).unwrap());
    let device = test_device();
    let learner = Sac::new(
        SacConfig::default(),
        &Setup::of_spaces(&observations(5), &box3, &device, &device, 0),
    )
    .unwrap();
    assert_eq!(learner.target_entropy(), -3.0);
}

#[test]
fn snapshots_restore_weights_and_the_replay_memory() {
    let _stream = seeded(0);
    let make_algorithm = |save_buffer: bool| {
        let envs = VecEnv::from_fn(2, |_| make("CartPole-v1")).unwrap();
        let learner = dql(&envs, DqlConfig::default());
        let mut config = replay(32);
        config.save_buffer = save_buffer;
        config.prioritized = Some(Default::default());
        let setup = test_setup(&envs);
        OffPolicy::new(learner, envs, config, &setup).unwrap()
    };
    let mut trained = make_algorithm(true);
    for _ in 0..3 {
        trained.iterate(0.1).unwrap();
    }
    let snapshot = trained.snapshot().unwrap();
    assert!(snapshot.names().any(|n| n == "replay.bin"));
    let mut fresh = make_algorithm(true);
    fresh.restore(&snapshot).unwrap();
    assert_eq!(fresh.memory(), trained.memory());
    let obs = [0.01f32, 0.2, -0.03, 0.1, -0.02, 0.0, 0.04, -0.3];
    assert_eq!(
        fresh.act(&obs, 2, ActMode::Greedy).unwrap(),
        trained.act(&obs, 2, ActMode::Greedy).unwrap()
    );

    // Without --save-buffer the memory is not stored.
    let without = make_algorithm(false).snapshot().unwrap();
    assert!(!without.names().any(|n| n == "replay.bin"));

    // A corrupt buffer is an error naming it, and the algorithm keeps its state.
    let mut corrupt = snapshot.clone();
    let mut bytes = snapshot.file("replay.bin").unwrap().to_vec();
    bytes.truncate(bytes.len() / 2);
    corrupt.insert("replay.bin", bytes);
    let mut other = make_algorithm(true);
    let before = other.memory().clone();
    let err = other.restore(&corrupt).unwrap_err();
    assert!(err.to_string().contains("replay buffer file"), "{err}");
    assert_eq!(other.memory(), &before);
}

/// Pays NaN at its fifth step.
struct NanReward {
    t: usize,
}

impl Env for NanReward {
    fn id(&self) -> &str {
        "NanReward"
    }
    fn observation_space(&self) -> &Space {
        static SPACE: std::sync::OnceLock<Space> = std::sync::OnceLock::new();
        SPACE.get_or_init(|| Space::Box(BoxSpace::new(vec![0.0], vec![100.0]).unwrap()))
    }
    fn action_space(&self) -> &Space {
        static SPACE: std::sync::OnceLock<Space> = std::sync::OnceLock::new();
        SPACE.get_or_init(|| Space::Discrete(Discrete::new(2).unwrap()))
    }
    fn reset_into(&mut self, _seed: Option<u64>, obs: &mut [f32]) {
        self.t = 0;
        obs[0] = 0.0;
    }
    fn step_into(&mut self, _a: Action<'_>, obs: &mut [f32]) -> Result<StepOutcome, EnvError> {
        self.t += 1;
        obs[0] = self.t as f32;
        Ok(StepOutcome {
            reward: if self.t == 5 { f64::NAN } else { 0.0 },
            terminated: false,
            truncated: false,
        })
    }
}

#[test]
fn bad_input_is_an_error_naming_the_parameter_or_step() {
    let _stream = seeded(0);
    let envs = || VecEnv::from_fn(1, |_| make("CartPole-v1")).unwrap();
    let build = |config: ReplayConfig| {
        let envs = envs();
        let learner = dql(&envs, DqlConfig::default());
        let setup = test_setup(&envs);
        OffPolicy::new(learner, envs, config, &setup).err().unwrap()
    };
    let err = build(ReplayConfig {
        memory_size: 0,
        ..replay(32)
    });
    assert!(err.to_string().contains("memory_size"), "{err}");
    let err = build(ReplayConfig {
        memory_size: 100,
        ..replay(101)
    });
    assert!(err.to_string().contains("batch_size"), "{err}");

    let pendulum = test_setup(&VecEnv::from_fn(1, |_| make("Pendulum-v1")).unwrap());
    for tau in [-0.1, 1.5, f64::NAN] {
        let sac = Sac::new(
            SacConfig {
                tau,
                ..Default::default()
            },
            &pendulum,
        );
        let ddpg = Ddpg::new(
            DdpgConfig {
                tau,
                ..Default::default()
            },
            &pendulum,
        );
        for err in [sac.err().unwrap(), ddpg.err().unwrap()] {
            assert!(err.to_string().contains("`tau`"), "{err}");
        }
    }
    let err = Sac::new(SacConfig::default(), &test_setup(&envs()))
        .err()
        .unwrap();
    assert!(matches!(err, AgentError::UnsupportedSpace(_)), "{err}");

    let nan_envs =
        VecEnv::from_fn(1, |_| Ok(Box::new(NanReward { t: 0 }) as Box<dyn Env>)).unwrap();
    let learner = dql(&nan_envs, DqlConfig::default());
    let setup = test_setup(&nan_envs);
    let mut algorithm = OffPolicy::new(learner, nan_envs, replay(32), &setup).unwrap();
    let err = algorithm.iterate(0.0).unwrap_err();
    assert!(
        err.to_string()
            .contains("NanReward: the reward at step 5 of environment 0's episode is NaN"),
        "{err}"
    );
}

/// Trains on one environment for at most `steps`, evaluating (10 episodes) every `eval_every`
/// iterations, and stops early once an evaluation reaches `bar`; returns the summary.
fn learn<L: ReplayLearner>(
    learner: L,
    env: &str,
    config: ReplayConfig,
    steps: usize,
    eval_every: usize,
    bar: Option<f64>,
) -> TrainSummary {
    let envs = VecEnv::from_fn(1, |_| make(env)).unwrap();
    let setup = test_setup(&envs);
    let mut algorithm = OffPolicy::new(learner, envs, config, &setup).unwrap();
    let mut eval_envs = VecEnv::from_fn(5, |_| make(env)).unwrap();
    train(
        &mut algorithm,
        &mut eval_envs,
        &TrainConfig {
            total_steps: Some(steps),
            return_threshold: bar,
            eval_every: Every::Iterations(eval_every),
            eval_episodes: 10,
            ..TrainConfig::default()
        },
        &mut RunLogger::quiet(),
    )
    .unwrap()
}

#[test]
fn learning_dql_cartpole_reaches_150_within_20k_steps() {
    let _stream = seeded(0);
    let envs = VecEnv::from_fn(1, |_| make("CartPole-v1")).unwrap();
    // The preset's schedule (RL Zoo) on a 64-64 network and a shorter budget.
    let learner = dql(
        &envs,
        DqlConfig {
            net: NetConfig::new(&[64, 64], Activation::Relu),
            eps_schedule_gamma: 0.9,
            eps_final: 0.04,
            target_update_intvl: 128,
            max_grad_norm: Some(10.0),
            lr: 2.3e-3,
            lr_schedule: cinder_nn::Schedule::Linear,
            is_double: false,
            ..DqlConfig::default()
        },
    );
    let config = ReplayConfig {
        memory_size: 100_000,
        min_steps: 256,
        num_updates_per_iter: 128,
        num_init_memory_steps: 1000,
        batch_size: 64,
        ..replay(64)
    };
    // Greedy DQN policies on CartPole swing from one evaluation to the next, so the bar is met
    // when any evaluation (every 4 iterations = 1024 steps) reaches it. An untrained greedy
    // policy scores about 9 and a random one about 22; over seeds 0-15 the bar fell between
    // 3k and 7k steps, leaving room for other CPUs' rounding to change the trajectory.
    let summary = learn(learner, "CartPole-v1", config, 20_000, 4, Some(150.0));
    assert_eq!(
        summary.stop_reason,
        StopReason::ReturnThreshold,
        "DQL CartPole never reached 150 in 20k steps (last evaluation {})",
        summary.final_eval.mean
    );
}

#[test]
fn learning_sac_pendulum_beats_random_within_4k_steps() {
    let _stream = seeded(0);
    let envs = VecEnv::from_fn(1, |_| make("Pendulum-v1")).unwrap();
    let learner = sac(
        &envs,
        SacConfig {
            sides: Sides::tied(NetConfig::new(&[64, 64], Activation::Relu), 1e-3, None),
            entropy_coeff_init: 1.0,
            standardize_rew: false,
            ..SacConfig::default()
        },
    );
    let config = ReplayConfig {
        memory_size: 100_000,
        min_steps: 1,
        num_updates_per_iter: 1,
        num_init_memory_steps: 128,
        batch_size: 128,
        ..replay(128)
    };
    // A random policy scores about -1200 here; over seeds 0-7 this run ended between -326 and
    // -125. SAC's final bar (-200) is for the benchmark.
    let mean = learn(learner, "Pendulum-v1", config, 4_000, 0, None)
        .final_eval
        .mean;
    assert!(mean >= -700.0, "SAC Pendulum after 4k steps: {mean}");
}

#[test]
fn a_normalised_run_stores_raw_observations_and_acts_on_normalised_ones() {
    use cinder_core::{Normalization, NormalizeConfig};
    let _stream = seeded(0);
    let normalized = |n: usize| {
        let config = NormalizeConfig {
            rewards: false,
            ..NormalizeConfig::default()
        };
        let normalization = Normalization::training(config, 3).unwrap();
        VecEnv::from_fn(n, |_| make("Pendulum-v1"))
            .unwrap()
            .with_normalization(normalization)
            .unwrap()
    };
    let envs = normalized(2);
    let learner = sac(&envs, SacConfig::default());
    let setup = test_setup(&envs);
    let mut algorithm = OffPolicy::new(learner, envs, replay(32), &setup).unwrap();
    algorithm.iterate(0.0).unwrap();
    // The first row of the memory is each environment's reset observation as Pendulum
    // returned it (cos θ, sin θ, θ̇ of the reset draw), not normalised.
    let mut raw = VecEnv::from_fn(2, |_| make("Pendulum-v1")).unwrap();
    let first = raw.reset(Some(0)).to_vec();
    let buffer = algorithm.memory().buffer();
    for env in 0..2 {
        let stored = buffer.transition(env).unwrap().observation.to_vec();
        assert_eq!(stored, first[env * 3..(env + 1) * 3], "env {env}");
    }
    // Normalised, the same observations differ (the statistics have moved off 0 / 1).
    let mut envs = normalized(2);
    let acted = envs.reset(Some(0)).to_vec();
    assert_ne!(acted, first);
    assert_eq!(envs.unnormalized_observations(), &first[..]);
}
