#!/usr/bin/env bash
# Builds the control plane the sandbox and the tests run, from the Go module proxy only, pinned by
# hack/controlplane/go.mod: Kubernetes (kube-apiserver, kube-controller-manager, kube-scheduler,
# kubelet), etcd and kwok in one binary (hack/controlplane/main.go), linked under each program's
# name; upstream's kubectl beside it (same build); and kwok's stages. Cached outside the
# repository, keyed by what it is built from; builds unused for TESTBIN_KEEP_DAYS days (14) are
# removed. Idempotent.
#
#   hack/testbin.sh [all|kube-apiserver|etcd|kwok|kubelet|kubectl|controllers|path]
#
# Every name builds the one binary (the names are kept for callers that ask for one program).
# It is built as the plugins are (CGO_ENABLED=0, -trimpath, the same Go and the same k8s.io v0.36
# modules), so each shares the other's compiled packages in the Go build cache.
# TESTBIN_DIR is printed by "path"; tests read it from the environment (the Makefile exports it).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=$ROOT/hack/controlplane
NICE=${NICE:-nice -n 10}
export GOFLAGS=${GOFLAGS:--buildvcs=false}
export PATH=/usr/local/go/bin:$PATH

modversion() { awk -v m="$1" '$1 == m && $2 ~ /^v/ {sub(/^v/, "", $2); print $2; exit}' "$SRC/go.mod"; }
K8S_VERSION=$(modversion k8s.io/kubernetes)
KWOK_VERSION=$(modversion sigs.k8s.io/kwok)
CACHE_ROOT=${KUBECTL_COCO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-coco}
PROGRAMS=(kube-apiserver kube-controller-manager kube-scheduler kubelet etcd kwok)

log() { printf 'testbin: %s\n' "$*" >&2; }

build() {
  if [ -x "$BIN/controlplane" ] && [ -x "$BIN/kubectl" ] && [ -f "$BIN/kwok-stages.yaml" ]; then return; fi
  log "building the control plane: Kubernetes v$K8S_VERSION, etcd, kwok v$KWOK_VERSION (one binary), and kubectl"
  mkdir -p "$BIN"
  local V=k8s.io/component-base/version
  TMP_BUILD="$BIN/build.tmp.$$" # global: the EXIT trap runs after this function has returned
  mkdir -p "$TMP_BUILD"
  # A failed or interrupted build leaves nothing half-made, and no compile running.
  STD_BUILD=
  trap 'rm -rf "$TMP_BUILD"; [ -z "$STD_BUILD" ] || kill "$STD_BUILD" 2>/dev/null || true' EXIT
  local tmp=$TMP_BUILD
  # GOGC=off GOMEMLIMIT=1GiB: the compiler collects garbage only above 1 GiB (a fifth less time,
  # about 1 GiB per compile and 2.6 GiB for the link; measured in BENCHMARKS.md).
  export CGO_ENABLED=0 GOGC=${GOGC:-off} GOMEMLIMIT=${GOMEMLIMIT:-1GiB}
  # The standard library needs no module: it compiles (with the same flags, so the build below
  # finds it in the Go build cache) while that build downloads the modules, when the cores of a
  # fresh machine would wait on the network for about 20 s.
  ( cd "$SRC" && exec $NICE go build -trimpath std ) &
  STD_BUILD=$!
  ( cd "$SRC" && $NICE go build -trimpath -ldflags="-s -w -X $V.gitVersion=v$K8S_VERSION \
      -X $V.gitMajor=1 -X $V.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2) -X $V.gitTreeState=clean \
      -X $V.buildDate=1970-01-01T00:00:00Z" -o "$tmp/" . k8s.io/kubernetes/cmd/kubectl )
  wait "$STD_BUILD" || true # only a head start: a failure shows in the build above
  STD_BUILD=
  for p in "${PROGRAMS[@]}"; do ln -sfn controlplane "$BIN/$p"; done
  # The bare kwok binary has no stages (kwokctl generates them): join the module's default ones.
  local K; K=$(cd "$SRC" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize/stage
  for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    echo "---"; cat "$K/$f"; done > "$BIN/kwok-stages.yaml.tmp.$$"
  mv "$BIN/kwok-stages.yaml.tmp.$$" "$BIN/kwok-stages.yaml"
  # last, and from a per-process directory: two test packages may build it at once
  mv "$tmp/kubectl" "$BIN/kubectl"; mv "$tmp/controlplane" "$BIN/controlplane"; rmdir "$tmp"
  trap - EXIT
}

# The build is keyed by what it is made from: the module, main.go and the recipe (build()'s
# text, so an edit elsewhere in this script keeps the cached build).
key=$(cat "$SRC/go.mod" "$SRC/go.sum" "$SRC/main.go" <(declare -f build) | sha256sum | cut -c1-12)
BIN=$CACHE_ROOT/testbin/k8s-$K8S_VERSION-kwok-$KWOK_VERSION-$key

# Each build is about 200 MB, and a new go.mod or main.go makes another: builds not used for
# more than TESTBIN_KEEP_DAYS days (default 14; another checkout's, an older version's) are
# removed when it is asked for a build (not for a path). Every call marks its own build used
# (make test asks for its path); a cache it cannot write to is only read.
KEEP_DAYS=${TESTBIN_KEEP_DAYS:-14}
prune() {
  local d
  for d in "$CACHE_ROOT"/testbin/k8s-*/; do
    d=${d%/}
    if [ "$d" = "$BIN" ] || [ ! -d "$d" ] || [ -z "$(find "$d" -maxdepth 0 -mtime "+$KEEP_DAYS")" ]; then continue; fi
    rm -rf "$d" 2>/dev/null || log "could not remove the old build $d"
  done
}

case "${1:-all}" in
  all|kube-apiserver|kube-controller-manager|kube-scheduler|kubelet|kubectl|controllers|etcd|kwok) build ;;
  path) ;;
  *) echo "usage: $0 [all|kube-apiserver|etcd|kwok|kubelet|kubectl|controllers|path]" >&2; exit 2 ;;
esac
if [ -d "$BIN" ]; then touch "$BIN" 2>/dev/null || true; fi
if [ "${1:-all}" != path ]; then prune; fi
echo "$BIN"
