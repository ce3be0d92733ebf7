#!/usr/bin/env bash
# Runs the benchmarks behind BENCHMARKS.md on a real kube-apiserver with kwok nodes: teecheck
# over 100, 1,000 and 5,000 nodes, the --deep fan-out over 100 nodes, the latency of a watched
# condition, the operator apply against kubectl, start-up against kubectl in the same run, and
# what each module adds to the binaries. Figures, not assertions. hack/teecheck-floor.sh holds
# teecheck against a raw LIST.
#
#   hack/bench.sh            # BENCHTIME=10x by default
set -euo pipefail
cd "$(dirname "$0")/.."
. hack/benchenv.sh
bench_header
filter() { grep -E '^(Benchmark|bench:|ok|FAIL|---|\s)'; }
go test -run '^$' -bench 'Startup|OperatorApply|Nodes$|WatchedCondition' -benchtime "$BENCHTIME" -timeout 60m ./test/bench 2>&1 | filter
# Each fan-out run waits out a 1 s timeout per node: once is enough.
go test -run '^$' -bench 'DeepFanout' -benchtime 1x -timeout 30m ./test/bench 2>&1 | filter

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN{printf "%.1f", b/1048576}'; }
for p in teecheck coco shoot demoingress; do
  CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$tmp/stripped-$p" ./plugins/$p
  CGO_ENABLED=0 go build -trimpath -o "$tmp/kubectl-$p" ./plugins/$p
  echo "binary size: kubectl-$p $(mib "$tmp/stripped-$p") MiB stripped"
  go run ./hack/binsize "$tmp/kubectl-$p" | head -9
done
echo "binary size: kubectl $(mib "$KUBECTL") MiB"
