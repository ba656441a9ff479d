# pci-mcp — common tasks. `make help` lists them.

GO        ?= go
BIN       ?= bin/pci-mcp
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: help build test schemas run lint

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/pci-mcp
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/pci-mcp

test: ## vet, then every test with the race detector (includes the schema and README drift checks)
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

schemas: ## regenerate schemas/ and the README tool table from the catalog
	$(GO) test ./tools -run 'TestSchemaFiles|TestReadmeToolTable' -count=1 -update

run: build ## run pci-mcp over stdio with the environment's credentials
	./$(BIN)

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
