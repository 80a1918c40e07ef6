#!/usr/bin/env bash
# Renders every kustomization with `kubectl kustomize` and validates each object against
# the Kubernetes OpenAPI schemas (kubernetes-validate, strict: unknown fields fail).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The ConfigMap's config must be the checked example config, not a drifting copy.
cmp deploy/kubernetes/base/litevite.toml config/kubernetes.toml
for k in deploy/kubernetes/base deploy/kubernetes/overlays/*; do
  name=$(echo "$k" | tr / _)
  echo "== kubectl kustomize $k"
  kubectl kustomize "$k" > "$out/$name.yaml"
  grep -E '^kind: ' "$out/$name.yaml" | sed 's/^/   /'
  .venv/bin/kubernetes-validate --strict --kubernetes-version "${K8S_VERSION:-1.33.0}" "$out/$name.yaml"
done
# The overlay must really wire the token into the gateway.
kubectl kustomize deploy/kubernetes/overlays/remote-team | grep -q 'name: LITEVITE_TOKEN'
echo "Kubernetes manifests verified"
