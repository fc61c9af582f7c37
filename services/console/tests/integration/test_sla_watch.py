"""The SLA watchdog against the real schema, with an injected clock: each jeopardy level and escalation once."""

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from console.handlers import raise_jeopardy
from console.rules_in_force import load_rules
from console.settings import Settings
from console.sla_watch import stage_sla_watch
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.db import Database
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_stack.testing import eventually, running
from services.console.tests.builders import order_row, save_rows

pytestmark = pytest.mark.integration

RULES = load_rules(Settings.model_construct())
POLICY = RULES.slas
CALENDAR = POLICY.business_calendar
MONDAY_OPENING = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # 08:00 in Chicago


async def _watch(database: Database, *, hours_later: float) -> list[tuple[str, str]]:
    """What the watchdog records at `hours_later` business hours after the order was received: (kind, message)."""
    async with database.unit_of_work() as uow:
        await raise_jeopardy(uow, now=CALENDAR.add_business_hours(MONDAY_OPENING, hours_later), policy=POLICY)
        emitted = [json.loads(record.value) for record in uow.emitted]
    return [(event["kind"], event["findings"][0]["message"]) for event in emitted]


async def test_an_order_waiting_for_validation_goes_into_jeopardy_level_by_level_once_each(database):
    received = order_row("PO-1", stage=Stage.RECEIVED, state=OrderState.ACKNOWLEDGED, since=MONDAY_OPENING)
    await save_rows(database, received, sla_due_at=CALENDAR.add_business_hours(MONDAY_OPENING, 4))

    assert await _watch(database, hours_later=1) == []
    assert await _watch(database, hours_later=2) == [
        ("jeopardy", "50% of the received SLA (4 business hours, due 2026-11-30T12:00-06:00) is used")
    ]
    assert await _watch(database, hours_later=2.5) == []
    assert [kind for kind, _ in await _watch(database, hours_later=3)] == ["jeopardy"]
    used_up = "100% of the received SLA (4 business hours, due 2026-11-30T12:00-06:00) is used"
    assert await _watch(database, hours_later=4) == [
        ("jeopardy", used_up),
        ("escalated", f"escalated to the team lead: {used_up}"),
    ]
    assert await _watch(database, hours_later=5) == []


async def test_an_order_waiting_for_approvals_is_in_jeopardy_by_the_time_pricing_approval_set_for_them(database):
    due = CALENDAR.add_business_days(MONDAY_OPENING, 2)  # finance's two business days in the approval matrix
    priced = order_row(
        "PO-2", stage=Stage.PRICED, state=OrderState.IN_PROGRESS, since=MONDAY_OPENING, awaiting_due_at=due
    )
    await save_rows(database, priced, sla_due_at=due)

    assert await _watch(database, hours_later=8) == []
    assert await _watch(database, hours_later=9) == [
        ("jeopardy", "50% of the priced SLA (18 business hours, due 2026-12-02T08:00-06:00) is used")
    ]


async def test_the_watch_counts_the_open_orders_past_their_sla_by_stage_for_prometheus(database, console):
    due = CALENDAR.add_business_hours(MONDAY_OPENING, 4)
    waiting = [
        order_row(f"PO-{n}", stage=Stage.RECEIVED, state=OrderState.ACKNOWLEDGED, since=MONDAY_OPENING) for n in (1, 2)
    ]
    await save_rows(database, *waiting, sla_due_at=due)
    await save_rows(
        database,
        order_row("PO-3", stage=Stage.PRICED, state=OrderState.IN_PROGRESS, since=MONDAY_OPENING),
        sla_due_at=CALENDAR.add_business_hours(MONDAY_OPENING, 40),
    )
    await save_rows(
        database,
        order_row("PO-4", stage=Stage.RECEIVED, state=OrderState.CANCELLED, since=MONDAY_OPENING),
        sla_due_at=due,
    )
    app, _ = console
    async with (
        running(
            stage_sla_watch(ServiceContext(RULES, clock=lambda: due + timedelta(hours=1)), every_seconds=0.1)(database)
        ),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console") as scraper,
    ):

        async def past_sla() -> dict[str, float]:
            exposition = (await scraper.get("/metrics/")).text
            return {
                sample.labels["stage"]: sample.value
                for family in text_string_to_metric_families(exposition)
                if family.name == "orderdesk_orders_past_sla"
                for sample in family.samples
            }

        expected = {str(stage): 0.0 for stage in Stage} | {"received": 2.0}
        # the watch's first round, read the way Prometheus reads it
        await eventually(past_sla, lambda seen: seen == expected, what=f"orders past SLA {expected}", pause=0.1)
