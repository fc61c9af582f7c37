"""The console's mail as repositories on the unit of work's connection: the rep roster it addresses status mail
with (`uow.reps`), the outbox its sender loop delivers (`uow.mail`) and who asked for no status mail
(`uow.preferences`)."""

import base64
from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from console.domain.mail import Attachment, Mail, QueuedMail
from console.tables import mail_outbox, notification_preferences, reps
from orderdesk_shared.db.arrays import as_arrays, insert_arrays
from orderdesk_shared.events.commission import RosterRep

_REP_COLUMNS = tuple(column.name for column in reps.c)
_KEEP_REPS = insert_arrays(
    reps,
    _REP_COLUMNS,
    on_conflict="(rep_id) DO UPDATE SET "
    + ", ".join(f"{name} = EXCLUDED.{name}" for name in _REP_COLUMNS if name != "rep_id"),
)
_QUEUE = insert_arrays(
    mail_outbox,
    ("dedupe_key", "recipients", "subject", "text", "attachments"),
    on_conflict="(dedupe_key) DO NOTHING",
    returning="id",
)


def _texts(values: Iterable[str]) -> sa.BindParameter:
    return sa.bindparam(None, list(values), type_=postgresql.ARRAY(sa.Text))


def _rep(row: sa.RowMapping) -> RosterRep:
    return RosterRep(id=row["rep_id"], **{name: row[name] for name in _REP_COLUMNS if name != "rep_id"})


class Reps:
    """The rep roster as commission last announced it."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def replace(self, roster: Sequence[RosterRep]) -> None:
        """The roster is now `roster`: its reps kept as it describes them, reps no longer on it forgotten."""
        await self._connection.execute(reps.delete().where(reps.c.rep_id.not_in([rep.id for rep in roster])))
        if roster:
            rows = [{"rep_id": rep.id} | rep.model_dump(exclude={"id"}) for rep in roster]
            await self._connection.execute(_KEEP_REPS, as_arrays(rows))

    async def by_ids(self, ids: Iterable[str]) -> dict[str, RosterRep]:
        """The reps on the roster among `ids`, by id (an id not on it is left out)."""
        result = await self._connection.execute(sa.select(reps).where(reps.c.rep_id == sa.any_(_texts(ids))))
        return {row["rep_id"]: _rep(row) for row in result.mappings()}

    async def all(self) -> list[RosterRep]:
        """Every rep on the roster, by id."""
        result = await self._connection.execute(sa.select(reps).order_by(reps.c.rep_id))
        return [_rep(row) for row in result.mappings()]


def _attachments_json(attachments: Sequence[Attachment]) -> list[dict[str, str]]:
    return [
        {
            "filename": attachment.filename,
            "contentType": attachment.content_type,
            "base64": base64.b64encode(attachment.content).decode("ascii"),
        }
        for attachment in attachments
    ]


def _queued(row: sa.RowMapping) -> QueuedMail:
    attachments = tuple(
        Attachment(
            filename=kept["filename"], content_type=kept["contentType"], content=base64.b64decode(kept["base64"])
        )
        for kept in row["attachments"]
    )
    mail = Mail(
        dedupe_key=row["dedupe_key"],
        recipients=tuple(row["recipients"]),
        subject=row["subject"],
        text=row["text"],
        attachments=attachments,
    )
    return QueuedMail(id=row["id"], mail=mail, attempts=row["attempts"])


class MailOutbox:
    """Mail queued to be sent, once per dedupe key, and what became of it."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def queue(self, mails: Sequence[Mail]) -> int:
        """Queue the mails, in one statement, each unless one with its dedupe key was queued before; how many were
        new."""
        if not mails:
            return 0
        rows = [
            {
                "dedupe_key": mail.dedupe_key,
                "recipients": list(mail.recipients),
                "subject": mail.subject,
                "text": mail.text,
                "attachments": _attachments_json(mail.attachments),
            }
            for mail in mails
        ]
        return len((await self._connection.execute(_QUEUE, as_arrays(rows))).all())

    async def take_due(self, *, now: datetime, limit: int) -> list[QueuedMail]:
        """Unsent mail due to be tried by `now`, oldest first, held until this transaction ends (another sender
        skips it)."""
        result = await self._connection.execute(
            sa.select(mail_outbox)
            .where(mail_outbox.c.sent_at.is_(None), mail_outbox.c.next_attempt_at <= now)
            .order_by(mail_outbox.c.next_attempt_at, mail_outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_queued(row) for row in result.mappings()]

    async def sent(self, mail_ids: Sequence[int], *, at: datetime) -> None:
        """The mail the relay took, marked sent together."""
        if not mail_ids:
            return
        await self._connection.execute(
            mail_outbox.update()
            .where(mail_outbox.c.id.in_(mail_ids))
            .values(sent_at=at, attempts=mail_outbox.c.attempts + 1, last_error=None)
        )

    async def failed(self, mail_id: int, *, error: str, retry_at: datetime) -> None:
        await self._connection.execute(
            mail_outbox.update()
            .where(mail_outbox.c.id == mail_id)
            .values(attempts=mail_outbox.c.attempts + 1, last_error=error, next_attempt_at=retry_at)
        )


class NotificationPreferences:
    """Whether each person (by e-mail address, any case) wants status mail: everyone does until they say not."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def unsubscribed(self, emails: Iterable[str]) -> set[str]:
        """Those among `emails` (lower case) who asked for no status mail."""
        result = await self._connection.execute(
            sa.select(notification_preferences.c.email).where(
                notification_preferences.c.email == sa.any_(_texts(email.lower() for email in emails)),
                sa.not_(notification_preferences.c.status_mail),
            )
        )
        return set(result.scalars())

    async def get(self, email: str) -> dict | None:
        result = await self._connection.execute(
            sa.select(notification_preferences).where(notification_preferences.c.email == email.lower())
        )
        row = result.mappings().first()
        return dict(row) if row else None

    async def set(self, email: str, *, status_mail: bool, changed_by: str, at: datetime) -> None:
        values = {"status_mail": status_mail, "changed_by": changed_by, "changed_at": at}
        statement = postgresql.insert(notification_preferences).values(email=email.lower(), **values)
        await self._connection.execute(
            statement.on_conflict_do_update(index_elements=[notification_preferences.c.email], set_=values)
        )
