#!/usr/bin/env bash
# Install everything lambdaserve and its tests need, from scratch and idempotently:
# Debian's image tools (registry, skopeo, umoci, runc, buildah, mmdebstrap) and a .venv with exactly
# the versions uv.lock holds.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(docker-registry skopeo umoci runc buildah mmdebstrap binutils util-linux curl ca-certificates
              python3-venv  # Debian's python3 has no venv module without it
              chromium chromium-driver)  # the try-it page's browser test
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to apt-get install: ${missing[*]}" >&2; exit 1
  fi
  echo "setup: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# uv at the version uv.lock names, then exactly what uv.lock says (the project itself editable).
# torch comes from the CPU wheel on this machine's disk ([tool.uv.sources] in pyproject.toml):
# PyPI's Linux torch pulls gigabytes of CUDA.
uv_version=$(sed -n '/^name = "uv"$/{n;s/^version = "\(.*\)"$/\1/p;}' uv.lock)
if [ "$(.venv/bin/uv --version 2>/dev/null | cut -d' ' -f2)" != "$uv_version" ]; then
  .venv/bin/python -m pip install -q "uv==$uv_version"
fi
if ! .venv/bin/uv sync --locked --extra dev --quiet; then
  echo "setup: uv.lock does not match pyproject.toml (or a locked file is missing): relock with" \
       "bash scripts/lock.sh, then commit uv.lock" >&2
  exit 1
fi
# ministack, the second local control plane of the template transition tests
# (tests/cloud/ministack.py), pins botocore exactly: it gets a virtualenv of its own.
if [ ! -x .venv-ministack/bin/ministack ]; then
  "$PYTHON" -m venv .venv-ministack
  .venv-ministack/bin/python -m pip install -q "ministack==1.5.33"
fi
