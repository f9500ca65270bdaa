"""What a sweep varies: seeds, `--set` grids and Optuna search spaces, and how a value is written
back as a `cinder train --set key=value` argument.

Values stay in TOML syntax from end to end (`cinder` parses `--set` values as TOML, bare words
as strings), so `hidden=[64,64]` or `lr_schedule=linear` reach `cinder` as the user wrote them.
"""

import math
import tomllib

import tomli_w
from ray import tune


class SweepInputError(ValueError):
    """Bad sweep input, found before any trial starts."""


def parse_seeds(text):
    """`0,1,5` or `0-4` (or a mix: `0-2,7`) as a sorted list of distinct seeds."""
    seeds = set()
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part:
                low, high = (int(x) for x in part.split("-", 1))
                if low > high:
                    raise ValueError
                seeds.update(range(low, high + 1))
            else:
                seeds.add(int(part))
        except ValueError:
            raise SweepInputError(f"--seeds: `{part}` is not a seed or a range low-high") from None
    if any(s < 0 for s in seeds):
        raise SweepInputError("--seeds: seeds are non-negative")
    return sorted(seeds)


def split_top_level(text):
    """`text` split at commas outside brackets: `[64,64],[256,256]` is two values."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def parse_grid(sets):
    """Each `--set key=v1,v2,...` as key -> list of value strings (in the order given)."""
    grid = {}
    for item in sets:
        key, sep, values = item.partition("=")
        key = key.strip()
        if not sep or not key or not values.strip():
            raise SweepInputError(f"--set `{item}`: expected KEY=VALUE[,VALUE...]")
        if key in grid:
            raise SweepInputError(f"--set `{key}` given twice")
        if key in ("seed", "total_steps"):
            raise SweepInputError(f"--set `{key}`: use --seeds / --steps")
        grid[key] = split_top_level(values)
        if any(v == "" for v in grid[key]):
            raise SweepInputError(f"--set `{item}`: an empty value")
    return grid


def toml_literal(value):
    """`value` (a number, string, bool or list) as the TOML text `cinder --set` takes."""
    if isinstance(value, float) and not math.isfinite(value):
        raise SweepInputError(f"{value} is not a finite number")
    return tomli_w.dumps({"v": value}).split("=", 1)[1].strip()


def parse_space(path):
    """An Optuna search space from a TOML file: per key a range table or a list of choices.

        lr = { low = 1e-4, high = 3e-3, log = true }   # float range (log-uniform)
        n_steps = { low = 16, high = 128, step = 16 }  # integer range (both bounds integers)
        gamma = [0.98, 0.99, 0.995]                    # choices
        hidden = [[64, 64], [256, 256]]

    Returns (key -> Tune domain, key -> the extreme values to check before starting).
    """
    try:
        with open(path, "rb") as f:
            table = tomllib.load(f)
    except OSError as e:
        raise SweepInputError(f"--space {path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise SweepInputError(f"--space {path}: {e}") from None
    if not table:
        raise SweepInputError(f"--space {path}: no settings to search")
    space, extremes = {}, {}
    for key, spec in table.items():
        where = f"--space {path}: `{key}`"
        if key in ("seed", "total_steps"):
            raise SweepInputError(f"{where}: use --seeds / --steps")
        if isinstance(spec, list):
            if not spec:
                raise SweepInputError(f"{where}: an empty list of choices")
            space[key] = tune.choice(spec)
            extremes[key] = list(spec)
            continue
        if not isinstance(spec, dict):
            raise SweepInputError(f"{where}: expected a table {{ low, high }} or a list")
        unknown = set(spec) - {"low", "high", "log", "step"}
        if unknown or "low" not in spec or "high" not in spec:
            raise SweepInputError(f"{where}: a range has low, high and optionally log, step")
        low, high, log, step = spec["low"], spec["high"], spec.get("log", False), spec.get("step")
        numbers = (int, float)
        if not all(isinstance(x, numbers) and not isinstance(x, bool) for x in (low, high)):
            raise SweepInputError(f"{where}: low and high must be numbers")
        if not low < high:
            raise SweepInputError(f"{where}: low must be below high")
        if log and low <= 0:
            raise SweepInputError(f"{where}: a log range needs low > 0")
        if not isinstance(log, bool):
            raise SweepInputError(f"{where}: log is true or false")
        if isinstance(low, int) and isinstance(high, int):
            step = 1 if step is None else step
            if not isinstance(step, int) or step < 1:
                raise SweepInputError(f"{where}: an integer range's step is a positive integer")
            # Tune's integer ranges exclude `high` unless quantised; qrandint includes it.
            if log:
                space[key] = tune.qlograndint(low, high, step)
            else:
                space[key] = tune.qrandint(low, high, step)
        else:
            low, high = float(low), float(high)
            if step is not None:
                space[key] = (tune.qloguniform if log else tune.quniform)(low, high, float(step))
            else:
                space[key] = (tune.loguniform if log else tune.uniform)(low, high)
        extremes[key] = [low, high]
    return space, extremes
