# evote: developer and CI entry points. `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

GO ?= go
# Longest a `make test` run may take before go test stops it.
TESTTIMEOUT ?= 20m
# How long `make fuzz` runs each fuzz target.
FUZZTIME ?= 10s
# Mutants drawn per package by `make mutation` (0: every site).
MUTANTS ?= 40
# Passed to go test -benchtime by `make bench`.
BENCHTIME ?= 1s

# Where `make wasm` writes the browser's verifier, wallet and console; package web embeds them.
WASMDIR := web/static/wasm

# axe-core, which the browser tests load into the pages they check for
# accessibility; npm writes this file on each install.
AXE := web/testdata/npm/node_modules/.package-lock.json

.DEFAULT_GOAL := help

.PHONY: help demo test fmt-check vet bench fuzz vectors build clean wasm mutation screenshots

help:
	@echo "make demo     run a polling node with a sample election on http://127.0.0.1:8080 (evote up)"
	@echo "make test     gofmt check, go vet, the wasm verifier, wallet and console, axe-core (npm), go test (TESTTIMEOUT=$(TESTTIMEOUT))"
	@echo "make bench    Go benchmarks of tally (BENCHTIME=$(BENCHTIME))"
	@echo "make fuzz     every fuzz target for FUZZTIME=$(FUZZTIME) each"
	@echo "make screenshots  renew the README's screenshots (docs/img): the sample election from vote to result in headless Chromium against evote up"
	@echo "make mutation MUTANTS=$(MUTANTS) mutants per package of tally, election, chain, observer, observer/cmtlite, each run through its package's tests (docs/testing.md)"
	@echo "make vectors  regenerate the test vectors under tally/ and election/testdata/vectors and the lifecycle goldens"
	@echo "make build    build bin/evote"
	@echo "make wasm     build the browser's verifier, wallet and console (WebAssembly) into $(WASMDIR), which the pages serve"
	@echo "make clean    remove bin/ and $(WASMDIR)"

demo: wasm
	$(GO) run ./cmd/evote up

test: fmt-check vet wasm $(AXE)
	$(GO) test -timeout $(TESTTIMEOUT) ./...

fmt-check:
	@echo "gofmt -l ."
	@unformatted="$$(gofmt -l .)"; \
	if [ -n "$$unformatted" ]; then \
		echo "these files are not gofmt-formatted (run gofmt -w on them):"; \
		echo "$$unformatted"; \
		exit 1; \
	fi

vet:
	$(GO) vet ./...

bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./tally/...

# Lists every fuzz target of every package (go test -list), then fuzzes each
# one alone: go test -fuzz takes one target in one package at a time.
fuzz:
	@targets="$$($(GO) test -list='^Fuzz' ./... | awk '/^Fuzz/ { names = names " " $$1; next } /^ok/ { if (names != "") print $$2 names; names = "" }')"; \
	if [ -z "$$targets" ]; then echo "no fuzz targets"; exit 0; fi; \
	while read -r pkg names; do \
		for name in $$names; do \
			echo "$(GO) test -run='^\$$' -fuzz='^$$name\$$' -fuzztime=$(FUZZTIME) $$pkg"; \
			$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) "$$pkg"; \
		done; \
	done <<< "$$targets"

vectors:
	$(GO) test ./tally -run 'Vectors|FuzzSeedCorpora' -update-dkg -update-decrypt -update-ballot -update-fuzz-seeds
	$(GO) test ./election -run 'TestLifecycle|TestElectionVectors' -update

build: wasm
	$(GO) build -o bin/evote ./cmd/evote

# The verifier and the wallet compiled to WebAssembly, gzip-compressed, and the toolchain's
# wasm_exec.js (internal/wasmbuild). Always rerun: go's build cache makes an
# unchanged build quick, and the files are rewritten only when they change.
wasm:
	$(GO) run ./internal/wasmbuild/cmd/wasmbuild $(WASMDIR)

$(AXE): web/testdata/npm/package.json web/testdata/npm/package-lock.json
	cd web/testdata/npm && npm ci --no-audit --no-fund

clean:
	rm -rf bin $(WASMDIR)

# Puts one deliberate fault at a time into tally, election, chain and
# observer and runs the package's tests over each (internal/mutate); prints
# the survivors and the score that docs/testing.md records.
mutation:
	$(GO) run ./internal/mutate/cmd/mutate -n $(MUTANTS) -json mutation.json

# The README's screenshots: TestDemoInBrowser takes the sample election of
# `evote up` from vote to verified result in headless Chromium and saves
# each step's page.
screenshots: wasm $(AXE)
	EVOTE_SCREENSHOT_DIR=$(CURDIR)/docs/img $(GO) test ./web -run '^TestDemoInBrowser$$' -count=1
