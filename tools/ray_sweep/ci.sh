#!/usr/bin/env bash
# The Ray leg of CI: the sweep driver's pytest suite (grid, Optuna + ASHA, a failing trial, bad
# input, a trial killed with kill -9 and resumed), each on a local Ray that the test starts,
# against the release `cinder` (or $CINDER_BIN). Needs python3 (from PyPI: requirements.txt);
# .ci/run skips this leg with one line without python3.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv="${CINDER_RAY_VENV:-$HOME/.cache/cinder/ray-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -r tools/ray_sweep/requirements.txt

# CINDER_BIN: the `cinder` to sweep with (.ci/run passes its test build's); without it, a
# release build with the features of xtask's benchmark build, so that the legs share one
# release build of burn (onnx-ir and the Arrow readers turn on features of crates burn shares).
if [ -z "${CINDER_BIN:-}" ]; then
    cargo build --release -q -p cinder --bin cinder --features minari,onnx
    export CINDER_BIN="${CARGO_TARGET_DIR:-target}/release/cinder"
fi
"$venv/bin/python" -m pytest -q tools/ray_sweep
