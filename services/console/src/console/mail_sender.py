"""The background loop that delivers the console's queued mail through the SMTP relay, and marks it sent."""

import asyncio
from collections.abc import Sequence
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, make_msgid, parseaddr

import aiosmtplib
from prometheus_client import Counter

from console.domain.mail import QueuedMail, retry_after
from orderdesk_shared.context import Clock
from orderdesk_shared.db import Database
from orderdesk_shared.errors import DATABASE_FAILURES, logged_error
from orderdesk_shared.logs import get_logger
from orderdesk_shared.runtime import DatabaseTask

log = get_logger(__name__)

# Which mail a message is: a reader (a test, a person's filter) tells one queued mail from another by it.
DEDUPE_KEY_HEADER = "X-OrderDesk-Mail"
# Mail taken per round: each holds its row until its round commits.
BATCH = 20
SMTP_TIMEOUT_SECONDS = 20.0

MAIL_SENT = Counter("orderdesk_mail_sent", "Mail the console delivered to its SMTP relay.")
MAIL_FAILED = Counter("orderdesk_mail_send_failures", "Attempts to send a mail that failed (it is tried again).")


def as_message(queued: QueuedMail, *, sender: str) -> Message:
    """The mail as a MIME message. Built with the email package's classic classes: its modern EmailMessage parses
    every header it is given through its policy's registry, five times the CPU for the same bytes (0.58 against
    0.12 ms a status mail), and the console writes a few mails an order."""
    mail = queued.mail
    body = MIMEText(mail.text, "plain", "utf-8")
    message = body
    if mail.attachments:
        message = MIMEMultipart()
        message.attach(body)
        for attachment in mail.attachments:
            part = MIMEApplication(attachment.content, attachment.content_type.split("/", 1)[1])
            part.replace_header("Content-Type", attachment.content_type)
            part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
            message.attach(part)
    message["From"] = _addresses([sender])
    message["To"] = _addresses(mail.recipients)
    message["Subject"] = _text(mail.subject)
    message["Message-ID"] = make_msgid(domain="orderdesk.local")
    message[DEDUPE_KEY_HEADER] = mail.dedupe_key
    return message


def _addresses(people: Sequence[str]) -> str:
    """Addresses as a header gives them: each name encoded when it is not ASCII, the address itself never."""
    return ", ".join(formataddr(parseaddr(person), charset="utf-8") for person in people)


def _text(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


def mail_sender(clock: Clock, *, host: str, port: int, sender: str, every_seconds: float) -> DatabaseTask:
    """A loop that sends the mail due, every `every_seconds` (at once again while there is more), for as long as
    the console runs: a round's mail over one session with the relay, marked sent together. A mail the relay did not
    take is tried again later (domain.mail.retry_after), never dropped; one the relay took but whose round did not
    commit is sent again (at least once)."""

    async def send_all(due: list[QueuedMail]) -> dict[int, str]:
        """Why the relay did not take each mail it did not take (none: it took them all)."""
        taken: set[int] = set()
        refused: dict[int, str] = {}
        try:
            async with aiosmtplib.SMTP(hostname=host, port=port, timeout=SMTP_TIMEOUT_SECONDS) as relay:
                for queued in due:
                    try:
                        await relay.send_message(as_message(queued, sender=sender))
                        taken.add(queued.id)
                    except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused) as error:
                        # The relay refused this mail (its recipients, its size): the session goes on with the next.
                        refused[queued.id] = _why(error)
        except (aiosmtplib.SMTPException, OSError) as error:
            # The session failed: what it had not sent yet is tried again later.
            refused |= {queued.id: _why(error) for queued in due if queued.id not in taken | refused.keys()}
        return refused

    async def round_of_sending(database: Database) -> int:
        async with database.unit_of_work() as uow:
            due = await uow.mail.take_due(now=clock(), limit=BATCH)
            refused = await send_all(due) if due else {}
            await uow.mail.sent([queued.id for queued in due if queued.id not in refused], at=clock())
            MAIL_SENT.inc(len(due) - len(refused))
            for queued in due:
                if (error := refused.get(queued.id)) is not None:
                    MAIL_FAILED.inc()
                    log.warning("mail not sent, tried again later", mail=queued.mail.dedupe_key, error=error)
                    await uow.mail.failed(queued.id, error=error, retry_at=clock() + retry_after(queued.attempts + 1))
        return len(due)

    async def deliver(database: Database) -> None:
        while True:
            try:
                if await round_of_sending(database) == BATCH:
                    continue
            except DATABASE_FAILURES as error:
                log.warning("mail sender could not read the database", error=logged_error(error))
            await asyncio.sleep(every_seconds)

    return deliver


def _why(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"
