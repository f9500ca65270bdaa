//! The Gymnasium bridge (`--features gym`; needs Python with gymnasium 1.4): Gymnasium's
//! classic-control environments through the bridge step exactly as Cinder's own ports under
//! the same seeds and actions (Cinder resets from NumPy's generator, seeded as Gymnasium
//! seeds it); a `gym:` id trains from the CLI; bad ids and spaces are one-line errors.
#![cfg(feature = "gym")]

use std::process::Command;

use cinder::core::seeding::rng_from_seed;
use cinder::core::{Action, Env, EnvError, OwnedAction, Space, VecEnv};
use rand::Rng;

const CLASSIC: [&str; 5] = [
    "CartPole-v1",
    "Acrobot-v1",
    "MountainCar-v0",
    "MountainCarContinuous-v0",
    "Pendulum-v1",
];

fn action_of(owned: &OwnedAction) -> Action<'_> {
    owned.as_action()
}

/// 1,000 steps of random actions: observations, rewards and both flags equal, bit for bit,
/// episodes reset with the stream the first seeded reset started.
#[test]
fn bridged_classic_control_is_cinders_own() {
    for id in CLASSIC {
        let mut native = cinder::envs::make(id).unwrap();
        let mut bridged = cinder::envs::make(&format!("gym:{id}")).unwrap();
        assert_eq!(bridged.id(), format!("gym:{id}"));
        assert_eq!(
            native.observation_space(),
            bridged.observation_space(),
            "{id}"
        );
        assert_eq!(native.action_space(), bridged.action_space(), "{id}");
        let mut rng = rng_from_seed(7);
        let (mut seed, mut episodes) = (Some(3), 0);
        let (mut want, mut got) = (native.reset(seed), bridged.reset(seed));
        for step in 0..1000 {
            assert_eq!(want, got, "{id}: observation at step {step}");
            let action = native.action_space().sample(&mut rng);
            let a = native.step(action_of(&action)).unwrap();
            let b = bridged.step(action_of(&action)).unwrap();
            assert_eq!(a, b, "{id}: step {step}");
            (want, got) = (a.observation, b.observation);
            if a.terminated || a.truncated {
                episodes += 1;
                seed = None;
                (want, got) = (native.reset(seed), bridged.reset(seed));
            }
        }
        // A fresh seed gives Gymnasium's first observation for it, too.
        assert_eq!(native.reset(Some(11)), bridged.reset(Some(11)), "{id}");
        println!("{id}: 1000 steps, {episodes} episodes ended, identical");
    }
}

/// Four bridged CartPoles in a vector environment (same-step autoreset, seeds `s + i`) give
/// the native vector environment's batches.
#[test]
fn bridged_vector_environment_is_cinders_own() {
    let make = |prefix: &'static str| {
        VecEnv::from_fn(4, move |_| {
            cinder::envs::make(&format!("{prefix}CartPole-v1"))
        })
        .unwrap()
    };
    let (mut native, mut bridged) = (make(""), make("gym:"));
    assert_eq!(native.reset(Some(5)), bridged.reset(Some(5)));
    let mut rng = rng_from_seed(1);
    for _ in 0..300 {
        let actions: Vec<usize> = (0..4).map(|_| rng.random_range(0..2)).collect();
        let a = native
            .step(cinder::core::Actions::Discrete(&actions))
            .unwrap();
        let (obs, finals, rewards, terminated, truncated, finished) = (
            a.observations.to_vec(),
            a.final_observations.to_vec(),
            a.rewards.to_vec(),
            a.terminated.to_vec(),
            a.truncated.to_vec(),
            a.finished_episodes.to_vec(),
        );
        let b = bridged
            .step(cinder::core::Actions::Discrete(&actions))
            .unwrap();
        assert_eq!(obs, b.observations);
        assert_eq!(finals, b.final_observations);
        assert_eq!(rewards, b.rewards);
        assert_eq!(terminated, b.terminated);
        assert_eq!(truncated, b.truncated);
        assert_eq!(finished, b.finished_episodes);
    }
}

#[test]
fn keyword_arguments_reach_gymnasium() {
    // Pendulum's `g`: a stronger gravity changes the first step from the same state.
    let mut earth = cinder::envs::make("gym:Pendulum-v1").unwrap();
    let mut heavy = cinder::envs::make("gym:Pendulum-v1?g=30.0").unwrap();
    assert_eq!(heavy.id(), "gym:Pendulum-v1?g=30.0");
    assert_eq!(earth.reset(Some(0)), heavy.reset(Some(0)));
    let push = [0.5f32];
    let (a, b) = (
        earth.step(Action::Continuous(&push)).unwrap(),
        heavy.step(Action::Continuous(&push)).unwrap(),
    );
    assert_ne!(a.observation, b.observation);
    // The canonical id (sorted keys) is what the registry keeps.
    let spec = cinder::envs::spec("gym:CartPole-v1?sutton_barto_reward=true&render_mode=None");
    let spec = spec.unwrap();
    assert_eq!(
        spec.id,
        "gym:CartPole-v1?render_mode=None&sutton_barto_reward=true"
    );
    assert_eq!(spec.max_episode_steps, 500);
    // Sutton and Barto's reward: 0 per step, -1 when the pole falls.
    let mut sutton = spec.make().unwrap();
    sutton.reset(Some(0));
    assert_eq!(sutton.step(Action::Discrete(0)).unwrap().reward, 0.0);
}

#[test]
fn bad_ids_spaces_and_arguments_are_errors_naming_the_cause() {
    let error = |id: &str| match cinder::envs::make(id) {
        Ok(env) => panic!("{id} made {env:?}", env = env.id()),
        Err(e) => e,
    };
    let unknown = error("gym:NoSuchEnv-v0").to_string();
    assert!(unknown.contains("NoSuchEnv"), "{unknown}");
    assert!(!unknown.contains('\n'), "{unknown}");
    // Blackjack observes a Tuple space.
    let tuple = error("gym:Blackjack-v1").to_string();
    assert!(
        tuple.contains("Tuple") && tuple.contains("Box and Discrete"),
        "{tuple}"
    );
    let argument = error("gym:CartPole-v1?no_such_argument=1");
    assert!(matches!(argument, EnvError::External { .. }), "{argument}");
    assert!(
        argument.to_string().contains("no_such_argument"),
        "{argument}"
    );
    let syntax = error("gym:CartPole-v1?novalue").to_string();
    assert!(syntax.contains("key=value"), "{syntax}");
    // An action outside the space is refused before Python sees it.
    let mut cartpole = cinder::envs::make("gym:CartPole-v1").unwrap();
    cartpole.reset(Some(0));
    assert!(matches!(
        cartpole.step(Action::Discrete(2)),
        Err(EnvError::InvalidAction { .. })
    ));
    let mut pendulum = cinder::envs::make("gym:Pendulum-v1").unwrap();
    pendulum.reset(Some(0));
    assert!(pendulum.step(Action::Continuous(&[f32::NAN])).is_err());
    assert!(matches!(
        cartpole.action_space(),
        Space::Discrete(d) if d.n() == 2
    ));
}

/// `cinder train ppo --env gym:CartPole-v1` writes the progress the native run writes, time
/// columns aside.
#[test]
fn cli_trains_on_a_gym_id_as_on_the_native_env() {
    let out = tempfile::tempdir().unwrap();
    let progress = |env: &str| {
        let runs = out.path().join(env.replace(':', "_"));
        let output = Command::new(env!("CARGO_BIN_EXE_cinder"))
            .args(["train", "ppo", "--env", env, "--seed", "0", "--quiet"])
            .args(["--set", "total_steps=4096", "--out", runs.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{env}: {stderr}");
        let dir = std::fs::read_dir(&runs).unwrap().next().unwrap().unwrap();
        let text = std::fs::read_to_string(dir.path().join("progress.csv")).unwrap();
        let header: Vec<String> = text
            .lines()
            .next()
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect();
        let timeless: Vec<usize> = (0..header.len())
            .filter(|&i| !header[i].contains("second"))
            .collect();
        text.lines()
            .map(|line| {
                let cells: Vec<&str> = line.split(',').collect();
                timeless
                    .iter()
                    .map(|&i| cells[i])
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect::<Vec<_>>()
    };
    let native = progress("CartPole-v1");
    assert!(native.len() > 2);
    assert_eq!(native, progress("gym:CartPole-v1"));
}
