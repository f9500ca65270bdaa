"""Seed and hyper-parameter sweeps of `cinder train` on a Ray cluster (Ray Tune), with grid or
Optuna search and ASHA early stopping. See README.md beside this file.

    python3 tools/ray_sweep/sweep.py --algo ppo --env CartPole-v1 --steps 20000 \\
        --seeds 0,1 --set lr=3e-4,1e-3
    python3 tools/ray_sweep/sweep.py --algo ppo --env CartPole-v1 --steps 20000 \\
        --search optuna --trials 8 --space space.toml

Writes `<out>/results.csv` (a row per trial), `<out>/best_preset.toml` (the best completed
trial's settings, for `cinder train --preset`), run directories under `<out>/runs/` and Ray's
own records under `<out>/ray/` (or `--storage`).
"""

import argparse
import csv
import itertools
import json
import math
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import tomli_w

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cinder_trial  # noqa: E402
import sweep_input  # noqa: E402
from sweep_input import (  # noqa: E402
    SweepInputError,
    parse_grid,
    parse_seeds,
    parse_space,
    toml_literal,
)

RESULT_COLUMNS = ["eval_mean", "wall_seconds", "status", "run_dir", "error"]


def arguments(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--algo", required=True, help="cinder algorithm id (ppo, sac, ...)")
    p.add_argument("--env", required=True, help="environment id (CartPole-v1, gym:<id>, ...)")
    p.add_argument("--steps", type=int, help="environment steps per trial (the preset's otherwise)")
    p.add_argument("--seeds", default="0", help="seeds to grid over: 0,1,2 or 0-4 [0]")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=V1[,V2...]",
        help="a setting to grid over (repeatable); values in TOML syntax",
    )
    p.add_argument("--search", choices=["grid", "optuna"], default="grid")
    p.add_argument("--trials", type=int, default=16, help="Optuna trials [16]")
    p.add_argument("--space", type=Path, help="Optuna search space (TOML; see README.md)")
    p.add_argument(
        "--scheduler",
        choices=["asha", "none"],
        help="early stopping (asha: the default with --search optuna)",
    )
    p.add_argument(
        "--grace-steps",
        type=int,
        help="steps before ASHA may stop a trial (its first rung) [a ninth of the budget]",
    )
    p.add_argument(
        "--metric",
        default="return_mean",
        help="progress.csv column that ASHA and Optuna maximise [return_mean]",
    )
    p.add_argument("--cinder", help="the cinder binary (PATH's otherwise)")
    p.add_argument("--out", type=Path, help="results directory [sweeps/<algo>-<env>-<time>]")
    p.add_argument("--storage", help="Ray's storage path (shared or cloud on a cluster)")
    p.add_argument("--address", help="an existing Ray cluster (auto: the one this node is in)")
    p.add_argument("--cpus-per-trial", type=int, default=1, help="threads each trial uses [1]")
    p.add_argument("--max-failures", type=int, default=3, help="retries of a killed trial [3]")
    p.add_argument("--max-concurrent", type=int, help="trials running at once (cluster's CPUs)")
    p.add_argument("--env-kwargs", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--save-buffer", action="store_true", help="snapshots keep the replay memory")
    return p.parse_args(argv)


def fail(message):
    print(f"sweep: {message}", file=sys.stderr)
    sys.exit(2)


def find_cinder(path):
    found = path or shutil.which("cinder")
    if not found or not os.access(found, os.X_OK):
        fail(f"no cinder binary at {found}" if found else "no cinder on PATH: give --cinder")
    return str(Path(found).resolve())


def dry_run(sweep, seed, settings):
    """The config.toml `cinder train --dry-run` prints for one trial (exits on bad input)."""
    command = [sweep["cinder"], "train", sweep["algo"], "--env", sweep["env"], "--dry-run"]
    command += ["--seed", str(seed)] + list(sweep["extra"])
    if sweep["steps"] is not None:
        command += ["--steps", str(sweep["steps"])]
    for key, value in settings.items():
        command += ["--set", f"{key}={value}"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        shown = " ".join(f"{k}={v}" for k, v in settings.items())
        fail(f"{shown or 'the preset'}: {done.stderr.strip()}")
    return tomllib.loads(done.stdout)


def check_before_start(args, sweep, seeds):
    """Every setting a trial can get, checked by cinder itself: (space, total steps)."""
    if args.search == "grid":
        if args.space is not None:
            fail("--space is for --search optuna")
        grid = parse_grid(args.set)
        for combination in itertools.product(*grid.values()):
            config = dry_run(sweep, seeds[0], dict(zip(grid, combination)))
        from ray import tune

        space = {key: tune.grid_search(values) for key, values in grid.items()}
        space["seed"] = tune.grid_search(seeds)
    else:
        if args.set:
            fail("--set grids are for --search grid; give ranges in --space")
        if args.space is None:
            fail("--search optuna needs --space")
        if len(seeds) != 1:
            fail("--search optuna searches one seed: give one in --seeds")
        if args.trials < 1:
            fail("--trials must be at least 1")
        space, extremes = parse_space(args.space)
        config = dry_run(sweep, seeds[0], {})
        for key, values in extremes.items():
            for value in values:
                dry_run(sweep, seeds[0], {key: toml_literal(value)})
        space["seed"] = seeds[0]
    return space, int(config["settings"]["total_steps"])


def main(argv=None):
    args = arguments(argv)
    try:
        seeds = parse_seeds(args.seeds)
    except SweepInputError as e:
        fail(e)
    if args.cpus_per_trial < 1 or args.max_failures < 0:
        fail("--cpus-per-trial must be at least 1 and --max-failures at least 0")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = f"{args.algo}-{args.env}-{stamp}".replace(":", "_").replace("?", "_")
    out = (args.out or Path("sweeps") / name).resolve()
    extra = [x for kv in args.env_kwargs for x in ("--env-kwargs", kv)]
    extra += ["--save-buffer"] if args.save_buffer else []
    sweep = dict(
        cinder=find_cinder(args.cinder),
        algo=args.algo,
        env=args.env,
        steps=args.steps,
        runs=str(out / "runs"),
        threads=args.cpus_per_trial,
        workers=args.cpus_per_trial,
        extra=extra,
    )
    try:
        space, total_steps = check_before_start(args, sweep, seeds)
    except SweepInputError as e:
        fail(e)
    keys = [k for k in space if k != "seed"]
    sweep["keys"] = keys
    out.mkdir(parents=True, exist_ok=True)

    import ray
    import ray.cloudpickle
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    # Workers on other nodes do not have this folder: ship the trainable's module by value.
    ray.cloudpickle.register_pickle_by_value(cinder_trial)
    ray.cloudpickle.register_pickle_by_value(sweep_input)
    # A checkpoint per snapshot is by design; Ray warns when they come faster than every 5 s.
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    ray.init(address=args.address, log_to_driver=False)
    scheduler = args.scheduler or ("asha" if args.search == "optuna" else "none")
    tune_config = dict(metric=args.metric, mode="max", max_concurrent_trials=args.max_concurrent)
    if scheduler == "asha":
        tune_config["scheduler"] = ASHAScheduler(
            time_attr="total_steps",
            max_t=total_steps,
            grace_period=args.grace_steps or max(1, total_steps // 9),
            reduction_factor=3,
            # A trial that reaches the budget finishes its run (and final evaluation).
            stop_last_trials=False,
        )
    if args.search == "optuna":
        from ray.tune.search.optuna import OptunaSearch

        tune_config["search_alg"] = OptunaSearch(seed=seeds[0])
        tune_config["num_samples"] = args.trials
    tuner = tune.Tuner(
        tune.with_resources(
            tune.with_parameters(cinder_trial.CinderTrial, sweep=sweep),
            {"cpu": args.cpus_per_trial},
        ),
        param_space=space,
        tune_config=tune.TuneConfig(
            trial_dirname_creator=lambda trial: trial.trial_id, **tune_config
        ),
        run_config=tune.RunConfig(
            name=name,
            storage_path=args.storage or str(out / "ray"),
            failure_config=tune.FailureConfig(max_failures=args.max_failures),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
            verbose=1,
        ),
    )
    grid = tuner.fit()
    rows = [result_row(result, keys, Path(sweep["runs"])) for result in grid]
    write_results(out, rows, keys)
    best = write_best_preset(out, rows)
    completed = sum(r["status"] == "completed" for r in rows)
    print(f"{len(rows)} trials: {completed} completed; results: {out / 'results.csv'}")
    if best is not None:
        preset = out / "best_preset.toml"
        print(f"best: {best['trial']} eval_mean {best['eval_mean']:.2f}; preset: {preset}")
    ray.shutdown()
    return 0 if completed else 1


def result_row(result, keys, runs):
    """One line of results.csv from a Tune result."""
    metrics = result.metrics or {}
    trial = metrics.get("trial_id") or Path(result.path).name
    settings = cinder_trial.settings_of(result.config, keys)
    run_dir = metrics.get("run_dir")
    if run_dir is None and (runs / trial).is_dir():
        found = cinder_trial.run_dir_of(runs / trial)
        run_dir = str(found) if found else ""
    eval_mean = metrics.get("eval_mean", math.nan)
    summary = Path(run_dir) / "summary.json" if run_dir else None
    if result.error is not None:
        status = "failed"
    elif summary is not None and summary.is_file():
        # A run can finish in the moment between ASHA's decision and the kill: it completed.
        status = "completed"
        eval_mean = json.loads(summary.read_text())["eval_mean"]
    else:
        status = "stopped early"
    error = ""
    if result.error is not None:
        error = " ".join(str(result.error).split())[-cinder_trial.STDERR_TAIL :]
    return dict(
        trial=trial,
        seed=result.config.get("seed"),
        **settings,
        eval_mean=eval_mean,
        wall_seconds=round(metrics.get("time_total_s", math.nan), 3),
        status=status,
        run_dir=run_dir or "",
        error=error,
    )


def write_results(out, rows, keys):
    with open(out / "results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, ["trial", "seed", *keys, *RESULT_COLUMNS])
        writer.writeheader()
        writer.writerows(rows)


def write_best_preset(out, rows):
    """The completed trial with the highest final eval_mean, as a `--preset` file."""
    done = [r for r in rows if r["status"] == "completed" and not math.isnan(r["eval_mean"])]
    if not done:
        return None
    best = max(done, key=lambda r: r["eval_mean"])
    with open(Path(best["run_dir"]) / "config.toml", "rb") as f:
        config = tomllib.load(f)
    header = (
        f"# Best of {len(rows)} trials of a sweep: trial {best['trial']}, seed {best['seed']}, "
        f"final eval_mean {best['eval_mean']:.2f}\n# run: {best['run_dir']}\n"
    )
    text = tomli_w.dumps({config["env"]: config["settings"]})
    (out / "best_preset.toml").write_text(header + text)
    return best


if __name__ == "__main__":
    sys.exit(main())
