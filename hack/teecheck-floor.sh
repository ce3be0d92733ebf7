#!/usr/bin/env bash
# Holds every output of "kubectl teecheck nodes" against the floor, one raw LIST of the nodes
# (kubectl get --raw /api/v1/nodes), on a real kube-apiserver with kwok nodes (issue #29 item 4).
# Pairs of processes, same run; figures for BENCHMARKS.md, not assertions.
#
#   hack/teecheck-floor.sh                  # 5,000 nodes, BENCHTIME=10x
#   FLOOR_NODES=1000 BENCHTIME=5x hack/teecheck-floor.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. hack/benchenv.sh
bench_header ", ${FLOOR_NODES:-5000} nodes"
go test -run '^$' -bench 'NodesFloor' -benchtime "$BENCHTIME" -timeout 30m ./test/bench 2>&1 |
  grep -E '^(Benchmark|bench:|ok|FAIL|---|\s)'
