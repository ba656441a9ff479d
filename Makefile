# pci-mcp — common tasks. `make help` lists them.

GO        ?= go
BIN       ?= bin/pci-mcp
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: help build test schemas run demo lint conformance bench e2e-cluster

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/pci-mcp
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/pci-mcp

test: ## vet, then every test with the race detector (includes the schema, README and budget checks)
	$(GO) vet ./...
	$(GO) vet -tags bench ./...
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -run Budget ./tools # allocation budgets: the race detector changes the counts

schemas: ## regenerate schemas/, the README tool table and the README command-line reference
	$(GO) test ./tools -run 'TestSchemaFiles|TestTwoAccountSchemaFiles|TestReadmeToolTable' -count=1 -update
	$(GO) test ./cmd/pci-mcp -run 'TestReadmeCommandLine' -count=1 -update

RUN_ADDR ?= 127.0.0.1:8080

run: build ## serve the sandbox (simulated Qualys and Halo, no credentials) on Streamable HTTP and print a client config
	@# pci-mcp prints how to point a client at it once it is listening, never before.
	@$(BIN) --sandbox --transport http --addr $(RUN_ADDR) || { status=$$?; \
	  if [ $$status -eq 2 ]; then echo "make run: pci-mcp could not start on RUN_ADDR=$(RUN_ADDR) (the reason is above); if that address is taken, choose another: make run RUN_ADDR=127.0.0.1:8081" >&2; fi; \
	  exit $$status; }

demo: build ## walk one PCI quarter against the sandbox with pci-mcp call (.ci/demo)
	PCI_MCP=$(BIN) .ci/demo

# The server under test runs the sandbox: simulated accounts, no credentials.
CONFORMANCE_SERVER := env -u PCI_MCP_AUTH_TOKEN ./$(BIN) --sandbox --transport http --addr '{ADDR}'

conformance: build ## the official MCP conformance suite against --transport http, at 2025-11-25 and 2026-07-28 (installs Node 22 and the suite into .cache/ once)
	.ci/conformance $(CONFORMANCE_SERVER)
	CONFORMANCE_SPEC_VERSION=2026-07-28 CONFORMANCE_SCENARIOS='tools-list dns-rebinding-protection' \
		.ci/conformance $(CONFORMANCE_SERVER)

bench: build ## measure start-up, context cost, per-call overhead and HTTP load, and the hot paths (BENCHMARKS.md)
	./.ci/bench $(BIN)

e2e-cluster: ## two pci-mcp replicas, a real redis-server and a local OAuth issuer: one server for every confirmation route, proven on the fake upstream's log
	$(GO) vet -tags e2e ./cmd/pci-mcp
	$(GO) test -tags e2e -race -count=1 -run 'TestCluster' -v ./cmd/pci-mcp

lint: ## gofmt, go vet and staticcheck
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

FUZZTIME ?= 10s

.PHONY: fuzz
fuzz: ## run each fuzz target for FUZZTIME (default 10s)
	$(GO) test ./providers/qualys -run '^$$' -fuzz '^FuzzParseHost$$' -fuzztime $(FUZZTIME)
	$(GO) test ./providers/qualys -run '^$$' -fuzz '^FuzzVirtualHost$$' -fuzztime $(FUZZTIME)
	$(GO) test ./tools -run '^$$' -fuzz '^FuzzToolArguments$$' -fuzztime $(FUZZTIME)
	$(GO) test ./providers/upstream -run '^$$' -fuzz '^FuzzUnquote$$' -fuzztime $(FUZZTIME)
