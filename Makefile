# OrderDesk: the local stack and its tests, run from the locked environment.
# Stack settings come from environment variables (deploy/local/README.md).
# uv itself is pinned and installed into .cache/ by python3's own venv and pip, so a fresh machine
# needs nothing but python3, a JDK and Maven: Go and Node.js with npm come locked as wheels (pyproject.toml's
# `toolchains` group, which `uv sync` installs), used from the environment whatever else is on PATH.
UV_VERSION := 0.13.8
UV := .cache/uv-$(UV_VERSION)/bin/uv
UV_RUN := $(UV) run --frozen

.PHONY: setup up down status logs restart lint test chromium demo bench scale-out profile

# Install the locked environment (Go and Node.js with it), download the Kafka broker jars, build with Go Jaeger (the stack's tracing backend)
# and Prometheus's promtool (the tests check the alert rules in deploy/ with it), install with npm the official
# AsyncAPI parser (the tests validate the topics' AsyncAPI document with it), build kustomize and fetch KEDA's CRDs and
# the compose specification's schema from the Go module proxy (tests/deploy validate deploy/ with them): once, cached
# in .cache/.
setup: $(UV)
	$(UV) sync --frozen
	$(UV_RUN) python -c "from orderdesk_stack.kafka_broker import ensure_jars; print(ensure_jars())"
	$(UV_RUN) python -c "from orderdesk_stack import jaeger_server as j; print(j.ensure_binary() or j.SKIPPED)"
	$(UV_RUN) python -c "from orderdesk_stack.go_tools import PROMTOOL as t; print(t.ensure_binary() or t.skipped)"
	$(UV_RUN) python -c "from orderdesk_stack.node_tools import ASYNCAPI_VALIDATOR as t; print(t.ensure_installed() or t.skipped)"
	$(UV_RUN) python -c "from orderdesk_stack.go_tools import KUSTOMIZE as t; print(t.ensure_binary() or t.skipped)"
	$(UV_RUN) python -c "from orderdesk_stack import go_tools as g; print([m.ensure_dir() or m.skipped for m in (g.KEDA_MODULE, g.COMPOSE_SPEC_MODULE)])"

$(UV):
	python3 -m venv .cache/uv-$(UV_VERSION)
	.cache/uv-$(UV_VERSION)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Start Postgres, Kafka and every service in the background.
up: setup
	$(UV_RUN) orderdesk up

down:
	$(UV_RUN) orderdesk down

status:
	$(UV_RUN) orderdesk status

# The last lines of every program's log, or of one: make logs SERVICE=intake
logs:
	$(UV_RUN) orderdesk logs $(SERVICE)

# Restart one program (a service, postgres or kafka): make restart SERVICE=intake
restart:
	@test -n "$(SERVICE)" || { echo "usage: make restart SERVICE=name"; exit 2; }
	$(UV_RUN) orderdesk restart $(SERVICE)

lint: setup
	$(UV_RUN) ruff check .
	$(UV_RUN) ruff format --check .

# Lint, then the whole suite: unit, contract, integration (real Postgres and Kafka), e2e and fault tests.
test: lint chromium
	$(UV_RUN) pytest

# The console's browser tests drive Debian's Chromium (Playwright's own browser download does not work without the
# internet): installed with apt when missing and running as root, else the one command to run, before any test runs.
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq && apt-get install -y -qq chromium; } \
		|| { echo "The browser tests need Chromium: sudo apt-get install -y chromium" >&2; exit 1; }

# The main job: start the stack, send a realistic stream of orders, show progress and outcomes.
demo: setup
	$(UV_RUN) orderdesk demo

# The pipeline against best-practice bus and Postgres baselines, measured in one run; numbers go to bench-results/
# (docs/performance.md says what each means).
bench: setup
	$(UV_RUN) orderdesk bench

# The scale-out rehearsal: on a three-broker stack of its own, the pipeline with one instance of each service, then
# with two, the invariants checked; both line-ups' figures go to bench-results/ (docs/performance.md).
scale-out: setup
	$(UV_RUN) orderdesk scale-out

# Flame graphs (py-spy) of every service during a pipeline round, into bench-results/profiles/.
profile: setup
	$(UV_RUN) orderdesk profile
