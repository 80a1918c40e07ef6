#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh machine; safe to run again.
#   scripts/setup.sh          system packages (cmake), Python venv, npm packages, gateway build
#   scripts/setup.sh --test   also what the test suite needs (Debian chromium for the browser suite)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '\033[1;36m[setup]\033[0m %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------
need_apt=()
command -v cmake >/dev/null || need_apt+=(cmake)          # pingora's zlib-ng build
command -v cc >/dev/null || need_apt+=(build-essential)
if [ "$want_test" = 1 ] && [ ! -x /usr/bin/chromium ]; then need_apt+=(chromium); fi
if [ "$want_test" = 1 ] && ! command -v kubectl >/dev/null; then need_apt+=(kubectl); fi   # kustomize rendering
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing Debian packages: ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "missing Debian packages: ${need_apt[*]}; run: sudo apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
fi

# --- Python venv (Litestar + uvicorn) --------------------------------------
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.requirements.sha
sum=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
  say "installing Python packages (requirements.txt)"
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  echo "$sum" > "$stamp"
fi

if [ "$want_test" = 1 ]; then
  stamp=.venv/.requirements-ci.sha
  sum=$(sha256sum requirements-ci.txt | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
    say "installing CI tools (requirements-ci.txt)"
    .venv/bin/pip install -q --disable-pip-version-check -r requirements-ci.txt
    echo "$sum" > "$stamp"
  fi
fi

# --- npm packages -----------------------------------------------------------
npm_ci() {
  local dir=$1
  [ -f "$dir/package-lock.json" ] || return 0
  local stamp="$dir/node_modules/.lock.sha" sum
  sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
    say "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$sum" > "$stamp"
  fi
}
for dir in demo/web tests/fixtures/web tests/e2e; do
  npm_ci "$dir"
done

# --- the gateway ------------------------------------------------------------
say "building litevite-gw"
cargo build --quiet
