"""Jaeger v2, the local stack's tracing backend: built once with Go from the version pinned in
stack/tools/jaeger/go.mod, run with in-memory storage, receiving OTLP over HTTP and serving its UI and query API on
127.0.0.1.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from orderdesk_stack.go_tools import GoTool
from orderdesk_stack.paths import repo_root
from orderdesk_stack.processes import ProcessSpec, port_is_open, wait_until
from orderdesk_stack.toolchains import GO_MISSING

PROGRAM_NAME = "jaeger"
MODULE = "github.com/jaegertracing/jaeger"
COMMAND_PACKAGE = f"{MODULE}/cmd/jaeger"
OTLP_HTTP_PORT = 4318
QUERY_PORT = 16686
# A local stack keeps this many traces and forgets the oldest beyond. Jaeger's memory store takes about 1 KiB
# a span, so even if every trace were an order's (about fifty spans) this stays near 1 GiB.
MAX_TRACES = 20_000
SKIPPED = f"Jaeger skipped: {GO_MISSING}, then builds it; until then the services export no traces."


# Pinned in stack/tools/jaeger/go.mod; built once into .cache/ by `make setup` (or the first `orderdesk up`).
BUILD = GoTool(module=MODULE, package=COMMAND_PACKAGE, directory="jaeger")
binary_path = BUILD.binary_path
ensure_binary = BUILD.ensure_binary
jaeger_version = BUILD.version
can_build = GoTool.can_build


def ui_assets_dir() -> Path:
    """The stack's own trace pages: a Go module build of Jaeger embeds no UI, only a placeholder page."""
    return repo_root() / "deploy" / "local" / "jaeger-ui"


@dataclass(frozen=True)
class JaegerServer:
    """One Jaeger: OTLP/HTTP in on otlp_port, UI and query API on query_port, its config in home."""

    home: Path
    otlp_port: int = OTLP_HTTP_PORT
    query_port: int = QUERY_PORT
    max_traces: int = MAX_TRACES

    @property
    def otlp_endpoint(self) -> str:
        """What the services' OTEL_EXPORTER_OTLP_ENDPOINT is set to."""
        return f"http://127.0.0.1:{self.otlp_port}"

    @property
    def url(self) -> str:
        """The UI, and the query API under /api."""
        return f"http://127.0.0.1:{self.query_port}"

    @property
    def config_path(self) -> Path:
        return self.home / "config.yaml"

    def config(self) -> dict:
        """The OpenTelemetry Collector configuration Jaeger v2 runs: OTLP in, memory store, query UI/API."""
        store = "memory_store"
        return {
            "service": {
                "extensions": ["jaeger_storage", "jaeger_query"],
                # No batch processor: spans are searchable as soon as the services' exporters send them.
                "pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["jaeger_storage_exporter"]}},
                # The collector's own metrics would take port 8888, one more fixed port beside every stack's.
                "telemetry": {"metrics": {"level": "none"}, "logs": {"level": "info"}},
            },
            "extensions": {
                "jaeger_storage": {"backends": {store: {"memory": {"max_traces": self.max_traces}}}},
                "jaeger_query": {
                    "storage": {"traces": store},
                    "ui": {"assets_path": str(ui_assets_dir())},
                    "http": {"endpoint": f"127.0.0.1:{self.query_port}"},
                    # Jaeger's gRPC query API always listens; nothing here uses it, so any free port does.
                    "grpc": {"endpoint": "127.0.0.1:0"},
                    # On by default in Jaeger v2: the query API's own spans, sent to 127.0.0.1:4317 whoever listens
                    # there, and a shutdown that waits 10 s on that exporter when nobody does.
                    "enable_tracing": False,
                },
            },
            "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{self.otlp_port}"}}}},
            "exporters": {"jaeger_storage_exporter": {"trace_storage": store}},
        }

    def write_config(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(yaml.safe_dump(self.config(), sort_keys=False))

    def process(self) -> ProcessSpec:
        return ProcessSpec(
            name=PROGRAM_NAME, command=(str(binary_path()), "--config", str(self.config_path)), stop_timeout=10.0
        )

    def wait_ready(
        self, *, log_path: Path, still_running: Callable[[], bool] = lambda: True, timeout: float = 30
    ) -> float:
        """Wait until both the OTLP receiver and the query API listen."""
        return wait_until(
            lambda: port_is_open(self.otlp_port) and port_is_open(self.query_port),
            what=PROGRAM_NAME,
            timeout=timeout,
            log_path=log_path,
            still_running=still_running,
        )
