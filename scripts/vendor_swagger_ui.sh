#!/usr/bin/env bash
# Re-vendor Swagger UI's browser bundle into lambdaserve/vendor/swagger_ui from the pinned npm
# tarball, refusing it unless its sha512 matches the registry's integrity value recorded here.
# The files are committed (they must ship with a plain pip install); run this only to re-check
# them or to move to another pinned version (then update VERSION, INTEGRITY and runtime/docs.py).
set -euo pipefail
VERSION=5.35.0
INTEGRITY="sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ=="
FILES=(swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css LICENSE NOTICE)

cd "$(dirname "$0")/.."
dest=lambdaserve/vendor/swagger_ui
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null)
tarball="$work/swagger-ui-dist-$VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual" != "$INTEGRITY" ]; then
  echo "vendor_swagger_ui: integrity mismatch for swagger-ui-dist@$VERSION: $actual" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work"
mkdir -p "$dest"
for f in "${FILES[@]}"; do
  cp "$work/package/$f" "$dest/$f"
done
echo "vendored swagger-ui-dist@$VERSION into $dest (integrity verified)"
