//! ICM around recording learners: the curiosity reward reaches an on-policy learner's rewards
//! before GAE and an off-policy learner's n-step returns step by step (the difference is the
//! scaled forward error, recomputed here row by row); snapshots restore identical curiosity;
//! bad input is an error naming the parameter.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use cinder_agent::{
    AgentError, Exported, Learned, OnPolicyLearner, Policy, PolicyActor, PolicyConfig,
    PolicyGradient, ReplayLearner, Setup, Update,
};
use cinder_core::seeding::rng_from_seed;
use cinder_core::space::{BoxSpace, Discrete};
use cinder_core::{ActMode, Acted, ActionBatch, Actor, Metric, Snapshot, Space, VecEnv};
use cinder_data::{Budget, Lookahead, ReplayBatch, ReplayBuffer, Rollout, Sampler, Transitions};
use cinder_envs::make;
use cinder_explore::{Icm, IcmConfig, IcmNets};
use cinder_nn::device::{device_stream_turn, test_device};
use cinder_nn::tensors::{matrix, read_floats, vector};

/// An on-policy learner that keeps the rollouts it is given.
struct RecordOn {
    policy: Policy,
    seen: Vec<Rollout>,
}

impl OnPolicyLearner for RecordOn {
    fn policy(&self) -> &Policy {
        &self.policy
    }

    fn update_with(
        &mut self,
        rollout: &Rollout,
        _: f64,
        _: &mut dyn PolicyGradient,
    ) -> Result<Update, AgentError> {
        self.seen.push(rollout.clone());
        Ok(Update {
            metrics: vec![Metric::new("recorded", 1.0)],
            updates: 1,
        })
    }

    fn save(&self, _: &mut Snapshot) -> Result<(), AgentError> {
        Ok(())
    }

    fn load(&mut self, _: &Snapshot) -> Result<(), AgentError> {
        Ok(())
    }
}

/// An off-policy learner that keeps the batches it is given.
struct RecordOff {
    device: Device,
    seen: Vec<ReplayBatch>,
}

impl Actor for RecordOff {
    type Error = AgentError;

    fn act(&mut self, _: &[f32], n: usize, _: ActMode) -> Result<Acted, AgentError> {
        Ok(Acted::actions(ActionBatch::Discrete(vec![0; n])))
    }
}

impl ReplayLearner for RecordOff {
    fn update(&mut self, batch: &ReplayBatch, _: f64) -> Result<Learned, AgentError> {
        self.seen.push(batch.clone());
        Ok(Learned {
            stats: vector(&[1.0], &self.device),
            td_errors: Some(vector(&vec![0.0; batch.len()], &self.device)),
        })
    }

    fn stat_names(&self) -> Vec<&'static str> {
        vec!["recorded"]
    }

    fn schedule_metrics(&self, _: f64) -> Vec<Metric> {
        Vec::new()
    }

    fn end_iteration(&mut self) {}

    fn save(&self, _: &mut Snapshot) -> Result<(), AgentError> {
        Ok(())
    }

    fn load(&mut self, _: &Snapshot) -> Result<(), AgentError> {
        Ok(())
    }

    fn graph(&self) -> Result<Exported, AgentError> {
        Err(AgentError::UnsupportedSpace(
            "a recording learner has no network".into(),
        ))
    }
}

fn cartpole_spaces() -> (Space, Space) {
    let env = make("CartPole-v1").unwrap();
    (env.observation_space().clone(), env.action_space().clone())
}

fn config() -> IcmConfig {
    IcmConfig {
        reward_scale: 0.5,
        lr: 1e-2,
        ..IcmConfig::default()
    }
}

/// `½ ‖φ̂(s') − φ(s')‖²` of one CartPole transition, from the networks directly.
fn forward_error(nets: &IcmNets, s: &[f32], a: usize, next: &[f32], device: &Device) -> f32 {
    let mut one_hot = [0.0f32; 2];
    one_hot[a] = 1.0;
    let phi = nets.features.forward(matrix(s, 1, device));
    let next_phi = nets.features.forward(matrix(next, 1, device));
    let input = Tensor::cat(vec![phi, matrix(&one_hot, 1, device)], 1);
    let predicted = nets.forward_model.forward(input);
    let diff = read_floats(predicted - next_phi).unwrap();
    0.5 * diff.iter().map(|d| d * d).sum::<f32>()
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-4 * b.abs().max(1e-3)
}

/// An on-policy ICM around a recorder, and a rollout of its policy on 4 CartPoles (long
/// enough for episodes to terminate).
fn on_policy_icm(device: &Device, seed: u64) -> (Icm<RecordOn>, Rollout) {
    device.seed(seed);
    let (obs, act) = cartpole_spaces();
    let policy = Policy::new(
        &PolicyConfig::default(),
        4,
        &act,
        &device.clone().autodiff(),
    )
    .unwrap();
    let mut actor = PolicyActor::new(&policy, &act, device, seed);
    let envs = VecEnv::from_fn(4, |_| make("CartPole-v1")).unwrap();
    let rollout = Sampler::new(envs, Some(seed))
        .collect(&mut actor, Budget::MinSteps(400))
        .unwrap();
    let recorder = RecordOn {
        policy,
        seen: Vec::new(),
    };
    (
        Icm::new(
            recorder,
            config(),
            &Setup::of_spaces(&obs, &act, device, device, 0),
        )
        .unwrap(),
        rollout,
    )
}

#[test]
fn curiosity_reaches_an_on_policy_learner_before_gae() {
    let _turn = device_stream_turn();
    let device = test_device();
    let (mut icm, rollout) = on_policy_icm(&device, 3);
    assert!(
        rollout.terminated.iter().any(|&t| t),
        "some episode terminated"
    );
    let nets = icm.nets().valid();
    let inner = device.clone();
    let next = rollout.next_observations();
    let ActionBatch::Discrete(actions) = &rollout.actions else {
        panic!("CartPole actions are discrete")
    };
    let expected: Vec<f32> = (0..rollout.len())
        .map(|k| {
            0.5 * forward_error(
                &nets,
                &rollout.observations[k * 4..k * 4 + 4],
                actions[k],
                &next[k * 4..k * 4 + 4],
                &inner,
            )
        })
        .collect();

    let update = icm.update(&rollout, 0.0).unwrap();
    let seen = &icm.learner().seen[0];
    for (k, &want) in expected.iter().enumerate() {
        let added = seen.rewards[k] - rollout.rewards[k];
        assert!(close(added, want), "step {k}: {added} vs {want}");
    }
    assert!(expected.iter().all(|&e| e > 0.0));
    let names: Vec<&str> = update.metrics.iter().map(|m| m.name).collect();
    for name in [
        "recorded",
        "icm_loss",
        "icm_forward_loss",
        "icm_inverse_loss",
        "intrinsic_reward",
        "icm_lr",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    // ICM trained: the same transitions now earn a different curiosity reward.
    let after = icm
        .intrinsic_rewards(&rollout.observations, &rollout.actions, &next)
        .unwrap();
    assert!(
        after
            .iter()
            .zip(&expected)
            .any(|(a, e)| (a - e).abs() > 1e-6)
    );
}

#[test]
fn curiosity_reaches_an_off_policy_learner_per_window_step() {
    let _turn = device_stream_turn();
    let device = test_device();
    device.seed(5);
    let (obs_space, act_space) = cartpole_spaces();
    let n = 2;
    let mut envs = VecEnv::from_fn(n, |_| make("CartPole-v1")).unwrap();
    let mut buffer = ReplayBuffer::new(1000, n, 4, &act_space).unwrap();
    let mut rng = rng_from_seed(5);
    let mut observations = envs.reset(Some(5)).to_vec();
    for _ in 0..200 {
        let actions = ActionBatch::sample(&act_space, n, &mut rng);
        let step = envs.step(actions.as_actions()).unwrap();
        let mut next = vec![0.0; observations.len()];
        let transitions = Transitions::of_step(&observations, &actions, &step, &mut next);
        buffer.push(transitions).unwrap();
        observations.copy_from_slice(step.observations);
    }
    let lookahead = Lookahead::new(3, 0.9).unwrap();
    let batch = buffer.sample(64, lookahead, &mut rng).unwrap();
    assert!(
        batch.steps.len() > batch.len(),
        "some windows hold several steps"
    );

    let mut icm = icm_off(config(), &obs_space, &act_space, &device).unwrap();
    let nets = icm.nets().valid();
    let mut expected = vec![0.0f32; batch.len()];
    let steps = &batch.steps;
    let ActionBatch::Discrete(actions) = &steps.actions else {
        panic!("discrete")
    };
    for j in 0..steps.len() {
        let row = |v: &[f32]| v[j * 4..j * 4 + 4].to_vec();
        let error = forward_error(
            &nets,
            &row(&steps.observations),
            actions[j],
            &row(&steps.next_observations),
            &device,
        );
        expected[steps.rows[j]] += steps.discounts[j] * 0.5 * error;
    }
    let learned = icm.update(&batch, 0.0).unwrap();
    let seen = &icm.learner().seen[0];
    for (m, &want) in expected.iter().enumerate() {
        let added = seen.returns[m] - batch.returns[m];
        assert!(close(added, want), "row {m}: {added} vs {want}");
    }
    assert_eq!(seen.discounts, batch.discounts, "only the returns change");
    assert_eq!(
        icm.stat_names(),
        [
            "recorded",
            "icm_loss",
            "icm_forward_loss",
            "icm_inverse_loss",
            "intrinsic_reward"
        ]
    );
    assert_eq!(read_floats(learned.stats).unwrap().len(), 5);
}

#[test]
fn a_restored_icm_gives_identical_curiosity() {
    let _turn = device_stream_turn();
    let device = test_device();
    let (mut icm, rollout) = on_policy_icm(&device, 7);
    for _ in 0..3 {
        icm.update(&rollout, 0.0).unwrap();
    }
    let mut snapshot = Snapshot::new();
    OnPolicyLearner::save(&icm, &mut snapshot).unwrap();
    assert!(
        snapshot.names().any(|n| n == "icm/nets.bpk"),
        "{:?}",
        snapshot.names().collect::<Vec<_>>()
    );
    let next = rollout.next_observations();
    let want = icm
        .intrinsic_rewards(&rollout.observations, &rollout.actions, &next)
        .unwrap();

    let (mut fresh, _) = on_policy_icm(&device, 8);
    let before = fresh
        .intrinsic_rewards(&rollout.observations, &rollout.actions, &next)
        .unwrap();
    assert_ne!(before, want);
    let mut broken = snapshot.clone();
    broken.insert("icm/nets.bpk", vec![1, 2, 3]);
    let err = OnPolicyLearner::load(&mut fresh, &broken).unwrap_err();
    assert!(err.to_string().contains("nets.bpk"), "{err}");
    let unchanged = fresh
        .intrinsic_rewards(&rollout.observations, &rollout.actions, &next)
        .unwrap();
    assert_eq!(unchanged, before, "a failed load changes nothing");

    OnPolicyLearner::load(&mut fresh, &snapshot).unwrap();
    let got = fresh
        .intrinsic_rewards(&rollout.observations, &rollout.actions, &next)
        .unwrap();
    assert_eq!(got, want);
    // The optimiser state came back too: the next ICM step is the same.
    icm.update(&rollout, 0.0).unwrap();
    fresh.update(&rollout, 0.0).unwrap();
    assert_eq!(
        fresh
            .intrinsic_rewards(&rollout.observations, &rollout.actions, &next)
            .unwrap(),
        icm.intrinsic_rewards(&rollout.observations, &rollout.actions, &next)
            .unwrap()
    );
}

#[test]
fn continuous_actions_enter_scaled() {
    let _turn = device_stream_turn();
    let device = test_device();
    device.seed(2);
    let env = make("Pendulum-v1").unwrap();
    let (obs, act) = (env.observation_space().clone(), env.action_space().clone());
    let icm = icm_off(config(), &obs, &act, &device).unwrap();
    let s = [1.0f32, 0.0, 0.5, 0.9, 0.1, -0.5];
    let next = [0.9f32, 0.1, 0.4, 0.8, 0.2, -0.4];
    let r = icm
        .intrinsic_rewards(&s, &ActionBatch::Continuous(vec![2.0, -2.0]), &next)
        .unwrap();
    assert_eq!(r.len(), 2);
    assert!(r.iter().all(|x| x.is_finite() && *x >= 0.0), "{r:?}");
    // The action is an input: ±2 (the box's bounds) give different predictions for one state.
    let same = icm
        .intrinsic_rewards(&s[..3], &ActionBatch::Continuous(vec![-2.0]), &next[..3])
        .unwrap();
    assert_ne!(same[0], r[0]);
    let err = icm
        .intrinsic_rewards(&s[..3], &ActionBatch::Discrete(vec![0]), &next[..3])
        .unwrap_err();
    assert!(err.to_string().contains("continuous actions"), "{err}");
}

/// An off-policy ICM around a recorder, for the spaces `obs` and `act`.
fn icm_off(
    config: IcmConfig,
    obs: &Space,
    act: &Space,
    device: &Device,
) -> Result<Icm<RecordOff>, AgentError> {
    let recorder = RecordOff {
        device: device.clone(),
        seen: Vec::new(),
    };
    Icm::new(
        recorder,
        config,
        &Setup::of_spaces(obs, act, device, device, 0),
    )
}

/// The error of [`icm_off`].
fn icm_error(config: IcmConfig, obs: &Space, act: &Space, device: &Device) -> AgentError {
    icm_off(config, obs, act, device).err().unwrap()
}

#[test]
fn bad_input_is_an_error_naming_the_parameter() {
    let _turn = device_stream_turn();
    let device = test_device();
    let (obs, act) = cartpole_spaces();
    for (weight, ok) in [
        (0.0, true),
        (1.0, true),
        (1.5, false),
        (-0.1, false),
        (f64::NAN, false),
    ] {
        let config = IcmConfig {
            forward_loss_weight: weight,
            ..IcmConfig::default()
        };
        match icm_off(config, &obs, &act, &device) {
            Ok(_) => assert!(ok, "{weight} accepted"),
            Err(e) => {
                assert!(!ok, "{weight} refused: {e}");
                assert!(e.to_string().contains("icm.forward_loss_weight"), "{e}");
            }
        }
    }
    for config in [
        IcmConfig {
            reward_scale: -1.0,
            ..IcmConfig::default()
        },
        IcmConfig {
            lr_scale: 0.0,
            ..IcmConfig::default()
        },
        IcmConfig {
            lr: f64::NAN,
            ..IcmConfig::default()
        },
        IcmConfig {
            feature_dim: 0,
            ..IcmConfig::default()
        },
    ] {
        let err = icm_error(config, &obs, &act, &device);
        assert!(
            matches!(err, AgentError::InvalidParameter { name, .. } if name.starts_with("icm.")),
            "{err}"
        );
    }
    let discrete_obs = Space::Discrete(Discrete::new(16).unwrap());
    let err = icm_error(IcmConfig::default(), &discrete_obs, &act, &device);
    assert!(
        matches!(err, AgentError::UnsupportedSpace(_)) && err.to_string().contains("ICM"),
        "{err}"
    );
    let unbounded =
        Space::Box(BoxSpace::new(vec![f32::NEG_INFINITY], vec![f32::INFINITY]).unwrap());
    let err = icm_error(IcmConfig::default(), &obs, &unbounded, &device);
    assert!(err.to_string().contains("bounded action box"), "{err}");
}
