#!/usr/bin/env bash
# What each shipped binary must not link (issue #29): Go runs every linked package's init at
# start-up, so a plugin pays for Helm or Gardener in every command, version and --help included.
# Helm is linked only by the helpers that run the Helm commands (lib/cli.Helped: coco-helm,
# demoingress-helm); Gardener only by the helpers (shoot-garden runs every kubectl shoot
# command, teecheck-fleet teecheck nodes --shoots, coco-helm coco status --shoots).
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
# Each operating system the release builds for (.goreleaser.yaml goos): a file built for one only
# (the helper's Windows path) may import what the others do not.
GOOSES=(linux darwin windows)
check() { # package, forbidden import path prefixes...
  local pkg=$1; shift
  local goos deps
  for goos in "${GOOSES[@]}"; do
    deps=$(CGO_ENABLED=0 GOOS=$goos go list -deps "$pkg")
    for bad in "$@"; do
      if grep -q "^$bad" <<<"$deps"; then
        echo "$pkg ($goos) links $(grep -c "^$bad" <<<"$deps") packages under $bad, e.g. $(grep -m1 "^$bad" <<<"$deps"): move the commands that need them into the plugin's helper" >&2
        fail=1
      fi
    done
  done
}
check ./plugins/teecheck helm.sh/ github.com/gardener/
check ./plugins/coco helm.sh/ github.com/gardener/
check ./plugins/demoingress helm.sh/ github.com/gardener/
check ./plugins/shoot helm.sh/ github.com/gardener/
check ./plugins/shoot/shoot-garden helm.sh/
exit $fail
