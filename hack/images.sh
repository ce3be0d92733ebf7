#!/usr/bin/env bash
# Builds the images the test node runs, as OCI tarballs, without any registry: a pause image
# from test/images/pause, the demo web server from test/images/demoweb, and a busybox image from
# Debian's busybox-static, and the kata-deploy stand-in from test/images/katadeploy. Cached outside the
# repository, keyed by the inputs; prints the directory holding <name>.tar files.
#
#   hack/images.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH GOFLAGS=${GOFLAGS:--buildvcs=false}
CACHE_ROOT=${KUBECTL_COCO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-coco}

BUSYBOX=/bin/busybox
# The image has no libc: it needs the statically linked busybox.
if [ ! -x "$BUSYBOX" ] || ldd "$BUSYBOX" >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq busybox-static >/dev/null
fi
key=$(cat "$BUSYBOX" test/images/pause/main.go test/images/demoweb/main.go test/images/katadeploy/main.go test/katadeploy/katadeploy.go \
  hack/mkimage/main.go hack/images.sh go.sum | sha256sum | cut -c1-16)
OUT=$CACHE_ROOT/images/$key
if [ -f "$OUT/busybox.tar" ] && [ -f "$OUT/pause.tar" ] && [ -f "$OUT/slow-busybox.tar" ] && [ -f "$OUT/demoweb.tar" ] && [ -f "$OUT/kata-deploy-standin.tar" ]; then
  echo "$OUT"; exit 0
fi

echo "images: building into $OUT" >&2
mkdir -p "$OUT"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -trimpath -o "$tmp/mkimage" ./hack/mkimage
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$tmp/pause" ./test/images/pause
"$tmp/mkimage" -ref local/pause:1 -out "$OUT/pause.tar" -file "$tmp/pause=pause" -entrypoint /pause
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$tmp/demoweb" ./test/images/demoweb
"$tmp/mkimage" -ref local/demoweb:1 -out "$OUT/demoweb.tar" -file "$tmp/demoweb=demoweb" -entrypoint /demoweb
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$tmp/kata-deploy" ./test/images/katadeploy
"$tmp/mkimage" -ref local/kata-deploy-standin:1 -out "$OUT/kata-deploy-standin.tar" -file "$tmp/kata-deploy=usr/bin/kata-deploy" -entrypoint /usr/bin/kata-deploy
links=() slow=()
for applet in $("$BUSYBOX" --list); do
  [ "$applet" = busybox ] && continue
  links+=(-link "busybox=bin/$applet")
  [ "$applet" = sh ] || slow+=(-link "busybox=bin/$applet")
done
"$tmp/mkimage" -ref local/busybox:1 -out "$OUT/busybox.tar" -file "$BUSYBOX=bin/busybox" -entrypoint /bin/sh "${links[@]}"
# A test helper image: busybox whose sh first sleeps, so a pod stays running until the test
# interrupts it (a real probe finishes in about a second).
printf '#!/bin/busybox sh
/bin/busybox sleep 600
exec /bin/busybox sh "$@"
' > "$tmp/slow-sh"
"$tmp/mkimage" -ref local/slow-busybox:1 -out "$OUT/slow-busybox.tar" -file "$BUSYBOX=bin/busybox" -file "$tmp/slow-sh=bin/sh" -entrypoint /bin/sh "${slow[@]}"
echo "$OUT"
