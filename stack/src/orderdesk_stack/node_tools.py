"""Node.js programs the tests run, with the locked Node.js (toolchains.py): each a script beside its package.json
and package-lock.json under stack/tools/, whose locked dependencies `npm ci` installs once into .cache/ (a new lock
installs anew beside the old one)."""

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from orderdesk_stack import toolchains
from orderdesk_stack.paths import cache_dir, repo_root

MANIFESTS = ("package.json", "package-lock.json")


@dataclass(frozen=True)
class NodeTool:
    """`script` in stack/tools/<directory>, run by the locked node with the dependencies its lock pins."""

    name: str
    directory: str
    script: str

    @property
    def tools_dir(self) -> Path:
        return repo_root() / "stack" / "tools" / self.directory

    def install_dir(self) -> Path:
        """Named after the lock's digest, so a changed lock is installed afresh."""
        digest = hashlib.sha256((self.tools_dir / "package-lock.json").read_bytes()).hexdigest()[:12]
        return cache_dir() / f"node-{self.directory}-{digest}"

    @property
    def skipped(self) -> str:
        installs = f"{self.name} is not installed: `make setup` installs it (stack/tools/{self.directory}) with npm."
        return installs if self.can_install() else f"{installs} {toolchains.NODE_MISSING}."

    @staticmethod
    def can_install() -> bool:
        return toolchains.npm_command() is not None

    def is_installed(self) -> bool:
        return (self.install_dir() / "node_modules").is_dir()

    def ensure_installed(self) -> Path | None:
        """Install the locked packages with `npm ci` once; later calls reuse them. None without node and npm."""
        installed = self.install_dir()
        if self.is_installed():
            return installed
        npm = toolchains.npm_command()
        if npm is None:
            return None
        # Install beside the final place and rename, so an interrupted install never looks complete.
        partial = installed.with_name(installed.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        for name in MANIFESTS:
            shutil.copy2(self.tools_dir / name, partial / name)
        subprocess.run(
            [*npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], cwd=partial, check=True
        )
        partial.rename(installed)
        return installed

    def run(self, *arguments: str | Path) -> subprocess.CompletedProcess[str]:
        """Run the script with the locked node, its packages found through NODE_PATH."""
        node = toolchains.node()
        if node is None:
            raise RuntimeError(toolchains.NODE_MISSING)
        environment = os.environ | {"NODE_PATH": str(self.install_dir() / "node_modules")}
        return subprocess.run(
            [node, self.tools_dir / self.script, *map(str, arguments)],
            capture_output=True,
            text=True,
            env=environment,
        )


# The official AsyncAPI parser, checking the AsyncAPI document of the topics (tests/contract/test_asyncapi.py).
ASYNCAPI_VALIDATOR = NodeTool(name="The official AsyncAPI parser", directory="asyncapi", script="validate.cjs")
