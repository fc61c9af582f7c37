"""The console's handlers on its unit of work in memory, with the shipped stage SLA policy and a fixed clock: the
timeline lines and order rows a specialist reads, the live pages told, and the jeopardy and escalations raised."""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from console.domain.reports import checked_request
from console.domain.timeline import OrderRow
from console.handlers import raise_jeopardy, record_in_timeline
from console.reports import build_report
from console.rules_in_force import load_rules
from console.settings import Settings
from orderdesk_shared.consumer.delivery import Delivery, delivery_in_this_task
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.base import Event
from orderdesk_shared.events.commission import RosterRep
from orderdesk_shared.events.fallout import FalloutKind
from orderdesk_shared.events.intake import ServiceRequest, ServiceRequestChanged
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.events.pricing_approval import PricedItem
from services.console.tests.builders import order_row
from services.console.tests.unit.fakes import FakeConsoleUnitOfWork

RULES = load_rules(Settings.model_construct())
POLICY = RULES.slas
CALENDAR = POLICY.business_calendar
MONDAY_OPENING = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # 08:00 in Chicago
CONTEXT = ServiceContext(rules=RULES, clock=lambda: MONDAY_OPENING)


async def delivered(
    uow: FakeConsoleUnitOfWork,
    events: Sequence[Event],
    *,
    first: int = 0,
    context: ServiceContext = CONTEXT,
    latest_read_first: bool = False,
) -> None:
    """The events delivered in one batch, a minute apart (message ids m<first>, m<first + 1>...), kept as it
    commits (with `context`'s rules and clock); read in that order, or the latest first (as a poll reading the
    partitions in another order would)."""
    timed = list(enumerate(events, start=first))
    for n, event in reversed(timed) if latest_read_first else timed:
        token = delivery_in_this_task.set(
            Delivery(f"m{n}", "test", MONDAY_OPENING + timedelta(minutes=n), event.topic, None)
        )
        try:
            await record_in_timeline(event, uow, context)
        finally:
            delivery_in_this_task.reset(token)
    await uow.commit()


async def test_the_events_of_a_batch_become_timeline_lines_folded_into_the_orders_row(journeys):
    uow = FakeConsoleUnitOfWork()
    received, validated, *_ = journeys.every_stage()

    await delivered(uow, [received, validated])

    assert [line.message_id for line in (await uow.timelines.of_orders(["PO-1"]))["PO-1"]] == ["m0", "m1"]
    row = uow.orders.rows["PO-1"]
    assert (row["stage"], row["state"], row["stage_entered_at"]) == (
        Stage.VALIDATED,
        OrderState.IN_PROGRESS,
        MONDAY_OPENING + timedelta(minutes=1),
    )
    assert row["sla_due_at"] is not None
    assert uow.live_pages.announced == ["PO-1"]
    assert uow.events == []


async def test_a_redelivered_line_is_kept_once(journeys):
    uow = FakeConsoleUnitOfWork()
    received = journeys.every_stage()[0]

    await delivered(uow, [received])
    await delivered(uow, [received])

    assert len((await uow.timelines.of_orders(["PO-1"]))["PO-1"]) == 1
    assert uow.orders.rows["PO-1"]["stage"] == Stage.RECEIVED


async def test_the_row_is_the_fold_of_every_line_whatever_the_batches_and_their_order(journeys):
    in_order, late_news = FakeConsoleUnitOfWork(), FakeConsoleUnitOfWork()
    events = journeys.every_stage()

    await delivered(in_order, events)
    await delivered(late_news, events[3:], first=3)
    await delivered(late_news, events[:3])

    assert late_news.orders.rows["PO-1"] == in_order.orders.rows["PO-1"]
    assert (in_order.orders.rows["PO-1"]["stage"], in_order.orders.rows["PO-1"]["state"]) == (
        Stage.RATIFIED,
        OrderState.IN_PROGRESS,
    )


async def watched(uow: FakeConsoleUnitOfWork, *, hours_later: float) -> list[tuple[str, str]]:
    """What the watchdog raises `hours_later` business hours after the order entered its stage: (kind, message)."""
    before = len(uow.events)
    raised = await raise_jeopardy(uow, now=CALENDAR.add_business_hours(MONDAY_OPENING, hours_later), policy=POLICY)
    events = uow.events[before:]
    assert raised == len(events)
    return [(event.kind, event.findings[0].message) for event in events]


async def waiting(uow: FakeConsoleUnitOfWork, row: OrderRow, *, sla_hours: float) -> None:
    await uow.orders.save([(row, CALENDAR.add_business_hours(MONDAY_OPENING, sla_hours))])


async def test_an_order_waiting_for_validation_goes_into_jeopardy_level_by_level_and_is_escalated_once_each():
    uow = FakeConsoleUnitOfWork()
    await waiting(
        uow, order_row("PO-1", stage=Stage.RECEIVED, state=OrderState.ACKNOWLEDGED, since=MONDAY_OPENING), sla_hours=4
    )

    assert await watched(uow, hours_later=1) == []
    assert await watched(uow, hours_later=2) == [
        (FalloutKind.JEOPARDY, "50% of the received SLA (4 business hours, due 2026-11-30T12:00-06:00) is used")
    ]
    assert await watched(uow, hours_later=2.5) == []
    used_up = "100% of the received SLA (4 business hours, due 2026-11-30T12:00-06:00) is used"
    assert await watched(uow, hours_later=4) == [
        (FalloutKind.JEOPARDY, used_up),
        (FalloutKind.ESCALATED, f"escalated to the team lead: {used_up}"),
    ]
    assert await watched(uow, hours_later=5) == []
    assert {event.stage for event in uow.events} == {Stage.RECEIVED}


async def test_an_ended_order_raises_nothing_however_late():
    uow = FakeConsoleUnitOfWork()
    await waiting(
        uow, order_row("PO-1", stage=Stage.RATIFIED, state=OrderState.COMPLETED, since=MONDAY_OPENING), sla_hours=4
    )

    assert await watched(uow, hours_later=40) == []


async def test_the_reports_read_what_a_batch_kept_in_its_period_with_the_rosters_teams(journeys):
    uow = FakeConsoleUnitOfWork()
    await uow.reps.replace(
        [
            RosterRep(id="rep-001", name="Ann", email="ann@example.com", team="central", active_from=date(2026, 1, 1)),
            RosterRep(id="rep-017", name="Bo", email="bo@example.com", team="south", active_from=date(2026, 1, 1)),
        ]
    )
    *before, handed_off, ratified = journeys.every_stage()
    item = PricedItem(
        item_id="1", list_mrc=Decimal(900), net_mrc=Decimal(900), nrc=Decimal(0), discount_percent=0, term_months=36
    )
    priced = handed_off.pricing.model_copy(update={"items": [item]})
    await delivered(uow, [*before, handed_off.model_copy(update={"pricing": priced}), ratified])
    received, *_ = journeys.every_stage("PO-2")
    await delivered(uow, [received], first=10)

    by_team = await build_report(
        uow, checked_request("bookings", date(2026, 11, 30), date(2026, 12, 1), {"by": "team"}), sla=POLICY
    )
    next_day = await build_report(
        uow, checked_request("bookings", date(2026, 12, 1), date(2026, 12, 2), {}), sla=POLICY
    )
    cycle = await build_report(
        uow, checked_request("cycle-times", date(2026, 11, 30), date(2026, 12, 1), {}), sla=POLICY
    )

    assert [row[:2] for row in by_team.rows] == [("central", 1), ("south", 1), ("Total", 1)]
    assert next_day.rows == (("Total", 0, 0, 0, 0),)
    # Each step took a minute: received to validated, and so on to ratified.
    assert [(row[0], row[1], row[2]) for row in cycle.rows] == [
        (str(stage), 1, Decimal("0.02")) for stage in list(Stage)[:-1]
    ]


def _service_request(status: str, *, changed_minutes: int, previous: str | None, note: str | None = None):
    changed_at = MONDAY_OPENING + timedelta(minutes=changed_minutes)
    request = ServiceRequest(
        id="SR-1",
        kind="engineering-review",
        title="Engineering review",
        department="engineering",
        owner="network-engineering",
        description="check the fibre route",
        due_at=datetime(2026, 12, 3, 14, 0, tzinfo=UTC),
        status=status,
        opened_by="spec-ana",
        opened_at=MONDAY_OPENING,
        changed_by="spec-ana" if previous is None else "eng-bo",
        changed_at=changed_at,
        note=note,
    )
    return ServiceRequestChanged(order_id="PO-1", order_version=1, request=request, previous_status=previous)


async def test_a_service_request_is_a_timeline_line_and_the_queue_keeps_it_as_its_latest_change(journeys):
    uow = FakeConsoleUnitOfWork()
    received, *_ = journeys.every_stage()
    opened = _service_request("open", changed_minutes=1, previous=None)
    done = _service_request("done", changed_minutes=2, previous="open", note="route is fine")

    await delivered(uow, [received, opened, done])
    # The opening delivered again after the request was done: neither a line again nor the request opened again.
    await delivered(uow, [opened], first=1)

    lines = (await uow.timelines.of_orders(["PO-1"]))["PO-1"]
    assert [(line.actor, line.what) for line in lines[1:]] == [
        (
            "spec-ana",
            "Engineering review SR-1 opened for network-engineering (engineering), due 2026-12-03T14:00+00:00: check "
            "the fibre route",
        ),
        ("eng-bo", "Engineering review SR-1 done: route is fine"),
    ]
    assert uow.service_requests.kept["SR-1"].status == "done"
    assert uow.orders.rows["PO-1"]["stage"] == Stage.RECEIVED
