"""The local stack's SMTP sink (aiosmtpd): the relay the console sends its mail through, keeping every message it
receives as a file in a Maildir in the run dir, where tests and people read the real messages."""

import email.policy
import sys
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from orderdesk_stack.processes import ProcessSpec, port_is_open, wait_until

PROGRAM_NAME = "smtp"
SMTP_PORT = 2525


@dataclass(frozen=True)
class MailSink:
    """One SMTP sink on 127.0.0.1:port, its messages in `maildir` (made at start; its parent must exist)."""

    maildir: Path
    port: int = SMTP_PORT

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def process(self) -> ProcessSpec:
        # aiosmtpd's own Mailbox handler adds each message to a mailbox.Maildir as it arrives.
        command = (
            sys.executable,
            *("-m", "aiosmtpd", "--nosetuid", "--listen", self.address),
            *("--class", "aiosmtpd.handlers.Mailbox", str(self.maildir)),
        )
        return ProcessSpec(name=PROGRAM_NAME, command=command, stop_timeout=5.0)

    def wait_ready(
        self, *, log_path: Path, still_running: Callable[[], bool] = lambda: True, timeout: float = 30
    ) -> float:
        return wait_until(
            lambda: port_is_open(self.port),
            what=PROGRAM_NAME,
            timeout=timeout,
            log_path=log_path,
            still_running=still_running,
        )

    def delivered(self) -> list[EmailMessage]:
        """Every message the sink received, oldest first (none before the first)."""
        return delivered(self.maildir)


def delivered(maildir: Path) -> list[EmailMessage]:
    """The messages in a Maildir, oldest first, parsed as the standard library's EmailMessage."""
    kept = sorted(
        (path.stat().st_mtime_ns, path.name, path)
        for folder in ("new", "cur")
        if (maildir / folder).is_dir()
        for path in (maildir / folder).iterdir()
    )
    return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for _, _, path in kept]
