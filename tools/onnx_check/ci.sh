#!/usr/bin/env bash
# The ONNX leg of CI: PPO on CartPole-v1 and SAC on Pendulum-v1 (normalize_obs) trained by
# `cinder` (release, or $CINDER_BIN), exported to ONNX and run by onnxruntime inside
# Gymnasium's own environments over 10 episodes; fails below 475 / -250. Needs python3 (from PyPI: gymnasium,
# onnxruntime, numpy, pinned below); .ci/run skips it with one line without python3.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv="${CINDER_VENV:-$HOME/.cache/cinder/venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q gymnasium==1.4.0 onnxruntime==1.31.1 numpy

# CINDER_BIN: a `cinder` built with the `onnx` feature (.ci/run passes its test build's);
# without it, a release build with the features of xtask's benchmark build, so that the legs
# share one release build of burn (onnx-ir and the Arrow readers turn on features of crates
# burn shares).
cinder="${CINDER_BIN:-}"
if [ -z "$cinder" ]; then
    cargo build --release -q -p cinder --bin cinder --features minari,onnx
    cinder="${CARGO_TARGET_DIR:-target}/release/cinder"
fi
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT

check() { # algo env bar settings...
    local algo=$1 env=$2 bar=$3
    shift 3
    "$cinder" train "$algo" --env "$env" --seed 0 --out "$runs" --quiet "$@" | head -1
    local dir
    dir=$(ls -d "$runs/$algo-$env"-*)
    "$cinder" export "$dir" --format onnx
    "$venv/bin/python" tools/onnx_check/run_policy.py "$dir/policy.onnx" --env "$env" \
        --episodes 10 --min-mean "$bar"
}

check ppo CartPole-v1 475
check sac Pendulum-v1 -250 --set normalize_obs=true
