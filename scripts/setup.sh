#!/usr/bin/env bash
# Install everything lambdaserve and its tests need, from scratch and idempotently:
# Debian's image tools (registry, skopeo, umoci, runc, buildah, mmdebstrap) and a .venv with pinned deps.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(docker-registry skopeo umoci runc buildah mmdebstrap binutils util-linux curl ca-certificates
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
# A current pip: pip 23 with --python-version silently resolves old releases for the target.
.venv/bin/python -m pip install -q "pip==26.3"
# torch is pinned to the CPU build that lies on this machine's disk; an unpinned torch pulls CUDA.
.venv/bin/python -m pip install -q -e ".[dev]"
# ministack, the second local control plane of the template transition tests
# (tests/cloud/ministack.py), pins botocore exactly: it gets a virtualenv of its own.
if [ ! -x .venv-ministack/bin/ministack ]; then
  "$PYTHON" -m venv .venv-ministack
  .venv-ministack/bin/python -m pip install -q "ministack==1.5.33"
fi
