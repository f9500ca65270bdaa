"""One Stable-Baselines3 training run of a `cargo xtask bench compare` benchmark.

Trains `ALGO` on `ENV` with the RL Zoo's hyper-parameters (rl-baselines3-zoo, hyperparams/
<algo>.yml, the entries Cinder's presets translate), evaluates the final policy on 10
deterministic episodes, and prints one JSON line: the training time (`learn`), the evaluation's
mean and standard deviation, and the environment steps. torch runs on 2 CPU threads (`--threads`
changes that for a quality run sharing the machine; `--progress` prints the steps done to stderr
every 10,000).

`--protocol sb3` evaluates as `cinder eval --episodes 20 --seed 10000 --per-episode-seeds`
does: 20 deterministic episodes, episode i on a fresh environment reset with seed 10,000 + i,
so both libraries are scored on the same initial states.

    pip install stable-baselines3==2.9.2
    python3 docs/bench/sb3_train.py ppo CartPole-v1 --seed 0

`cargo xtask bench compare` times this whole process (the imports included), as it times the
`cinder train` process beside it.
"""

import argparse
import json
import sys
import time

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import A2C, DDPG, DQN, PPO, SAC, TD3
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.noise import NormalActionNoise

# The Zoo's DDPG (and TD3) entry for Pendulum-v1.
PENDULUM_DDPG = dict(
    gamma=0.98,
    buffer_size=200_000,
    learning_starts=10_000,
    gradient_steps=1,
    train_freq=1,
    learning_rate=1e-3,
    policy_kwargs=dict(net_arch=[400, 300]),
)

# (class, environment copies, steps, keyword arguments): the Zoo's entries.
ZOO = {
    ("ppo", "CartPole-v1"): (
        PPO,
        8,
        100_000,
        dict(
            n_steps=32,
            batch_size=256,
            gae_lambda=0.8,
            gamma=0.98,
            n_epochs=20,
            ent_coef=0.0,
            learning_rate=lambda progress: progress * 1e-3,
            clip_range=lambda progress: progress * 0.2,
        ),
    ),
    ("a2c", "CartPole-v1"): (A2C, 8, 500_000, dict(ent_coef=0.0)),
    ("dql", "CartPole-v1"): (
        DQN,
        1,
        50_000,
        dict(
            learning_rate=2.3e-3,
            batch_size=64,
            buffer_size=100_000,
            learning_starts=1000,
            gamma=0.99,
            target_update_interval=10,
            train_freq=256,
            gradient_steps=128,
            exploration_fraction=0.16,
            exploration_final_eps=0.04,
            policy_kwargs=dict(net_arch=[256, 256]),
        ),
    ),
    ("sac", "Pendulum-v1"): (SAC, 1, 20_000, dict(learning_rate=1e-3)),
    ("ddpg", "Pendulum-v1"): (DDPG, 1, 20_000, PENDULUM_DDPG),
    # The Zoo's td3.yml entry is DDPG's; policy_delay 2 and the smoothing noise (0.2, clipped
    # at 0.5) are SB3's defaults.
    ("td3", "Pendulum-v1"): (TD3, 1, 20_000, PENDULUM_DDPG),
    # The slow rows: Gymnasium's own LunarLander (box2d) and Hopper (MuJoCo), which Cinder
    # steps through its bridge (`gym:<id>`).
    ("ppo", "LunarLander-v3"): (
        PPO,
        16,
        1_000_000,
        dict(
            n_steps=1024,
            batch_size=64,
            gae_lambda=0.98,
            gamma=0.999,
            n_epochs=4,
            ent_coef=0.01,
        ),
    ),
    ("dql", "LunarLander-v3"): (
        DQN,
        1,
        100_000,
        dict(
            learning_rate=6.3e-4,
            batch_size=128,
            buffer_size=50_000,
            learning_starts=0,
            gamma=0.99,
            target_update_interval=250,
            train_freq=4,
            gradient_steps=-1,
            exploration_fraction=0.12,
            exploration_final_eps=0.1,
            policy_kwargs=dict(net_arch=[256, 256]),
        ),
    ),
    ("sac", "Hopper-v5"): (SAC, 1, 300_000, dict(learning_starts=10_000)),
    ("td3", "Hopper-v5"): (TD3, 1, 300_000, dict(learning_starts=10_000)),
    ("ddpg", "Hopper-v5"): (DDPG, 1, 300_000, dict(learning_starts=10_000)),
}


# `--protocol sb3`: episodes, and the reset seed of the first.
SEEDED_EPISODES = 20
SEEDED_FIRST = 10_000


def seeded_returns(model, env_id):
    """Deterministic returns of `model`, episode i on a new `env_id` reset with seed
    SEEDED_FIRST + i."""
    returns = []
    for i in range(SEEDED_EPISODES):
        env = gym.make(env_id)
        obs, _ = env.reset(seed=SEEDED_FIRST + i)
        total, done = 0.0, False
        while not done:
            action, _ = model.predict(obs, deterministic=True)
            obs, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            done = terminated or truncated
        env.close()
        returns.append(total)
    return returns


class Progress(BaseCallback):
    """Prints the environment steps done and the seconds since the start every 10,000 steps."""

    def _on_training_start(self):
        self.start, self.next = time.perf_counter(), 10_000

    def _on_step(self):
        if self.num_timesteps >= self.next:
            elapsed = time.perf_counter() - self.start
            print(f"{self.num_timesteps} steps, {elapsed:.0f} s", file=sys.stderr, flush=True)
            self.next += 10_000
        return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("algo", choices=sorted({a for a, _ in ZOO}))
    parser.add_argument("env")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--protocol", choices=["zoo", "sb3"], default="zoo")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args()
    args.env = args.env.removeprefix("gym:")  # Cinder's id of a Gymnasium environment
    if (args.algo, args.env) not in ZOO:
        parser.error(f"no Zoo entry for {args.algo} on {args.env}")
    cls, n_envs, steps, kwargs = ZOO[(args.algo, args.env)]
    kwargs = dict(kwargs)  # the entries are shared; this run adds its own noise
    torch.set_num_threads(args.threads)
    env = make_vec_env(args.env, n_envs=n_envs, seed=args.seed)
    if cls in (DDPG, TD3):
        dim = env.action_space.shape[0]
        kwargs["action_noise"] = NormalActionNoise(mean=np.zeros(dim), sigma=np.full(dim, 0.1))
    model = cls("MlpPolicy", env, seed=args.seed, device="cpu", verbose=0, **kwargs)
    start = time.perf_counter()
    model.learn(total_timesteps=steps, callback=Progress() if args.progress else None)
    learn_seconds = time.perf_counter() - start
    if args.protocol == "sb3":
        returns = seeded_returns(model, args.env)
        mean, std = float(np.mean(returns)), float(np.std(returns))
    else:
        eval_env = make_vec_env(args.env, n_envs=1, seed=args.seed + 10_000)
        mean, std = evaluate_policy(model, eval_env, n_eval_episodes=10, deterministic=True)
    print(
        json.dumps(
            dict(
                learn_seconds=learn_seconds,
                eval_mean=float(mean),
                eval_std=float(std),
                total_steps=model.num_timesteps,
            )
        )
    )


if __name__ == "__main__":
    main()
