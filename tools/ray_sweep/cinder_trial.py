"""One Ray Tune trial: a `cinder train` process, followed through its progress.csv.

Each trial trains in its own parent directory `<runs>/<trial id>/` (cinder makes the run
directory `<algo>-<env>-<timestamp>` inside). Every complete row of progress.csv is reported to
Tune as it appears (rows written faster than the poll interval are reported together, up to the
next evaluation row, which is never skipped). When cinder writes a new snapshot, the trial asks
Tune for a checkpoint: a copy of the run directory, so that a retried trial (`max_failures`)
goes on with `cinder resume` on any node, whether or not the runs directory is shared.

cinder runs in its own process group, which is killed when Tune stops the trial (ASHA, the end
of the sweep) and, on Linux, when the worker process dies (parent-death signal), so no orphan
keeps a core busy.
"""

import csv
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from ray import tune
from sweep_input import toml_literal

POLL_SECONDS = 0.2
# Columns that differ between two runs of the same trial: the clock's.
TIME_COLUMNS = ("wall_seconds", "steps_per_second", "updates_per_second")
STDERR_TAIL = 2000


class CinderFailed(RuntimeError):
    """cinder exited with an error of its own (bad input, a NaN loss): retrying cannot help."""


class CinderKilled(RuntimeError):
    """cinder died from a signal (OOM killer, kill -9, a node going away): Ray retries it."""


def _parent_death_signal():
    """A `preexec_fn` that has the kernel SIGKILL the child when its parent thread dies (Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1

    def arm():
        prctl(pr_set_pdeathsig, signal.SIGKILL)

    return arm


def run_dir_of(parent):
    """The run directory cinder made under `parent`, or None."""
    dirs = [d for d in Path(parent).iterdir() if (d / "config.toml").is_file()]
    return dirs[0] if len(dirs) == 1 else None


def snapshot_iteration(run_dir):
    """The iteration of the run's latest snapshot, or None without one."""
    try:
        meta = json.loads((Path(run_dir) / "snapshots" / "latest" / "meta.json").read_text())
        return int(meta["iteration"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def number(text):
    """A progress.csv cell as a float (NaN when empty)."""
    try:
        return float(text)
    except ValueError:
        return float("nan")


def settings_of(config, keys):
    """A trial's settings as `cinder --set` values (Optuna's come as numbers, grids' as text)."""
    return {k: v if isinstance(v, str) else toml_literal(v) for k, v in config.items() if k in keys}


class CinderTrial(tune.Trainable):
    """A Tune trainable that runs one `cinder train` (or `cinder resume`) per trial.

    `config` holds the trial's `seed` and settings (as `--set` values); `sweep` what every
    trial shares (binary, algorithm, environment, steps, runs directory, threads, the keys of
    the settings, extra arguments).
    """

    def setup(self, config, sweep):
        self.sweep = sweep
        self.seed = int(config["seed"])
        self.settings = settings_of(config, sweep["keys"])
        self.parent = Path(sweep["runs"]) / self.trial_id
        self.parent.mkdir(parents=True, exist_ok=True)
        self.process = None
        self.rows_done = 0
        self.last = {}

    # -- the cinder process -------------------------------------------------------------

    def _command(self):
        run_dir = run_dir_of(self.parent)
        if (self.parent / "failed.txt").exists():
            # A deterministic failure reported before: fail again without rerunning it.
            raise CinderFailed((self.parent / "failed.txt").read_text())
        binary = self.sweep["cinder"]
        if run_dir is not None and snapshot_iteration(run_dir) is not None:
            self._log(f"resume {run_dir.name} from iteration {snapshot_iteration(run_dir)}")
            return [binary, "resume", str(run_dir), "--quiet"]
        if run_dir is not None:
            shutil.rmtree(run_dir)  # died before its first snapshot: start over
        self._log("train")
        command = [binary, "train", self.sweep["algo"], "--env", self.sweep["env"]]
        command += ["--seed", str(self.seed), "--out", str(self.parent), "--quiet"]
        command += ["--workers", str(self.sweep["workers"])]
        if self.sweep["steps"] is not None:
            command += ["--steps", str(self.sweep["steps"])]
        for key, value in self.settings.items():
            command += ["--set", f"{key}={value}"]
        return command + list(self.sweep["extra"])

    def _log(self, line):
        with open(self.parent / "attempts.log", "a") as f:
            f.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")

    def _start(self):
        command = self._command()
        env = dict(os.environ, RAYON_NUM_THREADS=str(self.sweep["threads"]))
        self.stderr_path = self.parent / "cinder.stderr"
        with open(self.parent / "cinder.stdout", "ab") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                command,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
                preexec_fn=_parent_death_signal(),
            )
        (self.parent / "cinder.pid").write_text(str(self.process.pid))
        self.run_dir = None
        self.rows_done = 0
        self.snapshot_seen = None

    def _kill(self):
        """Kills cinder's whole process group and waits for cinder itself. (Once cinder has
        exited and been reaped its pid may be reused, so its group is not signalled then;
        cinder starts no processes of its own.)"""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()

    # -- following progress.csv ---------------------------------------------------------

    def _new_rows(self):
        """Complete rows of progress.csv not reported yet (a torn last line waits)."""
        if self.run_dir is None:
            self.run_dir = run_dir_of(self.parent)
            if self.run_dir is None:
                return []
        try:
            text = (self.run_dir / "progress.csv").read_text()
        except OSError:
            return []
        text = text[: text.rfind("\n") + 1]
        rows = list(csv.DictReader(text.splitlines()))
        if len(rows) < self.rows_done:
            # cinder resume dropped the rows after its snapshot: follow from there.
            self.rows_done = len(rows)
        new = rows[self.rows_done :]
        # Report up to the next evaluation row, so that no evaluation is folded away.
        for i, row in enumerate(new):
            if row.get("eval_mean"):
                return new[: i + 1]
        return new

    def _report(self, rows):
        self.rows_done += len(rows)
        for row in rows:
            for key, value in row.items():
                if value != "":  # carried forward: every report has every column
                    self.last[key] = number(value)
        result = dict(self.last)
        iteration = snapshot_iteration(self.run_dir)
        if iteration is not None and iteration != self.snapshot_seen:
            self.snapshot_seen = iteration
            result["should_checkpoint"] = True
        return result

    def step(self):
        if self.process is None:
            self._start()
        while True:
            rows = self._new_rows()
            if rows:
                return self._report(rows)
            code = self.process.poll()
            if code is None:
                time.sleep(POLL_SECONDS)
                continue
            rows = self._new_rows()  # written just before exiting
            if rows:
                return self._report(rows)
            return self._finish(code)

    def _finish(self, code):
        tail = self.stderr_path.read_text(errors="replace")[-STDERR_TAIL:].strip()
        if code < 0:
            raise CinderKilled(f"cinder died from signal {-code}: {tail}")
        if code > 0:
            message = f"cinder exited with {code}: {tail}"
            (self.parent / "failed.txt").write_text(message)
            raise CinderFailed(message)
        summary = json.loads((self.run_dir / "summary.json").read_text())
        result = dict(self.last)
        result.update(
            eval_mean=summary["eval_mean"],
            eval_std=summary["eval_std"],
            completed=1,
            run_dir=str(self.run_dir),
            done=True,
        )
        return result

    # -- checkpoints: a copy of the run directory ---------------------------------------

    def save_checkpoint(self, checkpoint_dir):
        target = Path(checkpoint_dir) / "run"
        for _ in range(10):
            if target.exists():
                shutil.rmtree(target)
            try:
                shutil.copytree(self.run_dir, target)
            except (shutil.Error, OSError):
                continue  # a file replaced while it was copied
            # A snapshot written during the copy would mix two snapshots' files: copy again.
            if snapshot_iteration(target) == snapshot_iteration(self.run_dir):
                break
        (Path(checkpoint_dir) / "run_name").write_text(self.run_dir.name)
        return None

    def load_checkpoint(self, checkpoint_dir):
        """Puts the checkpoint's run directory in place unless a newer one is already there
        (a shared runs directory)."""
        saved = Path(checkpoint_dir) / "run"
        local = run_dir_of(self.parent)
        if local is not None and (snapshot_iteration(local) or -1) >= (
            snapshot_iteration(saved) or -1
        ):
            return
        if local is not None:
            shutil.rmtree(local)
        name = (Path(checkpoint_dir) / "run_name").read_text().strip()
        shutil.copytree(saved, self.parent / name)

    def cleanup(self):
        self._kill()
