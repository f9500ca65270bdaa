"""The Python half of cinder-gym: builds a Gymnasium environment, describes its spaces in plain
values, and turns each step into (observation bytes, reward, terminated, truncated), so that
the Rust half makes one call per step and reads float32 bytes."""

import glob
import os
import sys

# An activated virtual environment (VIRTUAL_ENV) comes before the embedded interpreter's own
# site-packages, as its `python` would see it.
_venv = os.environ.get("VIRTUAL_ENV")
if _venv:
    for _path in glob.glob(os.path.join(_venv, "lib", "python3*", "site-packages")):
        if _path not in sys.path:
            sys.path.insert(0, _path)

import gymnasium  # noqa: E402 (after the path above)
import numpy as np  # noqa: E402


def describe(space):
    """("box", low, high) with flat float64 bounds, ("discrete", n, start) or (the space's
    type name,) for a space the bridge does not take."""
    if isinstance(space, gymnasium.spaces.Box):
        low = np.asarray(space.low, dtype=np.float64).ravel().tolist()
        high = np.asarray(space.high, dtype=np.float64).ravel().tolist()
        return ("box", low, high)
    if isinstance(space, gymnasium.spaces.Discrete):
        return ("discrete", int(space.n), int(space.start))
    return (type(space).__name__,)


class Bridged:
    """One environment, stepped with flat actions; observations come back as float32 bytes
    (a discrete observation one-hot)."""

    def __init__(self, env_id, kwargs):
        self.env = gymnasium.make(env_id, **kwargs)
        self.observation = describe(self.env.observation_space)
        self.action = describe(self.env.action_space)
        spec = self.env.spec
        self.max_episode_steps = spec.max_episode_steps if spec is not None else None
        self.reward_threshold = spec.reward_threshold if spec is not None else None
        box = self.action[0] == "box"
        self.action_shape = self.env.action_space.shape if box else None
        self.action_dtype = self.env.action_space.dtype if box else None
        space = self.env.observation_space
        # Most environments return flat float32 arrays: their bytes need no conversion.
        self.flat_float32 = (
            self.observation[0] == "box" and space.dtype == np.float32 and len(space.shape) == 1
        )

    def _flat(self, observation):
        if self.flat_float32 and isinstance(observation, np.ndarray):
            if observation.dtype == np.float32 and observation.flags.c_contiguous:
                return observation.tobytes()
        if self.observation[0] == "discrete":
            one_hot = np.zeros(self.observation[1], dtype=np.float32)
            one_hot[int(observation) - self.observation[2]] = 1.0
            return one_hot.tobytes()
        return np.asarray(observation, dtype=np.float32).ravel().tobytes()

    def reset(self, seed):
        observation, _info = self.env.reset(seed=seed)
        return self._flat(observation)

    def step_discrete(self, index):
        return self._step(self.action[2] + index)

    def step_box(self, values):
        action = np.asarray(values, dtype=self.action_dtype).reshape(self.action_shape)
        return self._step(action)

    def _step(self, action):
        observation, reward, terminated, truncated, _info = self.env.step(action)
        return self._flat(observation), float(reward), bool(terminated), bool(truncated)

    def close(self):
        self.env.close()
