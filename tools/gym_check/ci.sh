#!/usr/bin/env bash
# The Gymnasium leg of CI: the bridge (cinder-gym) and the facade's `gym` feature, linted and
# tested against gymnasium 1.4.0 from PyPI (classic control only: no box2d or MuJoCo here).
# Needs python3 with a shared libpython (the one pyo3 embeds); .ci/run skips this leg with one
# line without python3. The main matrix (`cargo xtask ci`) never builds the bridge.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv="${CINDER_VENV:-$HOME/.cache/cinder/venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q gymnasium==1.4.0 numpy

# pyo3 builds against this interpreter's libpython and the bridge reads this venv's packages.
export PYO3_PYTHON="$venv/bin/python" VIRTUAL_ENV="$venv"
# Linted as the main matrix is (`cargo xtask ci`): clippy's driver compiles the workspace's
# crates, with -D warnings, in the builds of these tests.
export RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
# The main matrix's selection and backends plus `gym`, so that its build of burn is reused.
features=flex,ndarray,wgpu,minari,onnx,gym
cargo test -p cinder-gym --lib
# The CLI tests' `gym` parts are compiled (and linted) here; the main matrix runs the rest.
cargo test --workspace --features "$features" --test cli --no-run
cargo test --workspace --features "$features" --test gym
