#!/usr/bin/env bash
# Every benchmark, on demand (not part of the test suite). Results go to stdout and
# bench/results/<date>.txt; docs/performance.md records a run and the machine.
#   bench/run.sh            # the full set (about 25 minutes)
#   QUICK=1 bench/run.sh    # a short smoke of each
set -euo pipefail
cd "$(dirname "$0")/.."
bench/setup.sh
mkdir -p bench/results
out="bench/results/$(date -u +%Y%m%dT%H%M%SZ).txt"
export LITEVITE_BIN="$PWD/target/release/litevite-gw"
{
  echo "# $(date -u) · $(nproc) CPUs · $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  if [ -n "${QUICK:-}" ]; then
    python3 bench/http_proxy.py --reps 1 --duration 1 --conns 16
    python3 bench/instructions.py --n1 100 --n2 300
    node bench/hmr_latency.mjs --rounds 5
    node bench/page_load.mjs --modules 50 --rounds 1
    python3 bench/startup.py --runs 3
    target/release/examples/codegen_bench
    target/bench-venv/bin/python bench/codegen_compare.py --sizes 100,1000 --runs 1
    node bench/codegen_freshness.mjs --rounds 1
    node bench/soak.mjs --minutes 0.25 --sockets 100 --concurrency 4
  else
    python3 bench/http_proxy.py
    python3 bench/instructions.py
    node bench/hmr_latency.mjs --rounds 30
    node bench/page_load.mjs --modules 300 --rounds 5
    python3 bench/startup.py --runs 15
    target/release/examples/codegen_bench
    target/bench-venv/bin/python bench/codegen_compare.py
    node bench/codegen_freshness.mjs --rounds 5
    node bench/soak.mjs --minutes 3 --sockets 1000 --concurrency 16
  fi
} 2>&1 | tee "$out"
echo "results: $out"
