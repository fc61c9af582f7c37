"""The console's mail against its real schema and a real SMTP sink: queued once per dedupe key, delivered as a real
message with its attachments, kept and tried again while the relay is away; and the roster it addresses mail with."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from console.domain.mail import Attachment, Mail
from console.handlers import follow_roster
from console.mail_sender import DEDUPE_KEY_HEADER, mail_sender
from console.tables import mail_outbox
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.commission import RosterPublished, RosterRep
from orderdesk_stack.mail_sink import MailSink
from orderdesk_stack.processes import LocalProcess, free_ports
from orderdesk_stack.testing import eventually, running

pytestmark = pytest.mark.integration

WORKBOOK = Attachment(
    filename="bookings-2026-11.xlsx",
    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    content=b"PK\x03\x04 not really a workbook \x00\xff",
)
REPORT = Mail(
    dedupe_key="schedule:monthly-bookings:2026-12-01T08:00Z",
    recipients=("finance@acme.example", "Sales Ops <sales-ops@acme.example>"),
    subject="Bookings, November 2026",
    text="The bookings of November 2026 are attached.",
    attachments=(WORKBOOK,),
)


def _sender(sink: MailSink, clock=lambda: datetime.now(UTC)):
    return mail_sender(
        clock, host="127.0.0.1", port=sink.port, sender="OrderDesk <desk@orderdesk.local>", every_seconds=0.1
    )


async def _delivered(sink: MailSink) -> list:
    return sink.delivered()


async def _outbox(database) -> list[dict]:
    async with database.unit_of_work() as uow:
        result = await uow.connection.execute(sa.select(mail_outbox).order_by(mail_outbox.c.id))
        return [dict(row) for row in result.mappings()]


async def test_a_mail_queued_twice_arrives_once_as_a_real_message_with_its_attachment(database, sink):
    async with database.unit_of_work() as uow:
        assert await uow.mail.queue([REPORT, REPORT]) == 1
    async with database.unit_of_work() as uow:
        assert await uow.mail.queue([REPORT]) == 0

    async with running(_sender(sink)(database)):
        [message] = await eventually(lambda: _delivered(sink), what="the report in the sink")
        [kept] = await eventually(lambda: _outbox(database), lambda rows: rows[0]["sent_at"], what="the mail sent")

    assert message["Subject"] == "Bookings, November 2026"
    assert message["To"] == "finance@acme.example, Sales Ops <sales-ops@acme.example>"
    assert message[DEDUPE_KEY_HEADER] == REPORT.dedupe_key
    assert message.get_body(("plain",)).get_content().strip() == REPORT.text
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == WORKBOOK.filename
    assert attachment.get_content_type() == WORKBOOK.content_type
    assert attachment.get_content() == WORKBOOK.content
    assert (kept["attempts"], kept["last_error"]) == (1, None)
    assert len(sink.delivered()) == 1


async def test_a_round_of_mail_goes_out_together_each_once(database, sink):
    status_mails = [
        Mail(f"status:event-{n}:rep@acme.example", ("rep@acme.example",), f"Order PO-{n} was approved", "Approved.")
        for n in range(25)
    ]
    async with database.unit_of_work() as uow:
        assert await uow.mail.queue(status_mails) == 25

    async with running(_sender(sink)(database)):
        kept = await eventually(
            lambda: _outbox(database), lambda rows: all(row["sent_at"] for row in rows), what="every mail sent"
        )
    assert sorted(message[DEDUPE_KEY_HEADER] for message in sink.delivered()) == sorted(
        mail.dedupe_key for mail in status_mails
    )
    assert {(row["attempts"], row["last_error"]) for row in kept} == {(1, None)}


async def test_a_mail_the_relay_cannot_take_waits_and_is_sent_once_it_can(database, tmp_path):
    away = MailSink(tmp_path / "smtp", port=free_ports(1)[0])
    async with database.unit_of_work() as uow:
        await uow.mail.queue([REPORT])

    async with running(_sender(away)(database)):
        [kept] = await eventually(lambda: _outbox(database), lambda rows: rows[0]["attempts"] >= 1)
    assert kept["sent_at"] is None
    assert "Connect" in kept["last_error"] or "refused" in kept["last_error"].lower()
    assert kept["next_attempt_at"] > kept["queued_at"] + timedelta(seconds=25)

    process = LocalProcess(away.process(), log_path=tmp_path / "smtp.log", cwd=tmp_path)
    process.start()
    try:
        away.wait_ready(log_path=tmp_path / "smtp.log", still_running=process.is_running)
        an_hour_later = lambda: datetime.now(UTC) + timedelta(hours=1)  # noqa: E731  # past the retry's time
        async with running(_sender(away, clock=an_hour_later)(database)):
            await eventually(lambda: _delivered(away), what="the mail once the relay is back")
            await eventually(lambda: _outbox(database), lambda rows: rows[0]["sent_at"])
        assert len(away.delivered()) == 1
    finally:
        process.stop()


def _rep(rep_id: str, email: str, *, team: str = "enterprise-east") -> RosterRep:
    return RosterRep(id=rep_id, name=rep_id.title(), email=email, team=team, active_from=date(2026, 1, 1))


async def test_the_console_addresses_mail_with_the_roster_commission_announced_last(database):
    for roster in (
        [_rep("rep-001", "ana@acme.example"), _rep("rep-017", "bo@acme.example")],
        [_rep("rep-001", "ana.new@acme.example", team="smb"), _rep("rep-020", "cy@acme.example")],
    ):
        async with database.unit_of_work() as uow:
            await follow_roster(RosterPublished(version="v", reps=roster), uow, ServiceContext(rules=None))

    async with database.unit_of_work() as uow:
        found = await uow.reps.by_ids(["rep-001", "rep-017", "rep-999"])
        everyone = await uow.reps.all()
    assert found == {"rep-001": _rep("rep-001", "ana.new@acme.example", team="smb")}
    assert [rep.id for rep in everyone] == ["rep-001", "rep-020"]
