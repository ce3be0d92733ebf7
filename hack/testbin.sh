#!/usr/bin/env bash
# Builds the real Kubernetes binaries the tests run against, from the Go module proxy only,
# pinned, and cached outside the repository keyed by version. Idempotent: a cached binary whose
# version matches is kept.
#
#   hack/testbin.sh [all|kube-apiserver|etcd|kwok|kubelet|kubectl|controllers|path]
#
# "controllers" builds kube-controller-manager and kube-scheduler, for the tests that need
# Deployments to make Pods and Pods to be scheduled.
#
# TESTBIN_DIR is printed by "path"; tests read it from the environment (the Makefile exports it).
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-1.37.2}   # kube-apiserver and kubelet; staging modules are v0.37.x
STAGING_VERSION=0.${K8S_VERSION#1.}
ETCD_VERSION=${ETCD_VERSION:-3.6.16}
KWOK_VERSION=${KWOK_VERSION:-0.8.0}

CACHE_ROOT=${KUBECTL_COCO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-coco}
BIN=$CACHE_ROOT/testbin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION
SRC=$CACHE_ROOT/src
NICE=${NICE:-nice -n 10}
export GOFLAGS=${GOFLAGS:--buildvcs=false}
export PATH=/usr/local/go/bin:$PATH

log() { printf 'testbin: %s\n' "$*" >&2; }

# reports VERSION BINARY ARGS...: the binary exists and prints VERSION (no grep -q in a pipe:
# under pipefail its early exit would fail the check).
reports() {
  local want=$1 bin=$2; shift 2
  [ -x "$bin" ] || return 1
  local out; out=$("$bin" "$@" 2>/dev/null) || return 1
  [[ "$out" == *"$want"* ]]
}

# k8s_module prepares a scratch module that requires k8s.io/kubernetes with every staging
# module replaced by its published version, so cmd/kube-apiserver and cmd/kubelet build.
k8s_module() {
  local d=$SRC/k8s-$K8S_VERSION
  mkdir -p "$d"
  if [ ! -f "$d/go.sum" ]; then
    ( cd "$d"
      go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" >/dev/null
      local modfile; modfile=$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/v$K8S_VERSION.mod
      {
        echo "module local/k8s-binaries"; echo
        echo "go $(awk '/^go /{print $2; exit}' "$modfile")"; echo
        echo "require k8s.io/kubernetes v$K8S_VERSION"; echo
        echo "replace ("
        grep -o '^\s*k8s.io/[a-z0-9-]* => ./staging' "$modfile" | awk '{print $1}' |
          grep -v -e sample-cli-plugin -e sample-controller |
          while read -r m; do printf '\t%s => %s v%s\n' "$m" "$m" "$STAGING_VERSION"; done
        echo ")"
      } > go.mod
      write_tools
      go mod tidy )
  fi
  if ! grep -q cmd/kube-scheduler "$d/tools.go"; then # a cache from before these were added
    ( cd "$d" && write_tools && go mod tidy )
  fi
  echo "$d"
}

write_tools() {
  printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n\t_ "k8s.io/kubernetes/cmd/kube-scheduler"\n\t_ "k8s.io/kubernetes/cmd/kubectl"\n\t_ "k8s.io/kubernetes/cmd/kubelet"\n)\n' > tools.go
}

build_k8s() { # $1 = kube-apiserver | kube-controller-manager | kube-scheduler | kubelet | kubectl
  local name=$1
  local ask=(--version); [ "$name" = kubectl ] && ask=(version --client)
  if reports "v$K8S_VERSION" "$BIN/$name" "${ask[@]}"; then return; fi
  log "building $name v$K8S_VERSION (about 10 minutes cold)"
  local d; d=$(k8s_module)
  local V=k8s.io/component-base/version
  mkdir -p "$BIN"
  ( cd "$d" && $NICE go build -trimpath -ldflags="-s -w -X $V.gitVersion=v$K8S_VERSION -X $V.gitMajor=1 \
      -X $V.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2) -X $V.gitTreeState=clean \
      -X $V.buildDate=1970-01-01T00:00:00Z" -o "$BIN/$name.tmp.$$" "k8s.io/kubernetes/cmd/$name" )
  mv "$BIN/$name.tmp.$$" "$BIN/$name" # a per-process name: two test packages may build it at once
}

build_etcd() {
  if reports "$ETCD_VERSION" "$BIN/etcd" --version; then return; fi
  log "building etcd v$ETCD_VERSION"
  local d=$SRC/etcd-$ETCD_VERSION
  mkdir -p "$d" "$BIN"
  ( cd "$d"
    printf 'module local/etcd\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$ETCD_VERSION" > go.mod
    printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' > main.go
    go mod tidy
    $NICE go build -trimpath -ldflags="-s -w" -o "$BIN/etcd.tmp" . )
  mv "$BIN/etcd.tmp" "$BIN/etcd"
}

build_kwok() {
  if [ -f "$BIN/kwok-stages.yaml" ] && reports "$KWOK_VERSION" "$BIN/kwok" --version; then return; fi
  log "building kwok v$KWOK_VERSION"
  mkdir -p "$BIN"
  GOBIN=$BIN $NICE go install -trimpath -ldflags="-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
  # The bare kwok binary has no stages (kwokctl generates them): join the module's default ones.
  local K; K=$(go env GOMODCACHE)/sigs.k8s.io/kwok@v$KWOK_VERSION/kustomize/stage
  for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    echo "---"; cat "$K/$f"; done > "$BIN/kwok-stages.yaml.tmp"
  mv "$BIN/kwok-stages.yaml.tmp" "$BIN/kwok-stages.yaml"
}

case "${1:-all}" in
  all) build_etcd; build_kwok; build_k8s kube-apiserver ;;
  kube-apiserver|kubelet|kubectl) build_k8s "$1" ;;
  controllers) build_k8s kube-controller-manager; build_k8s kube-scheduler ;;
  etcd) build_etcd ;;
  kwok) build_kwok ;;
  path) ;;
  *) echo "usage: $0 [all|kube-apiserver|etcd|kwok|kubelet|kubectl|controllers|path]" >&2; exit 2 ;;
esac
echo "$BIN"
