"""Status notifications through the console's handlers on its unit of work in memory, with the shipped policy: who
gets which mail about an order, what it tells them, and that nobody gets one twice or against their wish."""

from datetime import date, timedelta

from console.domain.notifications import may_set_preference
from console.handlers import follow_roster
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.commission import RosterPublished, RosterRep
from orderdesk_shared.events.fallout import FalloutKind
from orderdesk_shared.events.operations import OpsStatus
from orderdesk_shared.events.order import Stage
from services.console.tests.unit.fakes import FakeConsoleUnitOfWork
from services.console.tests.unit.test_handlers import CONTEXT, MONDAY_OPENING, delivered

ANA = RosterRep(id="rep-001", name="Ana Reyes", email="ana@desk.example", team="east", active_from=date(2026, 1, 1))
BO = RosterRep(id="rep-017", name="Bo Lind", email="Bo@desk.example", team="east", active_from=date(2026, 1, 1))


async def _desk(*reps: RosterRep) -> FakeConsoleUnitOfWork:
    uow = FakeConsoleUnitOfWork()
    await follow_roster(RosterPublished(version="r1", reps=list(reps or (ANA, BO))), uow, CONTEXT)
    return uow


def _mailed(uow: FakeConsoleUnitOfWork) -> list[tuple[str, str]]:
    """(recipient, subject) of each mail queued, in order."""
    return [(mail.recipients[0], mail.subject) for mail in uow.mail.queued.values()]


async def test_each_rep_hears_of_a_rejection_once_with_the_findings_and_how_to_fix_them(journeys):
    uow = await _desk()
    received = journeys.every_stage()[0]

    await delivered(uow, [received, journeys.rejection()])

    subject = "Order PO-1 (OPP-0065e00000QxT9a) for Acme Corp was rejected"
    assert _mailed(uow) == [("ana@desk.example", subject), ("Bo@desk.example", subject)]
    text = next(iter(uow.mail.queued.values())).text
    assert text.startswith("Hello Ana Reyes,")
    assert "- INVALID_VALUE (salesReps): splits add up to 90\n  How to fix: Make them 100." in text
    assert "What to do: Fix each finding below" in text
    assert "http://127.0.0.1:8000/orders/PO-1" in text
    assert "To get no more status mail: http://127.0.0.1:8000/notifications (signed in), or reply" in text
    assert (
        'PUT http://127.0.0.1:8000/console/notification-preferences/ana@desk.example with {"statusMail": false}' in text
    )


async def test_an_event_delivered_again_mails_nobody_again(journeys):
    uow = await _desk()
    received = journeys.every_stage()[0]
    await delivered(uow, [received, journeys.rejection()])

    await delivered(uow, [journeys.rejection()], first=1)

    assert len(uow.mail.queued) == 2


# What an order on its way mails, in order: the reps when approved and handed off, the customer when handed off.
ON_ITS_WAY = [
    ("ana@desk.example", "was approved"),
    ("Bo@desk.example", "was approved"),
    ("ana@desk.example", "was handed off to Operations"),
    ("Bo@desk.example", "was handed off to Operations"),
    ("pat@acme.example", "Your order OPP-0065e00000QxT9a was handed off to Operations"),
]


def _news(uow: FakeConsoleUnitOfWork) -> list[tuple[str, str]]:
    return [
        (to, subject.removeprefix("Order PO-1 (OPP-0065e00000QxT9a) for Acme Corp ")) for to, subject in _mailed(uow)
    ]


async def test_an_order_on_its_way_mails_the_reps_when_approved_and_handed_off_and_the_customer_when_handed_off(
    journeys,
):
    uow = await _desk()

    await delivered(uow, journeys.every_stage())

    assert _news(uow) == ON_ITS_WAY


async def test_a_poll_that_reads_the_later_events_first_mails_in_the_order_they_happened(journeys):
    uow = await _desk()

    await delivered(uow, journeys.every_stage(), latest_read_first=True)

    assert _news(uow) == ON_ITS_WAY


async def test_installation_failed_completed_and_cancelled_orders_mail_their_reps(journeys):
    uow = await _desk(ANA)
    events = journeys.every_stage()[:6]
    await delivered(uow, events)
    uow.mail.queued.clear()

    await delivered(uow, [journeys.operations(OpsStatus.FAILED, reason="no access to the site")], first=6)
    await delivered(uow, [journeys.operations(OpsStatus.INSTALLED)], first=7)
    failed, installed, customer = uow.mail.queued.values()

    assert failed.subject.endswith("failed at installation")
    assert "no access to the site" in failed.text
    assert installed.subject.endswith("was installed")
    assert customer.recipients == ("pat@acme.example",)

    cancelled = FakeConsoleUnitOfWork()
    cancelled.reps = uow.reps
    await delivered(
        cancelled, [events[0], journeys.fallout(FalloutKind.CANCELLED, Stage.RECEIVED, "CUSTOMER_ASKED", "cancelled")]
    )
    assert [subject.rsplit(" ", 2)[-2:] for _, subject in _mailed(cancelled)] == [["was", "cancelled"]] * 2


async def test_approvals_awaited_are_no_news_for_the_rep_but_a_question_for_them_is(journeys):
    uow = await _desk(ANA)
    received = journeys.every_stage()[0]
    waiting = journeys.fallout(FalloutKind.PENDING, Stage.PRICED, "PRICING_APPROVAL_REQUIRED", "needs a director")
    question = journeys.fallout(FalloutKind.PENDING, Stage.QUALIFIED, "BANDWIDTH_UNAVAILABLE", "only 500 Mbps there")

    await delivered(uow, [received, waiting])
    assert _mailed(uow) == []

    await delivered(uow, [question], first=2)
    [(to, subject)] = _mailed(uow)
    assert (to, subject.endswith("is pending: it waits for something from you")) == ("ana@desk.example", True)


async def test_a_person_who_asked_for_no_status_mail_gets_none_and_the_others_still_do(journeys):
    uow = await _desk()
    await uow.preferences.set("BO@DESK.EXAMPLE", status_mail=False, changed_by="rep-017", at=MONDAY_OPENING)

    await delivered(uow, [journeys.every_stage()[0], journeys.rejection()])

    assert [to for to, _ in _mailed(uow)] == ["ana@desk.example"]


async def test_old_news_and_news_of_a_corrected_version_mail_nobody(journeys):
    uow = await _desk()
    a_day_later = ServiceContext(rules=CONTEXT.rules, clock=lambda: MONDAY_OPENING + timedelta(hours=25))
    received = journeys.every_stage()[0]
    await delivered(uow, [received])

    await delivered(uow, [journeys.rejection()], first=1, context=a_day_later)
    assert _mailed(uow) == []

    corrected = journeys.every_stage(version=2)[0]
    await delivered(uow, [corrected, journeys.rejection(version=1)], first=2)
    assert _mailed(uow) == []


async def test_a_rep_not_on_the_roster_gets_no_mail_and_the_others_do(journeys):
    uow = await _desk(BO)

    await delivered(uow, [journeys.every_stage()[0], journeys.rejection()])

    assert [to for to, _ in _mailed(uow)] == ["Bo@desk.example"]


def test_the_desk_sets_anyones_preference_a_person_only_their_own():
    assert may_set_preference(desk=True, own_email=None, email="pat@acme.example")
    assert may_set_preference(desk=False, own_email="Ana@Desk.example", email="ana@desk.example")
    assert not may_set_preference(desk=False, own_email="ana@desk.example", email="bo@desk.example")
    assert not may_set_preference(desk=False, own_email=None, email="bo@desk.example")
