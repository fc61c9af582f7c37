"""A large read model on demand, for measuring the dashboard: synthetic order rows added and removed by id prefix."""

import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from console.tables import orders
from orderdesk_shared.events.order import OrderState, Stage

# Roughly what a busy desk holds: most orders moving, some waiting for people.
STATES = {
    OrderState.IN_PROGRESS: 70,
    OrderState.REJECTED: 8,
    OrderState.PENDING: 8,
    OrderState.HELD: 6,
    OrderState.COMPLETED: 6,
    OrderState.CANCELLED: 2,
}
REASONS = ("INVALID_VALUE", "INCOMPLETE_DATA", "SITE_SURVEY_REQUIRED", "PRICING_APPROVAL_REQUIRED", "NOT_SERVICEABLE")


async def add_sample_orders(database_url: str, *, count: int, prefix: str, seed: int) -> None:
    """Add `count` order rows with ids starting `prefix`, spread over stages, states, reasons and jeopardy."""
    chance = random.Random(seed)
    now = datetime.now(UTC)
    rows = []
    for number in range(count):
        state = chance.choices(list(STATES), weights=list(STATES.values()))[0]
        entered = now - timedelta(minutes=chance.randrange(1, 60 * 24 * 10))
        waiting = state in (OrderState.REJECTED, OrderState.PENDING, OrderState.HELD)
        reason = chance.choice(REASONS)
        stage = chance.choice(list(Stage))
        rows.append(
            {
                "id": f"{prefix}{number:06d}",
                "order_version": 1,
                "stage": stage,
                "state": state,
                "stage_entered_at": entered,
                "received_at": entered - timedelta(hours=chance.randrange(0, 48)),
                "last_event_at": entered,
                "last_event": "sample",
                "findings": [{"reasonCode": reason, "message": reason.lower()}] if waiting else [],
                "blocker": reason.lower() if waiting else None,
                "trace_id": f"{chance.getrandbits(128):032x}",
                "jeopardy": chance.choice([None, None, None, "medium", "high", "critical"]),
                "assignee": None,
                "account": f"Sample Account {number % 500}",
                "submitted_by": f"rep-{number % 40:03d}",
                "handed_off_at": entered if stage.rank >= Stage.HANDED_OFF.rank else None,
                "ratified_at": entered if stage is Stage.RATIFIED else None,
            }
        )
    if not rows:
        return
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(orders.insert(), rows)
    finally:
        await engine.dispose()


async def remove_sample_orders(database_url: str, *, prefix: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.delete(orders).where(orders.c.id.startswith(prefix, autoescape=True)))
    finally:
        await engine.dispose()
