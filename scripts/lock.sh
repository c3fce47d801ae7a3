#!/usr/bin/env bash
# Relock uv.lock after pyproject.toml's dependencies changed: versions already locked stay unless
# a new range excludes them. Arguments go to `uv lock` (e.g. --upgrade-package boto3, --upgrade).
set -euo pipefail
cd "$(dirname "$0")/.."
uv=.venv/bin/uv
[ -x "$uv" ] || uv=$(command -v uv) || { echo "lock: no uv (run scripts/setup.sh, or pip install uv)" >&2; exit 1; }
"$uv" lock "$@"
# torch must stay the local CPU build ([tool.uv.sources]); a registry torch would pull CUDA.
if grep -A2 '^name = "torch"$' uv.lock | grep -q 'registry'; then
  echo "lock: torch resolved from a registry, not the CPU wheel: check [tool.uv.sources]" >&2; exit 1
fi
if grep -q '^name = "nvidia-' uv.lock; then
  echo "lock: the lock holds NVIDIA CUDA packages: something pulls a CUDA build" >&2; exit 1
fi
