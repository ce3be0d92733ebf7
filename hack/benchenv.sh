# Sourced by the benchmark scripts: the pinned test binaries and kubectl, GNU time for peak
# memory, and the header line of a run.
export PATH=/usr/local/go/bin:$PATH GOFLAGS=${GOFLAGS:--buildvcs=false}
BENCHTIME=${BENCHTIME:-10x}
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; } # GNU time measures peak memory
bin=$(hack/testbin.sh all)
hack/testbin.sh kubectl >/dev/null
export KUBECTL_COCO_TESTBIN=$bin KUBECTL=$bin/kubectl
bench_header() {
  echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(go version | cut -d' ' -f3), kubectl $("$KUBECTL" version --client | head -1 | awk '{print $3}')$*"
}
