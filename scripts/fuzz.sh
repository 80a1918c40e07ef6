#!/usr/bin/env bash
# Fuzz the parsers, the routing decision and the path normaliser with cargo fuzz (libFuzzer).
#   scripts/fuzz.sh 20        # every target for 20 s (what CI runs)
#   scripts/fuzz.sh 3600      # the long local run
# The corpus in fuzz/corpus/ grows as it runs; crashes land in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
# cargo fuzz needs nightly flags; this machine has one stable toolchain, which accepts
# them with RUSTC_BOOTSTRAP (the build is for fuzzing only, never shipped).
export RUSTC_BOOTSTRAP=1
cd fuzz
for target in config_parse routes_json openapi_derive routing path_check; do
  echo "== fuzz $target for ${seconds}s"
  cargo fuzz run -O "$target" -- -max_total_time="$seconds" -rss_limit_mb=3072 -print_final_stats=1 2>&1 \
    | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)|ERROR|panicked' || true
  if [ -n "$(ls -A "artifacts/$target" 2>/dev/null)" ]; then
    echo "fuzz target $target found a crash: fuzz/artifacts/$target" >&2
    exit 1
  fi
done
