#!/usr/bin/env bash
# Installs pinned developer tools from the Go module proxy into a cache outside the repository
# and prints the directory. Idempotent.
#
#   hack/tools.sh [staticcheck|all]
set -euo pipefail
STATICCHECK_VERSION=${STATICCHECK_VERSION:-v0.8.2}
CACHE_ROOT=${KUBECTL_COCO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-coco}
TOOLS=$CACHE_ROOT/tools
export PATH=/usr/local/go/bin:$PATH

install() { # name module version
  local dir=$TOOLS/$1-$3
  if [ ! -x "$dir/$1" ]; then
    echo "tools: installing $1 $3" >&2
    GOBIN=$dir GOFLAGS=-buildvcs=false go install "$2@$3"
  fi
  ln -sf "$dir/$1" "$TOOLS/$1"
}

mkdir -p "$TOOLS"
case "${1:-all}" in
  staticcheck|all) install staticcheck honnef.co/go/tools/cmd/staticcheck "$STATICCHECK_VERSION" ;;
  *) echo "usage: $0 [staticcheck|all]" >&2; exit 2 ;;
esac
echo "$TOOLS"
