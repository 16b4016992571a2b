# bridge — see README.md. The two commands for a newcomer: `make demo`, `make test`.
GO       ?= go
BIN      := bin/bridge
PKGS     := ./...
TESTFLAGS ?= -race -count=1 -timeout 15m

.PHONY: build demo test test-go test-cluster deps bench fuzz vet clean image sdk-package

# bridge version: stamped from git, overridable (VERSION=v1.2.0 make build).
BUILDINFO := github.com/popinbridge/bridge/bridge/internal/buildinfo
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE     ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS  := -X $(BUILDINFO).Version=$(VERSION) -X $(BUILDINFO).Commit=$(COMMIT) -X $(BUILDINFO).Date=$(DATE)

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./bridge

deps:
	bash scripts/deps.sh

demo: build
	BRIDGE_SKIP_BROWSER=1 BRIDGE_SKIP_PACKAGING=1 bash scripts/deps.sh
	./$(BIN) demo

test: deps vet
	$(GO) test $(TESTFLAGS) $(PKGS)

# test-cluster: only the tests on real multi-process NATS JetStream clusters
# (TestCluster*, internal/natstest.StartCluster; the nats-server binary is
# built from the module). `make test` runs them too, with everything else.
test-cluster:
	$(GO) test $(TESTFLAGS) -run 'TestCluster' $(PKGS)

vet:
	$(GO) vet $(PKGS)

# image: the runtime image, built with podman FROM scratch from a static binary
# built here (scripts/image.sh; IMAGE=name:tag to choose the tag).
image:
	bash scripts/image.sh $(IMAGE)

# sdk-package: the browser SDK's npm package (widget-sdk/npm, @popinbridge/sdk)
# written to widget-sdk/dist/npm (gitignored) and packed there by npm pack.
# SDK_VERSION=1.2.3 sets its version.
sdk-package:
	$(GO) run ./widget-sdk/cmd/sdkpack -o widget-sdk/dist/npm $(if $(SDK_VERSION),-version $(SDK_VERSION))
	cd widget-sdk/dist && npm pack ./npm

bench: deps build
	bash scripts/bench.sh

fuzz:
	bash scripts/fuzz.sh

clean:
	rm -rf bin data
