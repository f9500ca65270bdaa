"""The Python side of crates/cinder-gym/examples/gym_throughput.rs: 16 environments stepped
with random actions, once as a plain loop over `env.step` and once through Gymnasium's own
SyncVectorEnv (same-step autoreset, as Cinder's VecEnv); prints microseconds per
environment step.

    python tools/gym_check/throughput.py CartPole-v1 20000
"""

import sys
import time

import gymnasium as gym
import numpy as np

env_id = sys.argv[1] if len(sys.argv) > 1 else "CartPole-v1"
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
n = 16

envs = [gym.make(env_id) for _ in range(n)]
for i, env in enumerate(envs):
    env.reset(seed=i)
actions = [[env.action_space.sample() for env in envs] for _ in range(64)]
start = time.perf_counter()
for step in range(steps):
    for env, action in zip(envs, actions[step % 64]):
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
loop = (time.perf_counter() - start) * 1e6 / (n * steps)
print(f"{env_id}: {n} envs x {steps} steps, plain loop: {loop:.2f} us per environment step")

vector = gym.vector.SyncVectorEnv(
    [lambda: gym.make(env_id) for _ in range(n)],
    autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
)
vector.reset(seed=0)
batches = [np.array(batch) for batch in actions]
start = time.perf_counter()
for step in range(steps):
    vector.step(batches[step % 64])
sync = (time.perf_counter() - start) * 1e6 / (n * steps)
print(f"{env_id}: {n} envs x {steps} steps, SyncVectorEnv: {sync:.2f} us per environment step")
