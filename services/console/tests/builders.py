"""Order rows as the timeline fold leaves them, for tests that start from the read model rather than from events, and
events kept as the consumer keeps them, for tests that start from events."""

from dataclasses import replace
from datetime import datetime, timedelta

from console.domain.timeline import OrderRow, Recorded, entry_for
from console.handlers import keep_lines
from console.rules_in_force import load_rules
from console.settings import Settings
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.db import Database
from orderdesk_shared.events.base import Event
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.telemetry import Traced

# The console's context as bootstrap makes it from the shipped policy: what the consumer folds lines with.
CONTEXT = ServiceContext(rules=load_rules(Settings.model_construct()))


def order_row(order_id: str, *, stage: Stage, state: OrderState, since: datetime, **more) -> OrderRow:
    """An order received and in `stage` and `state` since `since`, with nothing blocking it unless `more` says so."""
    row = OrderRow(
        id=order_id,
        order_version=1,
        stage=stage,
        state=state,
        stage_entered_at=since,
        received_at=since,
        last_event_at=since,
        last_event=str(stage),
        findings=[],
        blocker=None,
        trace_id=None,
        jeopardy=None,
        assignee=None,
    )
    return replace(row, **more)


async def save_rows(database: Database, *rows: OrderRow, sla_due_at: datetime | None = None) -> None:
    async with database.unit_of_work() as uow:
        await uow.orders.save([(row, sla_due_at) for row in rows])


async def keep_events(database: Database, *events: Event, start: datetime) -> None:
    """Keep the events as timeline lines a minute apart from `start` and fold their orders, as the consumer does."""
    lines = [
        entry_for(
            event,
            Recorded(
                f"{event.order_id}/{start.isoformat()}/{n}", "test", start + timedelta(minutes=n), event.topic, None
            ),
        )
        for n, event in enumerate(events)
    ]
    async with database.unit_of_work() as uow:
        await keep_lines(uow, [Traced.here(line) for line in lines], CONTEXT)
