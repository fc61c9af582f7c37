"""Long-running programs described once, run by supervisord (the stack) or directly (test fixtures)."""

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType


class StartupError(RuntimeError):
    """A program did not become ready; the message says where its log is."""


@dataclass(frozen=True)
class ProcessSpec:
    """How to run one program in the foreground, so that whoever starts it owns it."""

    name: str
    command: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    user: str | None = None
    stop_signal: signal.Signals = signal.SIGTERM
    stop_timeout: float = 30.0


class LocalProcess:
    """A ProcessSpec started with Popen, its output in a log file, stopped by its pid."""

    def __init__(self, spec: ProcessSpec, *, log_path: Path, cwd: Path) -> None:
        self.spec = spec
        self.log_path = log_path
        self.cwd = cwd
        self._popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            # A new session keeps a terminal's Ctrl-C away from the server, so teardown stops it in order.
            self._popen = subprocess.Popen(
                self.spec.command,
                cwd=self.cwd,
                env={**os.environ, **self.spec.env},
                user=self.spec.user,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def is_running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def stop(self) -> None:
        if not self.is_running():
            return
        assert self._popen is not None
        self._popen.send_signal(self.spec.stop_signal)
        try:
            self._popen.wait(self.spec.stop_timeout)
        except subprocess.TimeoutExpired:
            self._popen.kill()
            self._popen.wait()


def run_tool(command: Sequence[str], *, what: str, user: str | None = None) -> None:
    """Run a one-off tool to completion; if it fails, the error carries its output."""
    result = subprocess.run(command, capture_output=True, text=True, user=user, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}".rstrip())


def free_ports(count: int) -> list[int]:
    """Distinct free TCP ports on 127.0.0.1, below the ephemeral range.

    A port from the ephemeral range can be taken by any outgoing connection (a Kafka or database
    client) in the seconds before the server meant for it binds it.
    """
    chosen: list[int] = []
    low, high = _listening_port_range()
    for port in random.sample(range(low, high), k=high - low):
        if _can_bind(port):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise RuntimeError(f"found only {len(chosen)} of {count} free ports in {low}-{high}")


def free_port_block(count: int, *, attempts: int = 200) -> int:
    """A base port such that base .. base+count-1 are all free (services take base + offset, the console base)."""
    low, high = _listening_port_range()
    for base in random.sample(range(low, high - count), k=attempts):
        if all(_can_bind(base + offset) for offset in range(count)):
            return base
    raise RuntimeError(f"found no {count} consecutive free ports in {attempts} attempts")


def _listening_port_range() -> tuple[int, int]:
    """Ports for servers: the 10,000 just below where the kernel starts handing out ephemeral ports."""
    try:
        ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768
    return max(1024, ephemeral_low - 10_000), ephemeral_low


def _can_bind(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_is_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def is_stopped(pid: int) -> bool:
    """Whether the process is stopped by a signal (SIGSTOP), as Linux's /proc tells; False where it cannot tell."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state follows the command name, which is in parentheses and may itself hold spaces or parentheses.
    return stat.rpartition(")")[2].split()[0] == "T"


def log_tail(path: Path, lines: int = 20) -> str:
    if not path.exists():
        return f"(no log at {path})"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_until(
    ready: Callable[[], bool],
    *,
    what: str,
    timeout: float,
    log_path: Path,
    still_running: Callable[[], bool] = lambda: True,
    interval: float = 0.1,
) -> float:
    """Poll until ready() holds; return the seconds it took. Fail fast if the program died."""
    started = time.monotonic()
    while not ready():
        elapsed = time.monotonic() - started
        if not still_running():
            raise StartupError(f"{what} exited while starting; see {log_path}:\n{log_tail(log_path)}")
        if elapsed > timeout:
            raise StartupError(f"{what} was not ready after {timeout:.0f} s; see {log_path}:\n{log_tail(log_path)}")
        time.sleep(interval)
    return time.monotonic() - started


@contextlib.contextmanager
def server_home(name: str) -> Iterator[Path]:
    """A directory for a server that runs while the block does (a test session's, a command's), removed after.

    Not one of pytest's temporary directories: a pytest session started meanwhile (another run, in another
    checkout) removes the oldest of those, and with it the data of a server still running.
    """
    home = Path(tempfile.mkdtemp(prefix=f"orderdesk-{name}-"))
    home.chmod(0o755)  # a server may run as another user (Postgres refuses root)
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)
