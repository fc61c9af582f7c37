"""Go programs the project builds from source once into .cache/: each pinned in a Go module of its own under
stack/tools/ (go.mod's `tool` directive and version, go.sum's hashes), so their dependencies never mix."""

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from orderdesk_stack.paths import cache_dir, repo_root


@dataclass(frozen=True)
class GoTool:
    """One Go program: `package` of `module`, pinned in the Go module at stack/tools/<directory>."""

    module: str
    package: str
    directory: str
    # Build tags: what the program can leave out.
    tags: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.package.rsplit("/", 1)[-1]

    @property
    def tools_dir(self) -> Path:
        return repo_root() / "stack" / "tools" / self.directory

    def version(self) -> str:
        """The version go.mod requires (the one place it is written), without its "v"."""
        go_mod = (self.tools_dir / "go.mod").read_text()
        found = re.search(rf"^\s*{re.escape(self.module)} v(\S+)", go_mod, re.MULTILINE)
        if found is None:
            raise RuntimeError(f"{self.tools_dir / 'go.mod'} requires no {self.module}")
        return found.group(1)

    def binary_path(self) -> Path:
        return cache_dir() / f"{self.name}-{self.version()}" / self.name

    @property
    def skipped(self) -> str:
        return f"{self.name} not built: Go (https://go.dev/dl) is needed once to build it (`make setup`)."

    @staticmethod
    def can_build() -> bool:
        return shutil.which("go") is not None

    def ensure_binary(self) -> Path | None:
        """Build the program with Go once; later calls reuse it. None when Go is not installed."""
        binary = self.binary_path()
        if binary.is_file():
            return binary
        go = shutil.which("go")
        if go is None:
            return None
        binary.parent.mkdir(parents=True, exist_ok=True)
        # Build beside the binary and rename, so an interrupted build never looks complete.
        partial = binary.with_name(f"{self.name}.partial")
        tags = [f"-tags={','.join(self.tags)}"] if self.tags else []
        subprocess.run([go, "build", *tags, "-o", str(partial), self.package], cwd=self.tools_dir, check=True)
        partial.rename(binary)
        return binary


# Checks and unit-tests the alert rules in deploy/prometheus (tests/contract/test_alerts.py). Without the
# cloud service discoveries (its checks need static targets only) it builds in much less time.
PROMTOOL = GoTool(
    module="github.com/prometheus/prometheus",
    package="github.com/prometheus/prometheus/cmd/promtool",
    directory="promtool",
    tags=("remove_all_sd",),
)
