#!/usr/bin/env bash
# The demo: install, train the tiny iris example, invoke it through a real local Lambda, serve it
# behind a local API Gateway and curl it, then deploy it to a local cloud (moto) and curl that.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
bash scripts/setup.sh
LS="$ROOT/.venv/bin/lambdaserve"
ROW='[[5.1, 3.5, 1.4, 0.2]]'

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null && { wait "$p" 2>/dev/null || true; }; done; true; }
trap cleanup EXIT

step "train the iris example (examples/make_examples.py trains the others without --only)"
.venv/bin/python examples/make_examples.py --only iris
cd examples/iris

step "lambdaserve invoke: one cold start in a real local Lambda (REPORT on stderr)"
"$LS" invoke --data "$ROW"

step "lambdaserve serve + curl POST /predict"
"$LS" serve --port 3101 2>serve.log & pids+=($!)
for _ in $(seq 1 60); do curl -s -o /dev/null localhost:3101/health && break; sleep 0.5; done
curl -sS localhost:3101/health; echo
curl -sS localhost:3101/predict -H 'content-type: application/json' -d "{\"data\": $ROW}"; echo
curl -sS localhost:3101/predict -H 'content-type: application/json' -d '{"data": [[1, 2, 3]]}'; echo
kill -TERM "${pids[0]}"; wait "${pids[0]}" || true; pids=()

step "lambdaserve deploy --target local: build, change set, moto as the cloud, emulator serving the deployed zip"
"$LS" deploy --target local --yes --port 3102 > deploy.log 2>&1 & pids+=($!)
for _ in $(seq 1 300); do grep -q "/prod/" deploy.log 2>/dev/null && curl -s -o /dev/null localhost:3102/prod/health && break; sleep 1; done
sed -n '1,40p' deploy.log
curl -sS localhost:3102/prod/predict -H 'content-type: application/json' -d "{\"data\": $ROW}"; echo
step "done"
