#!/usr/bin/env bash
# Checks that the control plane (hack/controlplane) builds every module it shares with the plugins
# and tests at the same version: a module at another version is compiled twice, and every package
# above it too, which undoes building both on one k8s.io line (issue #29).
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=0 GOFLAGS=${GOFLAGS:--buildvcs=false}
f='{{with .Module}}{{.Path}} {{with .Replace}}{{.Version}}{{else}}{{.Version}}{{end}}{{end}}'
plugins=$(go list -deps -test -f "$f" ./... | sort -u)
controlplane=$(cd hack/controlplane && go list -deps -f "$f" . k8s.io/kubernetes/cmd/kubectl | sort -u)
shared=$(join <(echo "$plugins") <(echo "$controlplane"))
mismatch=$(awk '$2 != $3' <<<"$shared")
if [ -n "$mismatch" ]; then
  echo "hack/controlplane builds these modules at another version than the plugins (module, plugins, control plane):"
  echo "$mismatch"
  echo "mend: cd hack/controlplane && go mod edit -require=MODULE@VERSION && go mod tidy"
  exit 1
fi
echo "hack/controlplane shares $(wc -l <<<"$shared") modules with the plugins, each at the same version"
