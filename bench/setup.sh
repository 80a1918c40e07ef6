#!/usr/bin/env bash
# What the benchmarks need beyond scripts/setup.sh: Debian nginx, caddy, wrk, valgrind; the bench's
# npm packages; litestar-vite from PyPI in its own venv (target/bench-venv, so its Litestar
# pin cannot disturb the demo's); a release build of the gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test   # chromium, and the e2e harness the browser benchmarks share
need=()
for tool in nginx caddy wrk valgrind curl; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    # RUNLEVEL=1: install nginx without starting its system service on port 80.
    RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "run: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi
(cd bench && npm ci --no-audit --no-fund --loglevel=error)
if [ ! -x target/bench-venv/bin/uvicorn ]; then
  python3 -m venv target/bench-venv
  target/bench-venv/bin/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
fi
cargo build --release --quiet --bin litevite-gw --examples
