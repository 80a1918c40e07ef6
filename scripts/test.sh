#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and integration tests (real Vite,
# real Litestar under uvicorn, real WebSocket peers), and the browser suite.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --test

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --quiet --all-targets -- -D warnings
echo "== cargo test"
cargo test --quiet
echo "== deploy/: Kubernetes manifests and the Dockerfile"
bash deploy/verify-kubernetes.sh
bash deploy/verify-dockerfile.sh
echo "== fuzz smoke (cargo fuzz, 20 s per target; the long runs: scripts/fuzz.sh 3600)"
scripts/fuzz.sh 20
if [ -f tests/e2e/package.json ]; then
  echo "== browser suite (headless chromium)"
  (cd tests/e2e && node --test --test-concurrency=1 ./*.test.mjs)
fi
