# Development and CI entry points. `make test` is what CI runs (through .ci/run); it needs nothing installed by
# hand on a Debian 12 machine: `make deps` installs what is missing and is quick when nothing is.
#
#   make test         deps, pytest (unit + integration), sanity, lint, build, stopping at the first failure
#   make unit         pytest tests/unit
#   make integration  pytest tests/integration (starts a private MariaDB; see tests/conftest.py)
#   make sanity       ansible-test sanity on a copy of the files git would commit
#   make lint         ansible-lint, antsibull-changelog lint, antsibull-docs lint-collection-docs
#   make build        ansible-galaxy collection build into .build/dist and a check of the tarball's contents
#   make demo         hacking/demo.py
#   make e2e          real shops installed, upgraded and rolled back (needs PRESTASHOP_RELEASES and PRESTASHOP_AUTOUPGRADE)
#   make clean        remove .build and test output (keeps .venv)
#
# Pass pytest options with PYTEST_ARGS, e.g. make unit PYTEST_ARGS='-k shop_info -x'.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test
.DELETE_ON_ERROR:

VENV := $(CURDIR)/.venv
COLLECTIONS_PATH := $(CURDIR)/.build/collections
COLLECTION_LINK := $(COLLECTIONS_PATH)/ansible_collections/shopfleet/prestashop
# The venv's tools first, so ansible-test, ansible-lint and antsibull-docs find ansible, ansible-doc and friends.
export PATH := $(VENV)/bin:$(PATH)

STAGE := hacking/stage.sh
PYTEST := $(VENV)/bin/pytest
PYTEST_ARGS ?=
# Integration tests spend most of their time in ansible-playbook and PHP processes: two workers (pytest-xdist), each
# test file on one worker (a file's fixtures, such as the SSH fleet, stay in one process). PYTEST_WORKERS=0 for one.
PYTEST_WORKERS ?= 2
XDIST := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile)

.PHONY: test deps pytest unit integration e2e sanity lint ansible-lint changelog-lint docs-lint build demo clean

test: deps pytest sanity lint build

deps:
	@$(STAGE) deps hacking/bootstrap.sh

pytest: deps
	@$(STAGE) pytest $(PYTEST) $(XDIST) $(PYTEST_ARGS) tests/unit tests/integration

unit: deps
	@$(STAGE) unit $(PYTEST) $(PYTEST_ARGS) tests/unit

integration: deps
	@$(STAGE) integration $(PYTEST) $(XDIST) $(PYTEST_ARGS) tests/integration

e2e: deps
	@$(STAGE) e2e $(PYTEST) $(PYTEST_ARGS) tests/e2e

sanity: deps
	@$(STAGE) sanity hacking/sanity.sh

lint: ansible-lint changelog-lint docs-lint

ansible-lint: deps
	@$(STAGE) ansible-lint env ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS_PATH) ansible-lint

changelog-lint: deps
	@$(STAGE) changelog-lint antsibull-changelog lint
	@$(STAGE) changelog-yaml-lint antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

docs-lint: deps
	@$(STAGE) docs-lint antsibull-docs lint-collection-docs --plugin-docs $(COLLECTION_LINK)

build: deps
	@$(STAGE) build hacking/build.sh

demo: deps
	$(VENV)/bin/python hacking/demo.py

clean:
	rm -rf .build tests/output .pytest_cache
