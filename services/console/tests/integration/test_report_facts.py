"""The facts the reports read, kept a poll at a time in Postgres: each event once however often it is delivered, read
back by period and by order, and forgotten for a rebuild."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from console.domain.report_facts import report_fact
from console.domain.reports import checked_request
from console.handlers import keep_report_facts
from console.reports import build_report
from orderdesk_shared.events.pricing_approval import PricedItem
from orderdesk_shared.telemetry import Traced
from services.console.tests.builders import CONTEXT

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 30, 23, 58, tzinfo=UTC)


async def test_each_fact_is_kept_once_and_read_in_its_period(database, journeys):
    *before, handed_off, _ = journeys.every_stage()
    item = PricedItem(
        item_id="1",
        list_mrc=Decimal("99.99"),
        net_mrc=Decimal("99.99"),
        nrc=Decimal("10.01"),
        discount_percent=0,
        term_months=12,
    )
    events = [
        *before,
        handed_off.model_copy(update={"pricing": handed_off.pricing.model_copy(update={"items": [item]})}),
    ]
    # A minute apart from 23:58 on 30 November: received and validated in November, the rest on 1 December.
    facts = [
        report_fact(event, message_id=f"m{n}", occurred_at=START + timedelta(minutes=n))
        for n, event in enumerate(events)
    ]
    for poll in (facts[:3], facts, facts[3:]):
        async with database.unit_of_work() as uow:
            await keep_report_facts(uow, [Traced.here(fact) for fact in poll])

    async with database.unit_of_work() as uow:
        december = await build_report(
            uow, checked_request("bookings", date(2026, 12, 1), date(2027, 1, 1), {}), sla=CONTEXT.rules.slas
        )
        november = await build_report(
            uow, checked_request("bookings", date(2026, 11, 1), date(2026, 12, 1), {}), sla=CONTEXT.rules.slas
        )
        # Four steps ended in December, the first (validated → qualified) begun in November.
        cycle = await build_report(
            uow, checked_request("cycle-times", date(2026, 12, 1), date(2027, 1, 1), {}), sla=CONTEXT.rules.slas
        )
        await uow.report_facts.reset()
        forgotten = await uow.report_facts.between(
            ["received"], start=START - timedelta(days=1), end=START + timedelta(days=1)
        )

    assert december.rows == (
        ("unknown", 1, Decimal("99.99"), Decimal("10.01"), Decimal("1209.89")),
        ("Total", 1, Decimal("99.99"), Decimal("10.01"), Decimal("1209.89")),
    )
    assert november.rows[-1][1] == 0
    assert {row[0]: row[1] for row in cycle.rows} == {
        "received": 0,
        "validated": 1,
        "qualified": 1,
        "priced": 1,
        "approved": 1,
        "handed-off": 0,
    }
    assert forgotten == []
