#!/usr/bin/env bash
# make demo: starts the local sandbox (hack/sandbox) in the background and gives a narrated tour
# of the four plugins against it. Stop it with: make sandbox-down.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH GOFLAGS=${GOFLAGS:--buildvcs=false}
CACHE_ROOT=${KUBECTL_COCO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-coco}
STATE=${SANDBOX_DIR:-$CACHE_ROOT/sandbox}
bold() { if [ -t 1 ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
say() { echo; bold "== $*"; }
run() { printf '$ %s\n' "$*"; "$@" || true; }

# Each phase says how long it took: a first run builds everything (about 7 minutes on 2 cores; see
# BENCHMARKS.md), later runs reuse the caches.
t0=$SECONDS
took() { echo "   ($1: $((SECONDS - t0)) s)"; t0=$SECONDS; }

say "Building the control plane the sandbox runs: Kubernetes, etcd and kwok in one binary (cached after the first time)"
mkdir -p "$CACHE_ROOT"
go version >/dev/null # fetches the Go toolchain the Makefile names, once, before two go commands run
# The modules of the sandbox and the plugins download while the control plane compiles.
CGO_ENABLED=0 go list -deps ./hack/sandbox ./plugins/... >/dev/null 2>&1 &
prefetch=$!
if [ "$(id -u)" = 0 ]; then # the real node's Debian packages download meanwhile too
  hack/node-deps.sh >"$CACHE_ROOT/node-deps.log" 2>&1 &
  nodedeps=$!
fi
hack/testbin.sh all >/dev/null
took "control plane"
wait "$prefetch" || true # a failed download shows again in the build below, with its message
# As the plugins are built (CGO_ENABLED=0, -trimpath): the two share compiled packages.
CGO_ENABLED=0 GOGC=${GOGC:-off} GOMEMLIMIT=${GOMEMLIMIT:-1GiB} go build -trimpath -ldflags '-s -w' -o bin/sandbox ./hack/sandbox
took "sandbox"
if [ "$(id -u)" = 0 ]; then
  { wait "$nodedeps" && hack/images.sh >/dev/null; } || echo "(no real node: its parts could not be installed; see $CACHE_ROOT/node-deps.log)"
  took "the real node's packages and images"
fi

mkdir -p "$STATE"
if [ -f "$STATE/ready" ] && kill -0 "$(cat "$STATE/sandbox.pid" 2>/dev/null)" 2>/dev/null; then
  say "The sandbox already runs ($STATE)"
  pid=
else
  say "Starting the sandbox in the background (log: $STATE.log); the plugins build meanwhile"
  KUBECTL_COCO_TESTBIN=$(hack/testbin.sh path) nohup bin/sandbox up "$STATE" >"$STATE.log" 2>&1 &
  pid=$!
fi
if ! "${MAKE:-make}" --no-print-directory build >/dev/null; then
  [ -z "$pid" ] || echo "the plugins did not build; the sandbox started anyway: make sandbox-down stops it"
  exit 1
fi
took "plugins"
if [ -n "$pid" ]; then
  # The sandbox writes "ready" when it is up; a watch on its directory would need inotify-tools.
  for _ in $(seq 1 600); do
    [ -f "$STATE/ready" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then echo "the sandbox failed to start:"; tail -20 "$STATE.log"; exit 1; fi
    sleep 0.5
  done
  [ -f "$STATE/ready" ] || { echo "the sandbox did not get ready in 5 minutes; see $STATE.log"; exit 1; }
  grep '^sandbox:' "$STATE.log" || true
  took "sandbox start"
fi
# shellcheck disable=SC1091
source "$STATE/env.sh"

say "1. Which TEE does each node have? (node labels, one LIST)"
run kubectl teecheck nodes
say "2. Is the cluster ready for Confidential Containers?"
run kubectl coco preflight
say "3. Which runtime classes could run where?"
run kubectl coco runtimeclasses
if [ "${SANDBOX_REAL_NODE:-no}" != no ]; then
  say "4. The real node, probed from the inside by a short-lived pod"
  # The sandbox node has no registry access: the probe uses the busybox image imported into it.
  run kubectl teecheck node "$SANDBOX_REAL_NODE" --deep --image local/busybox:1 --image-pull-policy Never
  say "4b. A CoCo smoke test on the real node: it has no Kata runtime, and the kubelet's own event says so"
  printf 'apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: kata-qemu-coco-dev}\nhandler: kata-qemu-coco-dev\n' | kubectl apply -f - >/dev/null
  run kubectl coco smoke-test --runtime-class kata-qemu-coco-dev --node "$SANDBOX_REAL_NODE" --image local/busybox:1 --image-pull-policy Never --timeout 2m
fi
say "5. Gardener: the garden access chain (gardenlogin and kubelogin are not installed here)"
run kubectl shoot doctor
say "6. Gardener: the project's shoots and the guide's machine types"
run kubectl shoot list
run kubectl shoot machine-types --min-cpu 8 --min-memory 32Gi
say "7. Gardener: the shoot the guide's dashboard steps would create"
run kubectl shoot create eco-tst --machine-type vm-dedicated-4-16 --dry-run
say "8. The demo app behind the static IP, as manifests"
run kubectl demoingress deploy --dry-run

say "Keep exploring"
cat <<MSG
  source $STATE/env.sh        # KUBECONFIG, GCTL_HOME and PATH for the sandbox
  kubectl teecheck node osc-snp-1
  kubectl shoot create eco-tst --machine-type vm-dedicated-4-16 && kubectl shoot status eco-tst
  kubectl shoot kubeconfig eco-sbx -o -
  kubectl demoingress deploy && kubectl demoingress status
Stop it (every process it started ends): make sandbox-down
MSG
