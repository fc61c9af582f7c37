# OrderDesk: the local stack and its tests, run from the locked environment.
# Stack settings come from environment variables (deploy/local/README.md).
UV_RUN := uv run --frozen

.PHONY: setup up down status logs restart test demo bench

# Install the locked environment and download the Kafka broker jars (once; cached in .cache/).
setup:
	uv sync --frozen
	$(UV_RUN) python -c "from orderdesk_stack.kafka_broker import ensure_jars; print(ensure_jars())"

# Start Postgres, Kafka and every service in the background.
up:
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

test:
	$(UV_RUN) pytest

demo:
	$(UV_RUN) orderdesk demo

bench:
	$(UV_RUN) orderdesk bench
