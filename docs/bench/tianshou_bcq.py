"""Gradient updates per second of Tianshou 2.0's discrete BCQ, for the side-by-side figure in
docs/bench/log.md (run by hand: `pip install tianshou minari[hdf5]`; never a dependency of
Cinder's build or tests).

The same task as `cinder train bcq --env CartPole-v1` with the shipped preset: a Q-network and
an imitator, each an MLP 4-64-64-2 (ReLU), one Adam at lr 1e-3, minibatches of 64, 3-step
double-Q targets, target copy every 320 updates, on the dataset given (a Minari directory, e.g.
one written by `cinder collect`). Two torch threads (the machine has two cores).

    python docs/bench/tianshou_bcq.py DATASET_DIR [UPDATES]
"""

import json
import pathlib
import sys
import time

import h5py
import numpy as np
import torch
from gymnasium.spaces import Box, Discrete
from tianshou.algorithm.imitation.discrete_bcq import DiscreteBCQ, DiscreteBCQPolicy
from tianshou.algorithm.optim import AdamOptimizerFactory
from tianshou.data import Batch, ReplayBuffer
from tianshou.utils.net.common import Net
from tianshou.utils.torch_utils import policy_within_training_step


def load(path: pathlib.Path) -> ReplayBuffer:
    data = path / "data" if (path / "data").exists() else path
    meta = json.loads((data / "metadata.json").read_text())
    buffer = ReplayBuffer(meta["total_steps"])
    with h5py.File(data / "main_data.hdf5") as f:
        for i in range(meta["total_episodes"]):
            ep = f[f"episode_{i}"]
            obs = ep["observations"][()]
            steps = len(ep["rewards"])
            terminated = ep["terminations"][()].astype(bool)
            truncated = ep["truncations"][()].astype(bool)
            truncated[-1] = truncated[-1] or not terminated[-1]
            for t in range(steps):
                buffer.add(
                    Batch(
                        obs=obs[t],
                        act=ep["actions"][t],
                        rew=ep["rewards"][t],
                        terminated=terminated[t],
                        truncated=truncated[t],
                        obs_next=obs[t + 1],
                        info={},
                    )
                )
    return buffer


def main() -> None:
    torch.set_num_threads(2)
    torch.manual_seed(0)
    buffer = load(pathlib.Path(sys.argv[1]))
    updates = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    obs_space = Box(-np.inf, np.inf, (4,), np.float32)
    model = Net(state_shape=4, action_shape=2, hidden_sizes=[64, 64])
    imitator = Net(state_shape=4, action_shape=2, hidden_sizes=[64, 64])
    policy = DiscreteBCQPolicy(
        model=model,
        imitator=imitator,
        target_update_freq=320,
        unlikely_action_threshold=0.3,
        action_space=Discrete(2),
        observation_space=obs_space,
        eps_inference=0.001,
    )
    algorithm = DiscreteBCQ(
        policy=policy,
        optim=AdamOptimizerFactory(lr=1e-3),
        gamma=0.99,
        n_step_return_horizon=3,
        target_update_freq=320,
        imitation_logits_penalty=0.01,
    )
    with policy_within_training_step(policy):
        for _ in range(200):  # warm-up
            algorithm.update(buffer=buffer, sample_size=64)
        start = time.perf_counter()
        for _ in range(updates):
            algorithm.update(buffer=buffer, sample_size=64)
        seconds = time.perf_counter() - start
    print(
        f"tianshou {__import__('tianshou').__version__} torch {torch.__version__}: "
        f"{updates} updates in {seconds:.2f} s = {updates / seconds:.0f} updates/s"
    )


if __name__ == "__main__":
    main()
