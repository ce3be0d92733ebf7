# kubectl plugins for Confidential Containers on Gardener (T-Systems OSC).
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
export PATH := /usr/local/go/bin:$(PATH)
export GOFLAGS ?= -buildvcs=false
# Releases and CI build with the newest patched Go (the go command fetches it from the module
# proxy once): go1.26.8 has known standard-library vulnerabilities that govulncheck reports.
# go.mod still says go 1.26.5, so anyone can build with their own Go: make GO_TOOLCHAIN=local.
GO_TOOLCHAIN ?= go1.27.3
export GOTOOLCHAIN := $(GO_TOOLCHAIN)

MODULE   := github.com/osc-coco/kubectl-plugins
PLUGINS  := teecheck coco shoot demoingress
# The helpers beside a plugin that run its commands needing Helm or Gardener (lib/cli.Helped).
HELPERS  := coco/coco-helm demoingress/demoingress-helm teecheck/teecheck-fleet shoot/shoot-garden
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE     ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS  := -s -w -X $(MODULE)/lib/version.Version=$(VERSION) -X $(MODULE)/lib/version.GitCommit=$(COMMIT) -X $(MODULE)/lib/version.BuildDate=$(DATE)
PREFIX   ?= $(HOME)/.local
FUZZTIME ?= 15s

.PHONY: all build install test unit testbin node-deps lint vulncheck fuzz bench demo clean release-check krew-index sandbox-down

all: build

# One go build for all plugins: one action graph, so the links run side by side with compiles.
# GOGC=off GOMEMLIMIT=1GiB: the compiler collects garbage only above 1 GiB (as hack/testbin.sh).
build:
	@mkdir -p bin/.build
	CGO_ENABLED=0 GOGC=$${GOGC:-off} GOMEMLIMIT=$${GOMEMLIMIT:-1GiB} go build -trimpath -ldflags '$(LDFLAGS)' -o bin/.build/ $(addprefix ./plugins/,$(PLUGINS) $(HELPERS))
	@# kubectl (1.26+) completes "kubectl $$p ..." through kubectl_complete-$$p on PATH: the same binary.
	@for p in $(PLUGINS); do mv bin/.build/$$p bin/kubectl-$$p; ln -sf kubectl-$$p bin/kubectl_complete-$$p; done
	@for h in $(notdir $(HELPERS)); do mv bin/.build/$$h bin/$$h; done

## install: copy the plugins to $(PREFIX)/bin (kubectl finds kubectl-* on PATH)
install: build
	install -d $(PREFIX)/bin
	install -m 0755 $(addprefix bin/kubectl-,$(PLUGINS)) $(addprefix bin/,$(notdir $(HELPERS))) $(PREFIX)/bin/
	@# kubectl (1.26+) completes plugin arguments through kubectl_complete-<plugin>: the same binary.
	@for p in $(PLUGINS); do ln -sf kubectl-$$p $(PREFIX)/bin/kubectl_complete-$$p; done
	@echo "installed into $(PREFIX)/bin; try: kubectl teecheck version"

## release-check: validate .goreleaser.yaml (CI also builds a snapshot and installs it with krew in test/krew)
release-check:
	$$(hack/tools.sh goreleaser)/goreleaser check

## krew-index: render krew-index/plugins/*.yaml with goreleaser for TAG (e.g. make krew-index TAG=v0.1.0)
krew-index:
	hack/krew-index.sh $(TAG)

## testbin: build the pinned control plane (kube-apiserver, controller manager, scheduler, kubelet, etcd, kwok in one binary, hack/controlplane; kubectl beside it) and the test tools (cached outside the repo)
testbin:
	hack/testbin.sh all >/dev/null
	hack/tools.sh goreleaser >/dev/null
	hack/tools.sh krew >/dev/null
	hack/images.sh >/dev/null

# Packages whose tests start a kube-apiserver and etcd, a node or the Gardener API server: all
# under test/. Everything else is a unit test.
SERVER_PKGS := /test/

## unit: the unit tests only (no etcd, no kube-apiserver, no node): seconds, for every change
unit:
	CGO_ENABLED=0 go test -trimpath -count=1 $$(go list ./... | grep -Ev '$(SERVER_PKGS)')

# CGO_ENABLED=0: pure-Go static binaries (what krew ships); Gardener's test environment also pulls a
# cgo zstd archive that does not link here. -trimpath: as make build and hack/testbin.sh compile,
# so the three share what they compile (issue #29).
## test: unit, integration (real kube-apiserver + kwok, a real kubelet node) and end-to-end tests
test: testbin node-deps
	KUBECTL_COCO_TESTBIN=$$(hack/testbin.sh path) CGO_ENABLED=0 go test -trimpath -count=1 -timeout 30m ./...

## node-deps: Debian packages of the real test node (containerd, runc, CNI plugins, busybox-static)
node-deps:
	hack/node-deps.sh

## lint: gofmt, go vet, staticcheck, what each binary may link (hack/links.sh), and the k8s.io line that Gardener v1.150 and Helm v4.2 need
lint:
	@for m in api apimachinery client-go cli-runtime; do \
	  v=$$(go list -m -f '{{.Version}}' k8s.io/$$m); case $$v in v0.36.*) ;; *) echo "k8s.io/$$m is $$v: keep k8s.io/* on v0.36 (Gardener v1.150 and Helm v4.2 need it)"; exit 1;; esac; done
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go mod verify
	cd hack/controlplane && go mod verify
	hack/controlplane-modules.sh
	hack/links.sh
	go vet ./...
	@# the release builds every plugin for windows and darwin too: keep them compiling
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build ./lib/... ./plugins/...
	CGO_ENABLED=0 GOOS=darwin GOARCH=arm64 go build ./lib/... ./plugins/...
	@# staticcheck v0.8.2 (the newest) cannot read go1.27's standard library: it checks against the
	@# Go this machine has, which go.mod's go 1.26 line allows.
	GOTOOLCHAIN=local $$(GOTOOLCHAIN=local hack/tools.sh staticcheck)/staticcheck ./...

## vulncheck: govulncheck on the shipped code (plugins and lib) against the Go vulnerability database built from the module proxy; reviewed false positives are in hack/vulncheck/ignore.txt
vulncheck:
	db=$$(hack/tools.sh vulndb); gv=$$(hack/tools.sh govulncheck); \
	  $$gv/govulncheck -db "file://$$db" -format json ./plugins/... ./lib/... | go run ./hack/vulncheck hack/vulncheck/ignore.txt

## fuzz: run every fuzz target for $(FUZZTIME)
fuzz:
	go test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./lib/tee/hostprobe
	go test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./lib/garden/gardenconfig
	go test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./lib/apply
	go test -run '^$$' -fuzz '^FuzzDecodeParse$$' -fuzztime $(FUZZTIME) ./plugins/coco/initdata
	go test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./plugins/coco/sealed

## bench: benchmarks with figures for BENCHMARKS.md
bench: testbin build
	hack/bench.sh

## demo: the main job: a local sandbox (API server, OSC-like nodes, the Gardener API with project eco) and a narrated tour
demo:
	hack/demo.sh

## sandbox-down: stop the sandbox that make demo started; no process is left behind
sandbox-down:
	CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o bin/sandbox ./hack/sandbox # as make demo builds it
	bin/sandbox down "$${SANDBOX_DIR:-$${XDG_CACHE_HOME:-$$HOME/.cache}/kubectl-coco/sandbox}"

clean:
	rm -rf bin dist
