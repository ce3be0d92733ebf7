#!/usr/bin/env bash
# Renders the Krew index (krew-index/plugins/<name>.yaml) for a release tag with goreleaser's
# krews: entries: a temporary clone of HEAD is tagged, every archive is built, and the manifests
# (with the archives' sha256) are copied here. Upload dist/ of the same run as the release assets.
#
#   hack/krew-index.sh v0.1.0
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:?usage: hack/krew-index.sh TAG (e.g. v0.1.0)}
[[ "$tag" =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]] || { echo "TAG must be semver with a leading v, e.g. v0.1.0" >&2; exit 2; }
tools=$(hack/tools.sh goreleaser)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
git clone -q . "$work/src"
git -C "$work/src" tag "$tag"
( cd "$work/src" && GOFLAGS=-buildvcs=false "$tools/goreleaser" release --clean --skip=publish,validate --config .goreleaser.yaml )
mkdir -p krew-index/plugins dist
cp "$work/src/dist/krew/"*.yaml krew-index/plugins/
rm -rf dist/release && cp -r "$work/src/dist" dist/release
echo "krew-index/plugins updated for $tag; release assets in dist/release" >&2
