"""Gymnasium's step speed, measured the way `cargo xtask bench envs` measures Cinder's.

Pre-drawn random actions, autoreset on episode end, median of 5 runs of ~0.4 s each.
Single env: `gymnasium.make(id)` (TimeLimit, OrderEnforcing, PassiveEnvChecker, as users get
it). Vector: `gymnasium.make_vec(id, num_envs=64, vectorization_mode="sync")`.

    pip install gymnasium==1.4.0 && python3 docs/bench/gymnasium_env_steps.py
"""

import time

import gymnasium as gym
import numpy as np

IDS = ["CartPole-v1", "Pendulum-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1"]
RUNS, RUN_TIME, POOL = 5, 0.4, 4096


def rate(steps_per_call, step):
    rates = []
    for _ in range(RUNS):
        start, calls = time.perf_counter(), 0
        while time.perf_counter() - start < RUN_TIME:
            for _ in range(64):
                step(calls)
                calls += 1
        rates.append(calls * steps_per_call / (time.perf_counter() - start))
    return sorted(rates)[RUNS // 2]


def single(env_id):
    env = gym.make(env_id)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(POOL)]
    env.reset(seed=0)

    def step(call):
        _, _, terminated, truncated, _ = env.step(actions[call % POOL])
        if terminated or truncated:
            env.reset()

    return rate(1, step)


def vector(env_id, n=64):
    envs = gym.make_vec(env_id, num_envs=n, vectorization_mode="sync")
    envs.action_space.seed(0)
    batches = [envs.action_space.sample() for _ in range(POOL // n)]
    envs.reset(seed=0)
    return rate(n, lambda call: envs.step(batches[call % len(batches)]))


if __name__ == "__main__":
    print(f"gymnasium {gym.__version__}, numpy {np.__version__}")
    print("| env | single env (steps/s) | vector x64 (steps/s) |")
    print("|---|---:|---:|")
    for env_id in IDS:
        print(f"| {env_id} | {single(env_id):.2e} | {vector(env_id):.2e} |")
