#!/usr/bin/env bash
# Times a first `make demo` as on a fresh machine: empty Go build and module caches (the Go
# toolchain is fetched again too) and an empty project cache, all in a scratch directory that is
# removed afterwards. Every output line is stamped with the seconds since the start; the phases
# are summed at the end. The sandbox is stopped at the end.
#
#   hack/demo-cold.sh [LOG]      (default LOG: /tmp/demo-cold.log)
set -euo pipefail
cd "$(dirname "$0")/.."
LOG=${1:-/tmp/demo-cold.log}
T=$(mktemp -d /tmp/demo-cold.XXXXXX)
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
export GOCACHE=$T/gocache GOMODCACHE=$T/gomod GOPATH=$T/gopath XDG_CACHE_HOME=$T/cache
export KUBECTL_COCO_CACHE=$T/kubectl-coco SANDBOX_DIR=$T/kubectl-coco/sandbox
export GOFLAGS="-buildvcs=false -modcacherw"
start=$EPOCHREALTIME
stamp() { while IFS= read -r l; do printf '%7.1f %s\n' "$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{print b-a}')" "$l"; done; }
rc=0
make demo 2>&1 | stamp | tee "$LOG" || rc=$?
end=$EPOCHREALTIME
# The sandbox's own binary stops it (make sandbox-down would rebuild it first).
if [ -x bin/sandbox ]; then bin/sandbox down "$SANDBOX_DIR" | tee -a "$LOG"; fi
awk -v a="$start" -v b="$end" 'BEGIN{printf "first make demo: %.0f s (%d min %02d s)\n", b-a, (b-a)/60, (b-a)%60}' | tee -a "$LOG"
exit "$rc"
