"""Jaeger v2, the local stack's tracing backend: built once with Go from the version pinned in stack/tools/go.mod,
run with in-memory storage, receiving OTLP over HTTP and serving its UI and query API on 127.0.0.1.
"""

import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from orderdesk_stack.paths import cache_dir, repo_root
from orderdesk_stack.processes import ProcessSpec, port_is_open, wait_until

PROGRAM_NAME = "jaeger"
MODULE = "github.com/jaegertracing/jaeger"
COMMAND_PACKAGE = f"{MODULE}/cmd/jaeger"
OTLP_HTTP_PORT = 4318
QUERY_PORT = 16686
# A local stack keeps this many traces and forgets the oldest beyond. Jaeger's memory store takes about 1 KiB
# a span, so even if every trace were an order's (about fifty spans) this stays near 1 GiB.
MAX_TRACES = 20_000
SKIPPED = (
    "Jaeger skipped: Go (https://go.dev/dl) is needed once to build it (`make setup`); "
    "until then the services export no traces."
)


def tools_dir() -> Path:
    """The Go module that pins Jaeger as a tool (go.mod's `tool` directive, go.sum's hashes)."""
    return repo_root() / "stack" / "tools"


@cache
def jaeger_version() -> str:
    """The Jaeger version stack/tools/go.mod requires (the one place it is written), without its "v"."""
    go_mod = (tools_dir() / "go.mod").read_text()
    found = re.search(rf"^\s*{re.escape(MODULE)} v(\S+)", go_mod, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"{tools_dir() / 'go.mod'} requires no {MODULE}")
    return found.group(1)


def ui_assets_dir() -> Path:
    """The stack's own trace pages: a Go module build of Jaeger embeds no UI, only a placeholder page."""
    return repo_root() / "deploy" / "local" / "jaeger-ui"


def binary_path() -> Path:
    return cache_dir() / f"jaeger-{jaeger_version()}" / "jaeger"


def can_build() -> bool:
    return shutil.which("go") is not None


def ensure_binary() -> Path | None:
    """Build the jaeger binary with Go once (a few minutes); later calls reuse it. None when Go is not installed."""
    binary = binary_path()
    if binary.is_file():
        return binary
    go = shutil.which("go")
    if go is None:
        return None
    binary.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the binary and rename, so an interrupted build never looks complete.
    partial = binary.with_name("jaeger.partial")
    subprocess.run([go, "build", "-o", str(partial), COMMAND_PACKAGE], cwd=tools_dir(), check=True)
    partial.rename(binary)
    return binary


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
