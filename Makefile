# keaops — see README.md. Every CI step is a target here.

GO        ?= go
GO_TEST_ARGS ?= -race
BIN       := bin
# From the last v* tag; a clone without tags builds as a snapshot of its commit.
VERSION   ?= $(shell git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null | sed 's/^v//' | grep . || echo "0.0.0-snapshot+$$(git rev-parse --short HEAD 2>/dev/null || echo unknown)")
GORELEASER_VERSION := v2.15.1
TOOLS     := $(CURDIR)/.tools
LDFLAGS   := -s -w -X github.com/keaops/keaops/internal/version.Version=$(VERSION)
FUZZTIME  ?= 10s
# Minimising each new interesting input runs the target many uncounted
# times; bounded, a short run explores instead of minimising.

.PHONY: help example test test-pipelines build snapshot image bench fuzz vet lint fmt setup clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

KEA_VERSION ?=

# The first run needs no setup: it builds the Kea version's root filesystem
# (once) and leaves the machine's own Kea, installed or not, as it was.
example: build ## the main job: a local Kea pair (KEA_VERSION=2.2|2.6|3.0, from its root filesystem), then check, diff, deploy the homelab example, diff, status
	KEA_VERSION=$(KEA_VERSION) ./scripts/demo.sh

test: setup image ## install test dependencies, build the release and the image (the package tests install and run them), then run every test with the race detector
	$(GO) test $(GO_TEST_ARGS) -count=1 -p 1 -timeout 30m ./...

test-pipelines: setup build ## run the GitLab CI template for real with gitlab-ci-local (installs it from npm when missing)
	./scripts/test-pipelines.sh

build: ## build bin/keaops and bin/keaops-agent (static: no cgo)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/keaops ./cmd/keaops
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/keaops-agent ./cmd/keaops-agent

snapshot: ## a release build as a tag would make it, in dist/: every platform's archive, .deb and .rpm, checksums (goreleaser, pinned)
	@test -x $(TOOLS)/goreleaser || GOBIN=$(TOOLS) $(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)
	$(TOOLS)/goreleaser release --snapshot --clean
	./scripts/artifacts.sh dist

image: snapshot ## the container image (packaging/Containerfile, built with buildah, no registry), as an OCI archive in dist/
	./scripts/image.sh dist

bench: ## run the benchmarks (large synthetic sites)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./...

fuzz: ## run each fuzz target for FUZZTIME (default 10s)
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s $$pkg; \
	  done; done

vet: ## gofmt, go.mod tidy, and go vet
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo 'gofmt needed'; exit 1; }
	@$(GO) mod tidy -diff || { echo 'go mod tidy needed'; exit 1; }
	$(GO) vet ./...

lint: vet ## vet, plus staticcheck (installed with go install when missing)
	@command -v staticcheck >/dev/null || $(GO) install honnef.co/go/tools/cmd/staticcheck@latest
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck ./...

fmt: ## format the code
	gofmt -w .

setup: ## install Kea 2.2 and the test tools when missing; build the Kea 2.2, 2.6 and 3.0 root filesystems once
	./scripts/setup.sh
	./scripts/promtool.sh >/dev/null
	./scripts/kea-rootfs.sh 2.2 >/dev/null
	./scripts/kea-rootfs.sh 2.6 >/dev/null
	./scripts/kea-rootfs.sh 3.0 >/dev/null

clean:
	rm -rf $(BIN) dist build
