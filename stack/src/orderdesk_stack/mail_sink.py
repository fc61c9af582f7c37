"""The local stack's SMTP sink (aiosmtpd): the relay the console sends its mail through, keeping every message it
receives as a file in a Maildir in the run dir, where tests and people read the real messages."""

import email.policy
import os
import socket
import sys
import time
from argparse import ArgumentParser
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from itertools import count
from pathlib import Path

from aiosmtpd.smtp import Envelope

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
        command = (
            sys.executable,
            *("-m", "aiosmtpd", "--nosetuid", "--listen", self.address),
            *("--class", f"{__name__}.{MaildirOfReceivedBytes.__name__}", str(self.maildir)),
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


class MaildirOfReceivedBytes:
    """An aiosmtpd handler keeping each message in a Maildir as the bytes received, after the envelope's sender and
    recipients as headers (as aiosmtpd's own Mailbox handler names them).

    Written as the Maildir convention has it (a file in tmp/, renamed into new/) but not synced to disk: the sink is
    the local stack's stand-in for a relay, what it keeps is for tests and people to read, and aiosmtpd's Mailbox
    handler (which parses each message and prints it back, then fsyncs it) cost the sink 0.47 ms of CPU a mail, more
    than the console spends sending one."""

    def __init__(self, maildir: str) -> None:
        self._maildir = Path(maildir)
        for folder in ("tmp", "new", "cur"):
            (self._maildir / folder).mkdir(parents=True, exist_ok=True)
        self._names = (f"{time.time_ns()}.{os.getpid()}_{number}.{socket.gethostname()}" for number in count())

    @classmethod
    def from_cli(cls, parser: ArgumentParser, *args: str) -> "MaildirOfReceivedBytes":
        if len(args) != 1:
            parser.error("the handler takes one argument: the Maildir's directory")
        return cls(args[0])

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        envelope_headers = f"X-MailFrom: {envelope.mail_from}\r\nX-RcptTo: {', '.join(envelope.rcpt_tos)}\r\n"
        name = next(self._names)
        (self._maildir / "tmp" / name).write_bytes(envelope_headers.encode() + envelope.original_content)
        (self._maildir / "tmp" / name).rename(self._maildir / "new" / name)
        return "250 OK"


def delivered(maildir: Path) -> list[EmailMessage]:
    """The messages in a Maildir, oldest first, parsed as the standard library's EmailMessage."""
    kept = sorted(
        (path.stat().st_mtime_ns, path.name, path)
        for folder in ("new", "cur")
        if (maildir / folder).is_dir()
        for path in (maildir / folder).iterdir()
    )
    return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for _, _, path in kept]
