# `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CLIENTS_VENV    := .venv-clients
CLIENTS_V1_VENV := .venv-clients-v1
# Where `make run` listens: FREEZER_API_HOST / FREEZER_API_PORT / FREEZER_API_BIND in the
# environment, read by gunicorn.conf.py like every other setting (README, Configuration).
ifneq ($(filter command line,$(origin HOST) $(origin PORT)),)
$(error make does not read HOST= or PORT=: run FREEZER_API_HOST=... FREEZER_API_PORT=... make run)
endif
PYTEST_ARGS ?=
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SYSTEM_PACKAGES := python3-venv default-libmysqlclient-dev build-essential pkg-config
# The dashboard's browser tests (tests/browser) drive Debian's Chromium; the slow-client test
# (tests/security/test_slow_clients.py) runs Debian's nginx in front of gunicorn.
TEST_SYSTEM_PACKAGES := chromium nginx
export FLASK_APP := wsgi

# test-import: opt-in, not part of `make test` (below).
.PHONY: test-import run docs test test-sqlite test-mariadb install install-test system-packages migrate clean bench bench-poll bench-ui wrk bench-sessions openapi reliability fleet soak clients-venv test-agents

# AUTH_MODE=keystone in the environment (`AUTH_MODE=keystone make run`): create_app() puts
# keystonemiddleware's auth_token in front (installed here), which reads [keystone_authtoken]
# of /etc/freezer/freezer.conf or KEYSTONE_CONFIG_FILE; docs/agents.md.
# The watcher (rules and notice delivery, docs/notifications.md) runs beside gunicorn; a
# background job of a non-interactive shell ignores Ctrl-C, so the shell stops it on exit.
run: install migrate $(if $(filter keystone,$(AUTH_MODE)),$(VENV)/.installed-keystone)
	@$(BIN)/flask users bootstrap
	@$(BIN)/flask watcher run & watcher=$$!; \
	trap 'kill $$watcher 2>/dev/null; wait $$watcher' EXIT; trap 'exit 130' INT TERM; \
	$(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

$(VENV)/.installed-keystone: $(VENV)/.installed requirements-keystone.txt
	$(BIN)/pip install --quiet -r requirements-keystone.txt
	@touch $@

test: install-test docs test-sqlite test-mariadb

# The documentation site into site/ (mkdocs-material, pinned in requirements-docs.txt).
# --strict: a broken link or anchor, or a page outside the nav, fails the build. ~10 s.
docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	@echo "site built: site/index.html"

$(VENV)/.installed-docs: $(VENV)/.installed requirements-docs.txt
	$(BIN)/pip install --quiet -r requirements-docs.txt
	@touch $@

test-sqlite:
	@echo "== test suite on SQLite =="
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-mariadb:
	$(BIN)/python -m tests.throwaway_db -- $(BIN)/python -m pytest $(PYTEST_ARGS)

migrate: install
	$(BIN)/flask db upgrade

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# A venv that no longer works (made before python3-venv was there, left half-made by an
# interrupted run, or its Python removed) is made again rather than breaking every make.
define working_venv
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "Python 3.11 or newer is needed as $(PYTHON) (make PYTHON=python3.12 ...)"; exit 1; }
	@$(1)/bin/python -m pip --version >/dev/null 2>&1 || { \
	  [ ! -e $(1) ] || echo "$(1) does not work (no Python or pip in it): making it again"; \
	  rm -rf $(1) && $(PYTHON) -m venv $(1); }
endef
ifneq ($(wildcard $(VENV)/.installed),)
ifneq ($(shell $(BIN)/python -c "import pip" >/dev/null 2>&1 && echo ok),ok)
$(info $(VENV) no longer works (its Python or pip is gone): installing again)
$(shell rm -f $(VENV)/.installed*)
endif
endif

$(VENV)/.installed: requirements.txt pyproject.toml
	@$(MAKE) --no-print-directory system-packages
	$(call working_venv,$(VENV))
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .  # this checkout: `freezer-manage` in $(BIN)
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt requirements-keystone.txt $(CLIENTS_VENV)/.installed
	@$(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES="$(TEST_SYSTEM_PACKAGES)"
	$(BIN)/pip install --quiet -r requirements-test.txt
	$(BIN)/pip install --quiet -r requirements-keystone.txt  # tests the keystone wrapper
	@touch $@

# The real freezer clients (tests/clients), in venvs of their own because their pins clash
# with ours: .venv-clients holds freezer 19.0.0 and python-freezerclient 6.5.0 (+ the
# `openstack` CLI); .venv-clients-v1 only freezer 18.0.0 and python-freezerclient 6.2.0,
# taking every dependency from .venv-clients through a .pth file. About 45 s, once.
clients-venv: $(CLIENTS_VENV)/.installed

$(CLIENTS_VENV)/.installed: requirements-clients.txt requirements-clients-v1.txt
	$(call working_venv,$(CLIENTS_VENV))
	$(CLIENTS_VENV)/bin/pip install --quiet --upgrade pip
	$(CLIENTS_VENV)/bin/pip install --quiet -r requirements-clients.txt
	$(call working_venv,$(CLIENTS_V1_VENV))
	$(CLIENTS_V1_VENV)/bin/pip install --quiet --no-deps -r requirements-clients-v1.txt
	$(CLIENTS_VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' \
	  > "$$($(CLIENTS_V1_VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/clients_v2_deps.pth"
	@touch $@

# Opt-in, not in `make test`: `freezer-manage import --from` against the original freezer-api
# 18.0.0 (v1) and 19.0.0 (v2), each in a venv of its own (.venv-original-18/-19, from PyPI),
# run on SQLite behind a fake auth filter, filled through its API (tests/original). About
# 3 min the first time (the two venvs), then about 1 min (docs/migration.md).
test-import: install-test .venv-original-18/.installed .venv-original-19/.installed
	FREEZER_TEST_IMPORT=1 $(BIN)/python -m pytest -p no:cacheprovider tests/original $(PYTEST_ARGS)

.venv-original-%/.installed: requirements-original-%.txt
	$(call working_venv,.venv-original-$*)
	.venv-original-$*/bin/pip install --quiet -r requirements-original-$*.txt
	@touch $@

# The real clients and agents alone (tests/clients; `make test` runs them too).
test-agents: install-test
	$(BIN)/python -m pytest tests/clients $(PYTEST_ARGS)

system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; fi

# The OpenAPI file kept in the repo; tests/ops/test_openapi_file.py fails when it drifts.
openapi: install
	AUTH_MODE=token $(BIN)/flask openapi write --format json openapi.json

# Per-request cost of every agent operation as a ratio to a hello-world Flask app under the
# same gunicorn settings, in one run (bench/request_bench.py): MariaDB on 127.0.0.1:3306,
# gunicorn on free ports, wrk. Figures go to docs/performance.md. A few minutes.
bench: install-test wrk
	$(BIN)/python -m bench.request_bench $(BENCH_ARGS)

# The poll at 1,000 and 20,000 jobs alone, longer rounds (bench/poll_bench.py; 18091-18092).
bench-poll: install wrk
	$(BIN)/python bench/poll_bench.py $(POLL_BENCH_ARGS)

# Every dashboard page and chart endpoint at 1,000 and 20,000 jobs (100,000 runs and
# backups) on a throwaway MariaDB database, server time per request (bench/ui_pages.py);
# UI_BENCH_ARGS="--url mysql+mysqldb://..." for a database of your own. Figures go to
# docs/performance.md. A few minutes, most of it filling the database.
bench-ui: install-test
	$(BIN)/python bench/ui_pages.py $(UI_BENCH_ARGS)

wrk:
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk; }

# Session start/end pairs from 20 agents (bench/session_bench.py): MariaDB on 127.0.0.1:3306,
# gunicorn on 18100-18109. Figures go to README, section performance.
bench-sessions: install-test
	$(BIN)/python -m bench.session_bench $(SESSION_BENCH_ARGS)

# Reliability (README, section reliability). `make test` already runs tests/reliability
# (bounded); these are the full runs. Ports 18150-18159, private MariaDB on 13307.
reliability: install-test
	$(BIN)/python -m pytest tests/reliability $(PYTEST_ARGS)

# 200 agents for 60 s against gunicorn + a private MariaDB; FLEET_ARGS="--fault-at 20" adds
# a 10 s database stop.
fleet: install-test
	$(BIN)/python -m bench.fleet $(FLEET_ARGS)

soak: install-test
	bench/soak.sh $(FLEET_ARGS)

# Scale-out (docs/cluster.md): three MariaDB Galera nodes, three gunicorn app servers and
# HAProxy, all child processes on ports 20800-20843 and 23307-23339, in one temp dir.
# `make cluster` keeps it up until Ctrl-C; `make cluster-proof` (opt-in, ~12 min) kills an
# app server and the writer node under 200 agents, races sessions across nodes, and
# compares 3 app servers with 1.
CLUSTER_PACKAGES := mariadb-server galera-4 rsync haproxy
cluster: install-test
	@$(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES="$(CLUSTER_PACKAGES)"
	$(BIN)/python -m bench.cluster.run $(CLUSTER_ARGS)

cluster-proof: install-test
	@$(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES="$(CLUSTER_PACKAGES)"
	$(BIN)/python -m bench.cluster.proof $(CLUSTER_PROOF_ARGS)

clean:
	rm -rf $(VENV) $(CLIENTS_VENV) $(CLIENTS_V1_VENV) .venv-original-18 .venv-original-19 .pytest_cache site
