# bridge — see README.md. The two commands for a newcomer: `make demo`, `make test`.
GO       ?= go
BIN      := bin/bridge
PKGS     := ./...
TESTFLAGS ?= -race -count=1 -timeout 15m

.PHONY: build demo test test-go deps bench fuzz vet clean image

build:
	$(GO) build -o $(BIN) ./bridge

deps:
	bash scripts/deps.sh

demo: build
	BRIDGE_SKIP_BROWSER=1 BRIDGE_SKIP_PACKAGING=1 bash scripts/deps.sh
	./$(BIN) demo

test: deps vet
	$(GO) test $(TESTFLAGS) $(PKGS)

vet:
	$(GO) vet $(PKGS)

# image: the runtime image, built with podman FROM scratch from a static binary
# built here (scripts/image.sh; IMAGE=name:tag to choose the tag).
image:
	bash scripts/image.sh $(IMAGE)

bench: deps build
	bash scripts/bench.sh

fuzz:
	bash scripts/fuzz.sh

clean:
	rm -rf bin data
