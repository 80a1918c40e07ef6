#!/usr/bin/env bash
# Sets everything up on a fresh machine, then runs the gateway in front of the bundled
# demo (Litestar app + Vite, both started by the gateway). Open the URL it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec target/debug/litevite-gw -c litevite.toml "$@"
