# plexauth: build, test and lint. `make` alone lists the targets.
#
# `sam build` uses this file too: template.yaml sets BuildMethod: makefile with
# ContextPath and ProjectRootDirectory at the repository root, so sam runs
# `make build-<LogicalId>` with the working directory at (a copy of) the
# repository root and ARTIFACTS_DIR in the environment. Paths in recipes are
# therefore relative to the working directory, never to this file's location.

GO ?= go

# The functions: one folder each under functions/, named by its route's
# declaration (internal/endpoint) or its scheduled job's (internal/keepalive);
# its SAM logical id is the name capitalised
# plus Function (transient: TransientFunction).
FUNCTIONS := $(notdir $(wildcard functions/*))

# One build command for `make build` and for sam, so both ship the same binary:
# a static linux/arm64 executable named bootstrap for provided.al2023.
# -buildvcs=false: sam builds in a copy without .git, and CI checkouts may
# lack VCS metadata; the binary should not depend on either.
LAMBDA_ENV   := CGO_ENABLED=0 GOOS=linux GOARCH=arm64
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -buildvcs=false -ldflags=-s
BUILD_DIR    ?= build

# go-build-lambda compiles ./functions/$(1) into $(2)/bootstrap.
define go-build-lambda
	@mkdir -p "$(2)"
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o "$(2)/bootstrap" ./functions/$(1)
endef

# staticcheck 2026.2.2, run through the Go module proxy; `go run` caches the
# executable, so only the first run pays for the build.
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# benchstat summarises the client and handler benchmarks in BENCHMARKS.md;
# pinned, and run through the module proxy like staticcheck.
BENCHSTAT := $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

# A count, not a duration: with a duration, Go 1.26's fuzz coordinator can
# report a spurious "context deadline exceeded" failure as the time runs out
# (golang/go#75804, fixed in Go 1.27). A duration still works: FUZZTIME=30s.
FUZZTIME ?= 20000x

.DEFAULT_GOAL := help

.PHONY: help build test test-short lint run bench fuzz clean FORCE

help: ## List the targets
	@awk 'BEGIN { FS = ":.*## " } /^[A-Za-z_%-]+:.*## / { printf "  %-24s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

build: $(FUNCTIONS:%=$(BUILD_DIR)/%/bootstrap) ## Build every function into build/<name>/bootstrap (linux/arm64)

# FORCE: go build decides what is stale, make should always ask it.
$(BUILD_DIR)/%/bootstrap: FORCE
	$(call go-build-lambda,$*,$(@D))

# The target `sam build` (BuildMethod: makefile) runs for each function, with
# ARTIFACTS_DIR set: build-TransientFunction builds functions/transient.
# FORCE: a pattern rule cannot be .PHONY.
build-%Function: FORCE ## sam build: functions/<name> -> $ARTIFACTS_DIR/bootstrap
	$(call go-build-lambda,$(call lower,$*),$(call artifacts_dir))

lower = $(shell printf '%s' '$(1)' | tr '[:upper:]' '[:lower:]')

# artifacts_dir is ARTIFACTS_DIR, or a clear stop when run outside sam.
artifacts_dir = $(if $(ARTIFACTS_DIR),$(ARTIFACTS_DIR),$(error ARTIFACTS_DIR is not set: this target is for sam build; use make build))

# -count=1: some tests run tools (cfn-lint, make, moto_server) whose inputs the
# Go test cache cannot see, so a cached pass could be stale.
# The race detector needs cgo, so a C compiler: without one (cgo off), the
# tests still run, without -race, and say so. CI installs gcc: it always races.
RACE = $(if $(filter 1,$(shell $(GO) env CGO_ENABLED)),-race,)

test: ## go vet, then every test (with the race detector where a C compiler is installed)
	$(GO) vet ./...
	@[ -n "$(RACE)" ] || echo "note: cgo is off (no C compiler): testing without the race detector"
	$(GO) test $(RACE) -count=1 ./...

# -short skips the suites that build binaries or start moto_server and
# cfn-lint (see README, Development); make test and CI run them all.
test-short: ## The quick loop: go test -short (no binary builds, moto or cfn-lint)
	$(GO) test -short -count=1 ./...

lint: ## go vet, gofmt, staticcheck and cfn-lint
	$(GO) vet ./...
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(STATICCHECK) ./...
	cfn-lint template.yaml

run: ## Serve the four handlers over plain HTTP (go run ./cmd/local)
	$(GO) run ./cmd/local

BENCH_COUNT ?= 3

bench: ## Run the performance suite and write BENCHMARKS.md (BENCH_COUNT)
	$(GO) run ./devtools/benchreport -count $(BENCH_COUNT) -out BENCHMARKS.md -benchstat "$(BENCHSTAT)"

# go test -fuzz takes one target in one package per run, so list the targets
# first, then fuzz each. They are found in the source, not with go test -list,
# which would compile every test binary first (half a minute on a cold cache).
fuzz: ## Fuzz every Fuzz* target for FUZZTIME each (default 20000x: executions)
	@set -e; \
	targets="$$(grep -rE --include='*_test.go' --exclude-dir=testdata --exclude-dir=.git \
		--exclude-dir=.aws-sam --exclude-dir=$(BUILD_DIR) -o '^func Fuzz[A-Za-z0-9_]*\(' . | \
		sed -E 's|^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\($$|\1\t\2|' | sort)"; \
	if [ -z "$$targets" ]; then echo "no fuzz targets"; exit 0; fi; \
	echo "$$targets" | while IFS="$$(printf '\t')" read -r pkg name; do \
		echo "== $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$pkg" || exit 1; \
	done

clean: ## Remove build output (build/, .aws-sam/)
	rm -rf $(BUILD_DIR) .aws-sam

FORCE:
