# SOKR's front door. `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
PYTHON ?= python3
VENV := .venv
FUZZTIME ?= 60s
export CGO_ENABLED := 1

.DEFAULT_GOAL := help
.PHONY: help deps demo test test-go check fmt fuzz bench venv

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

deps: ## install the system packages SOKR uses (OpenBLAS) when missing
	@bash scripts/deps.sh

demo: deps ## run the demo: a native program through Capability, Dispatch and Completion
	$(GO) run ./cmd/sokr-demo

test: deps check test-go ## run every check and test, as CI does

test-go: ## run the Go tests with the race detector
	$(GO) test -race -count=1 ./...

check: ## gofmt, go vet, staticcheck, and go mod tidy with a diff check
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@cp go.mod /tmp/sokr-go.mod.$$$$ && cp go.sum /tmp/sokr-go.sum.$$$$ && $(GO) mod tidy && \
	  if ! git diff --quiet -- go.mod go.sum; then \
	    echo "go mod tidy changed go.mod/go.sum:"; git --no-pager diff -- go.mod go.sum; \
	    cp /tmp/sokr-go.mod.$$$$ go.mod; cp /tmp/sokr-go.sum.$$$$ go.sum; exit 1; fi

fmt: ## format the Go code
	gofmt -w $$(git ls-files '*.go')

fuzz: ## run every fuzz target for FUZZTIME (default 60s) each
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test $$pkg -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) || exit 1; \
	  done; done

venv: $(VENV)/.ok ## make the project virtualenv (numpy for the benchmark comparisons)
$(VENV)/.ok: bench/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -r bench/requirements.txt
	touch $@

bench: deps venv ## run the Go benchmarks and the side-by-side comparison with numpy
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(VENV)/bin/python bench/cpu_vs_numpy.py
