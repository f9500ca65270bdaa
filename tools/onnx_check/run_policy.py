"""Runs a policy exported by `cinder export --format onnx` in onnxruntime inside Gymnasium's
own environment, and optionally checks its mean return.

    python3 tools/onnx_check/run_policy.py runs/ppo-CartPole-v1-<time>/policy.onnx \
        --env CartPole-v1 --episodes 10 --min-mean 475

The model takes raw observations (`observation`, float32 [batch, obs_dim]) and returns the
action the environment takes (`action`: int64 [batch] for discrete policies, float32
[batch, action_dim] for box policies). Episode i is reset with seed 10_000 + i. Exits with 1
when the mean is below --min-mean.
"""

import argparse
import sys

import gymnasium as gym
import numpy as np
import onnxruntime as ort


def run(model_path, env_id, episodes, seed):
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    env = gym.make(env_id)
    returns = []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + i)
        total, done = 0.0, False
        while not done:
            (action,) = session.run(["action"], {"observation": obs[None].astype(np.float32)})
            a = int(action[0]) if action.dtype == np.int64 else action[0]
            obs, reward, terminated, truncated, _ = env.step(a)
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    return returns


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("--env", required=True)
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=10_000)
    parser.add_argument("--min-mean", type=float)
    args = parser.parse_args()
    returns = run(args.model, args.env, args.episodes, args.seed)
    mean = float(np.mean(returns))
    print(f"{args.env}: mean return {mean:.2f} ± {np.std(returns):.2f} over {len(returns)} "
          f"episodes (onnxruntime {ort.__version__}, gymnasium {gym.__version__})")
    if args.min_mean is not None and mean < args.min_mean:
        print(f"below the bar {args.min_mean}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
