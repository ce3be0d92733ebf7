#!/usr/bin/env bash
# Runs the benchmarks behind BENCHMARKS.md: teecheck over 1,000 kwok nodes on a real
# kube-apiserver, and start-up against kubectl in the same run. Figures, not assertions.
#
#   hack/bench.sh            # BENCHTIME=10x by default
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH GOFLAGS=${GOFLAGS:--buildvcs=false}
BENCHTIME=${BENCHTIME:-10x}

[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; } # GNU time measures peak memory
bin=$(hack/testbin.sh all)
hack/testbin.sh kubectl >/dev/null
export KUBECTL_COCO_TESTBIN=$bin KUBECTL=$bin/kubectl

echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(go version | cut -d' ' -f3), kubectl $("$KUBECTL" version --client | head -1 | awk '{print $3}')"
go test -run '^$' -bench . -benchtime "$BENCHTIME" -timeout 30m ./test/bench 2>&1 | grep -E '^(Benchmark|bench:|ok|FAIL|---|\s)'

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
go build -trimpath -ldflags '-s -w' -o "$tmp/kubectl-teecheck" ./plugins/teecheck
printf 'binary size: kubectl-teecheck %s MiB (stripped), kubectl %s MiB\n' \
  "$(awk -v b="$(stat -c %s "$tmp/kubectl-teecheck")" 'BEGIN{printf "%.1f", b/1048576}')" \
  "$(awk -v b="$(stat -c %s "$KUBECTL")" 'BEGIN{printf "%.1f", b/1048576}')"
