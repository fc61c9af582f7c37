"""Mail the console sends (status notifications, scheduled reports): what it says and to whom, queued in the
console's outbox and delivered by its sender loop (mail_sender.py)."""

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Mail:
    """One message to its recipients. Queued once per `dedupe_key`: whatever queues it again (a redelivered event,
    a schedule run after a restart) sends nothing more."""

    dedupe_key: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class QueuedMail:
    """A mail in the outbox, as the sender takes it: its row id and how often sending it failed so far."""

    id: int
    mail: Mail
    attempts: int


# A mail that could not be sent is tried again after 30 s, then twice as long each time up to an hour: never
# given up on, so the relay being away for a day loses nothing.
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)


def retry_after(attempts: int) -> timedelta:
    """How long to wait before trying a mail again once sending it failed `attempts` times (1 or more)."""
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 16), LONGEST_RETRY)
