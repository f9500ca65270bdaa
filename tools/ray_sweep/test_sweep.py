"""The Ray sweep driver end to end, each test on a local Ray that `sweep.py` starts.

    CINDER_BIN=target/release/cinder python3 -m pytest tools/ray_sweep

Needs `ray[tune]`, `optuna`, `tomli-w` and a built `cinder` (CINDER_BIN, or cinder on PATH).
"""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SWEEP = HERE / "sweep.py"
CINDER = os.environ.get("CINDER_BIN") or shutil.which("cinder")
TIME_COLUMNS = {"wall_seconds", "steps_per_second", "updates_per_second"}

pytestmark = pytest.mark.skipif(CINDER is None, reason="no cinder binary (CINDER_BIN)")


def sweep(out, *args, cinder=None, wait=True):
    command = [sys.executable, str(SWEEP), "--cinder", cinder or CINDER, "--out", str(out)]
    command += ["--algo", "ppo", "--env", "CartPole-v1", *args]
    if not wait:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return subprocess.run(command, capture_output=True, text=True, timeout=900)


def results(out):
    with open(out / "results.csv") as f:
        return list(csv.DictReader(f))


def progress(run_dir):
    """progress.csv without the clock's columns."""
    with open(Path(run_dir) / "progress.csv") as f:
        rows = csv.DictReader(f)
        return [{k: v for k, v in row.items() if k not in TIME_COLUMNS} for row in rows]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not running: only its parent has not reaped it yet.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def test_a_grid_of_seeds_and_settings_gives_a_row_per_trial_and_a_best_preset(tmp_path):
    done = sweep(tmp_path, "--steps", "20000", "--seeds", "0,1", "--set", "lr=3e-4,1e-3")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = results(tmp_path)
    assert len(rows) == 4
    assert {(r["seed"], r["lr"]) for r in rows} == {
        (s, lr) for s in ("0", "1") for lr in ("3e-4", "1e-3")
    }
    for row in rows:
        assert row["status"] == "completed", row
        assert float(row["eval_mean"]) > 0
        summary = json.loads((Path(row["run_dir"]) / "summary.json").read_text())
        assert summary["eval_mean"] == float(row["eval_mean"])
    best = max(rows, key=lambda r: float(r["eval_mean"]))
    # The best preset, given back to cinder with the best trial's seed, trains the same run.
    preset = tmp_path / "best_preset.toml"
    again = subprocess.run(
        [CINDER, "train", "ppo", "--env", "CartPole-v1", "--preset", str(preset), "--seed",
         best["seed"], "--out", str(tmp_path / "again"), "--quiet"],
        capture_output=True, text=True, env=dict(os.environ, RAYON_NUM_THREADS="1"),
    )
    assert again.returncode == 0, again.stderr
    (run,) = (tmp_path / "again").iterdir()
    assert progress(run) == progress(best["run_dir"])
    with open(preset, "rb") as f:
        assert tomllib.load(f)["CartPole-v1"]["lr"] == float(best["lr"])


def test_an_optuna_search_with_asha_stops_bad_trials_early_and_kills_them(tmp_path):
    space = tmp_path / "space.toml"
    space.write_text(
        "lr = { low = 1e-4, high = 3e-3, log = true }\n"
        "n_steps = { low = 16, high = 64, step = 16 }\n"
        "gamma = [0.98, 0.99]\n"
    )
    done = sweep(tmp_path, "--steps", "20000", "--search", "optuna", "--trials", "8",
                 "--space", str(space))
    assert done.returncode == 0, done.stdout + done.stderr
    rows = results(tmp_path)
    assert len(rows) == 8
    assert len({r["lr"] for r in rows}) == 8
    stopped = [r for r in rows if r["status"] == "stopped early"]
    assert stopped and any(r["status"] == "completed" for r in rows), rows
    for row in stopped:
        parent = Path(row["run_dir"]).parent
        assert not (Path(row["run_dir"]) / "summary.json").exists()
        assert int(progress(row["run_dir"])[-1]["total_steps"]) < 20000
        assert not alive(int((parent / "cinder.pid").read_text()))
    assert (tmp_path / "best_preset.toml").exists()


def test_a_failing_trial_is_reported_with_its_stderr_and_the_sweep_goes_on(tmp_path):
    # A cinder that fails the training of seed 1 (its dry runs pass).
    wrapper = tmp_path / "cinder"
    wrapper.write_text(
        "#!/bin/sh\n"
        'case " $* " in *" --dry-run "*) ;; *" --seed 1 "*)\n'
        '  echo "error: the loss became NaN in iteration 3" >&2; exit 1;; esac\n'
        f'exec "{Path(CINDER).resolve()}" "$@"\n'
    )
    wrapper.chmod(0o755)
    done = sweep(tmp_path / "out", "--steps", "4000", "--seeds", "0,1", cinder=str(wrapper))
    assert done.returncode == 0, done.stdout + done.stderr
    by_seed = {r["seed"]: r for r in results(tmp_path / "out")}
    assert by_seed["0"]["status"] == "completed"
    assert by_seed["1"]["status"] == "failed"
    assert "the loss became NaN in iteration 3" in by_seed["1"]["error"]
    # Not rerun: the failure is cinder's own, Ray's retries return it at once.
    failed = next(p for p in (tmp_path / "out" / "runs").iterdir() if (p / "failed.txt").exists())
    assert (failed / "attempts.log").read_text().count("train") == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "bogus=1,2"], "unknown setting `bogus` for ppo"),
        (["--set", "lr=1e-3,-1"], "lr=-1"),
        (["--seeds", "3-1"], "--seeds"),
        (["--search", "optuna", "--space", "missing.toml"], "missing.toml"),
    ],
)
def test_bad_input_fails_before_any_trial_starts(tmp_path, args, message):
    done = sweep(tmp_path, "--steps", "1000", *args)
    assert done.returncode == 2
    assert message in done.stderr, done.stderr
    assert not (tmp_path / "ray").exists() and not (tmp_path / "runs").exists()


def test_a_bad_space_fails_before_any_trial_starts(tmp_path):
    space = tmp_path / "space.toml"
    for text, message in [
        ("lr = { low = 3e-3, high = 1e-4 }\n", "low must be below high"),
        ("lr = { low = 0.0, high = 1e-3, log = true }\n", "log range needs low > 0"),
        ("bogus = [1, 2]\n", "unknown setting `bogus`"),
        ("gamma = { low = 0.5, high = 2.0 }\n", "gamma"),
    ]:
        space.write_text(text)
        done = sweep(tmp_path, "--steps", "1000", "--search", "optuna", "--space", str(space))
        assert done.returncode == 2, text
        assert message in done.stderr, (text, done.stderr)


def test_a_killed_trial_is_retried_from_its_snapshot_and_ends_as_an_uninterrupted_run(tmp_path):
    args = ["--steps", "60000", "--seeds", "0", "--set", "eval_every=4"]
    running = sweep(tmp_path / "out", *args, wait=False)
    runs = tmp_path / "out" / "runs"
    deadline = time.time() + 600
    killed = None
    while killed is None and time.time() < deadline and running.poll() is None:
        time.sleep(0.05)
        for meta in runs.glob("*/*/snapshots/latest/meta.json"):
            parent = meta.parents[3]
            if json.loads(meta.read_text())["iteration"] >= 8:
                killed = int((parent / "cinder.pid").read_text())
                os.kill(killed, signal.SIGKILL)
    assert killed is not None, "no snapshot before the run ended"
    output = running.communicate(timeout=900)[0].decode()
    assert running.returncode == 0, output
    (row,) = results(tmp_path / "out")
    assert row["status"] == "completed", row
    attempts = (Path(row["run_dir"]).parent / "attempts.log").read_text().splitlines()
    assert [a.split()[2] for a in attempts] == ["train", "resume"], attempts
    # The same run without the kill.
    direct = subprocess.run(
        [CINDER, "train", "ppo", "--env", "CartPole-v1", "--seed", "0", "--steps", "60000",
         "--set", "eval_every=4", "--workers", "1", "--out", str(tmp_path / "direct"), "--quiet"],
        capture_output=True, text=True, env=dict(os.environ, RAYON_NUM_THREADS="1"),
    )
    assert direct.returncode == 0, direct.stderr
    (run,) = (tmp_path / "direct").iterdir()
    assert progress(row["run_dir"]) == progress(run)
