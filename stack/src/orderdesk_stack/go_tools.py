"""Go programs the project builds from source once into .cache/, with the locked Go (toolchains.py): each pinned in
a Go module of its own under stack/tools/ (go.mod's `tool` directive and version, go.sum's hashes), so their
dependencies never mix."""

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from orderdesk_stack import toolchains
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
        """The package's last path element, or the one before a major version's (`.../kustomize/v5`), as Go names
        the binary."""
        *_, parent, last = self.package.split("/")
        return parent if re.fullmatch(r"v\d+", last) else last

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
        return f"{self.name} not built: {toolchains.GO_MISSING}, then builds it."

    @staticmethod
    def can_build() -> bool:
        return toolchains.go() is not None

    def ensure_binary(self) -> Path | None:
        """Build the program with Go once; later calls reuse it. None when Go is not installed."""
        binary = self.binary_path()
        if binary.is_file():
            return binary
        go = toolchains.go()
        if go is None:
            return None
        binary.parent.mkdir(parents=True, exist_ok=True)
        # Build beside the binary and rename, so an interrupted build never looks complete.
        partial = binary.with_name(f"{self.name}.partial")
        tags = [f"-tags={','.join(self.tags)}"] if self.tags else []
        subprocess.run(
            [go, "build", *tags, "-o", str(partial), self.package],
            cwd=self.tools_dir,
            env=toolchains.go_environment(go),
            check=True,
        )
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


# Renders deploy/kubernetes's kustomizations for the tests that validate what they would apply (tests/deploy).
KUSTOMIZE = GoTool(
    module="sigs.k8s.io/kustomize/kustomize/v5",
    package="sigs.k8s.io/kustomize/kustomize/v5",
    directory="kustomize",
)


@dataclass(frozen=True)
class GoModuleFiles:
    """The files of one version of a Go module, from the Go module proxy, for the schemas some modules ship: checked
    against `checksum` (go.sum's hash of the module, "h1:...") and kept under .cache/go-modules/."""

    module: str
    version: str
    checksum: str

    @property
    def skipped(self) -> str:
        return f"{self.module} not downloaded: {toolchains.GO_MISSING}, then fetches it."

    def ensure_dir(self) -> Path | None:
        """The module's files, downloaded once (and verified); None when Go is not installed."""
        go = toolchains.go()
        if go is None:
            return None
        modules = cache_dir() / "go-modules"
        # Outside any Go module, so nothing here is added to one; the proxy's copy is checked against the pinned hash.
        downloaded = subprocess.run(
            [go, "mod", "download", "-json", f"{self.module}@{self.version}"],
            cwd=cache_dir(),
            env=toolchains.go_environment(go, GOMODCACHE=str(modules), GO111MODULE="on", GOFLAGS="-mod=mod"),
            capture_output=True,
            text=True,
            check=False,
        )
        found = json.loads(downloaded.stdout or "{}")
        if found.get("Sum") != self.checksum or "Dir" not in found:
            raise RuntimeError(
                f"cannot fetch {self.module}@{self.version} as pinned ({self.checksum}): "
                f"{found.get('Error') or found.get('Sum') or downloaded.stderr.strip()}"
            )
        return Path(found["Dir"])


# KEDA's CustomResourceDefinitions (config/crd/bases): the ScaledObjects and TriggerAuthentications are checked
# against them. The newest release whose module the pinned Go toolchain accepts.
KEDA_MODULE = GoModuleFiles("github.com/kedacore/keda/v2", "v2.20.2", "h1:SR60v8uIcelbveS8n/1jcl8tLdBBIbHMxmdOHw8tKqA=")
# The compose specification's JSON schema (schema/compose-spec.json) that deploy/compose.yaml is checked against.
COMPOSE_SPEC_MODULE = GoModuleFiles(
    "github.com/compose-spec/compose-go/v2", "v2.16.2", "h1:pTp1DqQwJzFd85GzlWsSszKA1ABrV/ySqsClujIcWA8="
)
