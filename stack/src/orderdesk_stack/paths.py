"""Where the repository, its caches and the local run directory are."""

import os
from functools import cache
from pathlib import Path

RUN_DIR_ENV = "ORDERDESK_RUN_DIR"
_ROOT_MARKER = Path("deploy") / "kafka" / "pom.xml"


@cache
def repo_root() -> Path:
    """The checkout this package runs from (it is installed editable from the uv workspace)."""
    for directory in Path(__file__).resolve().parents:
        if (directory / _ROOT_MARKER).is_file():
            return directory
    raise RuntimeError(f"no {_ROOT_MARKER} above {__file__}: run from an OrderDesk checkout")


def cache_dir() -> Path:
    """Downloads that outlive runs (gitignored)."""
    return repo_root() / ".cache"


def default_run_dir() -> Path:
    """The local stack's state: supervisor files, logs and data (gitignored)."""
    return Path(os.environ.get(RUN_DIR_ENV) or repo_root() / ".run").resolve()
