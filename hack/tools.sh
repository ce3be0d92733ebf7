#!/usr/bin/env bash
# Installs pinned developer tools from the Go module proxy into a cache outside the repository
# and prints the directory. Idempotent.
#
#   hack/tools.sh [staticcheck|goreleaser|krew|govulncheck|vulndb|all]
#
# vulndb builds the Go vulnerability database that govulncheck reads (-db file://...) from the
# golang.org/x/vulndb module (its OSV files and its cmd/indexdb): vuln.go.dev is not reachable
# from CI, the module proxy is. Its version is the database's date.
set -euo pipefail
STATICCHECK_VERSION=${STATICCHECK_VERSION:-v0.8.2}
GORELEASER_VERSION=${GORELEASER_VERSION:-v2.15.1}
KREW_VERSION=${KREW_VERSION:-v0.5.0}
GOVULNCHECK_VERSION=${GOVULNCHECK_VERSION:-v1.9.0}
VULNDB_VERSION=${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}
CACHE_ROOT=${KUBECTL_COCO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-coco}
TOOLS=$CACHE_ROOT/tools
export PATH=/usr/local/go/bin:$PATH

# Keyed by the Go toolchain too: analysers built by an older Go cannot read a newer standard library.
GOV=$(go env GOVERSION)

install() { # name module version
  local dir=$TOOLS/$1-$3-$GOV
  if [ ! -x "$dir/$1" ]; then
    echo "tools: installing $1 $3" >&2
    GOBIN=$dir GOFLAGS=-buildvcs=false go install "$2@$3"
  fi
  ln -sf "$dir/$1" "$TOOLS/$1"
}

mkdir -p "$TOOLS"
case "${1:-all}" in
  staticcheck) install staticcheck honnef.co/go/tools/cmd/staticcheck "$STATICCHECK_VERSION" ;;
  goreleaser) install goreleaser github.com/goreleaser/goreleaser/v2 "$GORELEASER_VERSION" ;;
  # krew itself and its manifest validator (cmd/validate-krew-manifest, which uses krew's internal
  # validation), both from the krew module.
  krew) install krew sigs.k8s.io/krew/cmd/krew "$KREW_VERSION"
        install validate-krew-manifest sigs.k8s.io/krew/cmd/validate-krew-manifest "$KREW_VERSION" ;;
  govulncheck) install govulncheck golang.org/x/vuln/cmd/govulncheck "$GOVULNCHECK_VERSION" ;;
  vulndb)
    install indexdb golang.org/x/vulndb/cmd/indexdb "$VULNDB_VERSION"
    db=$TOOLS/vulndb-$VULNDB_VERSION
    if [ ! -f "$db/index/db.json" ]; then
      echo "tools: building the vulnerability database $VULNDB_VERSION" >&2
      src=$(cd "$TOOLS" && GOFLAGS= go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
      rm -rf "$db.tmp" && "$TOOLS/indexdb" -vulns "$src/data/osv" -out "$db.tmp" && mv "$db.tmp" "$db"
    fi
    echo "$db"; exit 0 ;;
  all) "$0" staticcheck >/dev/null; "$0" goreleaser >/dev/null; "$0" krew >/dev/null ;;
  *) echo "usage: $0 [staticcheck|goreleaser|krew|govulncheck|vulndb|all]" >&2; exit 2 ;;
esac
echo "$TOOLS"
