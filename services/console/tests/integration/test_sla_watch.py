"""The SLA watchdog against the real schema, with an injected clock: each jeopardy level and escalation once."""

import json
from datetime import UTC, datetime

import pytest

from console.handlers import raise_jeopardy, stage_slas
from orderdesk_shared.db import Database
from orderdesk_shared.events.order import OrderState, Stage
from services.console.tests.builders import order_row, save_rows

pytestmark = pytest.mark.integration

POLICY = stage_slas()
MONDAY_OPENING = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # 08:00 in Chicago


async def _watch(database: Database, *, hours_later: float) -> list[tuple[str, str]]:
    """What the watchdog records at `hours_later` business hours after the order was received: (kind, message)."""
    async with database.unit_of_work() as uow:
        await raise_jeopardy(uow, now=POLICY.calendar.add_business_hours(MONDAY_OPENING, hours_later), policy=POLICY)
        emitted = [json.loads(record.value) for record in uow.emitted]
    return [(event["kind"], event["findings"][0]["message"]) for event in emitted]


async def test_an_order_waiting_for_validation_goes_into_jeopardy_level_by_level_once_each(database):
    received = order_row("PO-1", stage=Stage.RECEIVED, state=OrderState.ACKNOWLEDGED, since=MONDAY_OPENING)
    await save_rows(database, received, sla_due_at=POLICY.calendar.add_business_hours(MONDAY_OPENING, 4))

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
