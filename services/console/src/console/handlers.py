"""What the console does: keep each event as a timeline line, folded into its order's row; raise jeopardy in time."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from console import repository
from console.domain.sla import StageSlaPolicy, standing
from console.domain.timeline import OrderRow, Recorded, TimelineEntry, entry_for, fold_on, fold_timeline, follows
from console.live import announce_changes
from orderdesk_shared.consumer import current_delivery
from orderdesk_shared.context import ServiceContext, with_context
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.events.base import Event
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.order import Stage
from orderdesk_shared.telemetry import Traced, order_step


async def record_in_timeline(event: Event, uow: UnitOfWork, context: ServiceContext[StageSlaPolicy]) -> None:
    """Every order event is a timeline line; the order's row is the fold of all its lines, so arrival order is moot.

    The lines of a whole batch are kept, and folded into their orders' rows, together just before the batch commits.
    """
    delivery = current_delivery()
    assert delivery is not None, "handlers run inside a delivery"
    recorded = Recorded(
        message_id=delivery.message_id,
        source=delivery.source,
        occurred_at=delivery.time or context.clock(),
        topic=delivery.topic,
        trace_id=delivery.trace_id,
    )
    uow.before_commit(with_context(keep_lines, context), entry_for(event, recorded))


async def keep_lines(
    uow: UnitOfWork, lines: Sequence[Traced[TimelineEntry]], context: ServiceContext[StageSlaPolicy]
) -> None:
    """Keep the lines, then fold them into their orders' rows, one statement a step: on what the rows' fold left
    when they follow it, else (an order's first lines, late news, a line kept before) the whole timeline again."""
    entries = list({line.item.message_id: line.item for line in lines}.values())
    await repository.add_entries(uow.connection, entries)
    news: dict[str, list[TimelineEntry]] = {}
    for entry in entries:
        news.setdefault(entry.order_id, []).append(entry)
    order_ids = sorted(news)
    await repository.lock_orders(uow.connection, order_ids)
    kept = await repository.folded_orders(uow.connection, order_ids)
    again = {order_id for order_id in order_ids if order_id not in kept or not follows(kept[order_id], news[order_id])}
    timelines = await repository.timelines(uow.connection, sorted(again)) if again else {}
    folded = [
        fold_timeline(timelines.get(order_id, [])) if order_id in again else fold_on(kept[order_id], news[order_id])
        for order_id in order_ids
    ]
    rows = [(order, _sla_due_at(order.row, context.rules)) for order in folded if order is not None]
    await repository.save_folded(uow.connection, rows)
    await announce_changes(uow.connection, order_ids)


def _sla_hours(policy: StageSlaPolicy, order: dict[str, Any]) -> float | None:
    return policy.sla_hours(
        stage=order["stage"],
        state=order["state"],
        hold_reasons=[finding.get("reasonCode", "") for finding in order["findings"]],
        started=order["stage_entered_at"],
        approvals_due_at=order["awaiting_due_at"],
    )


def _sla_due_at(row: OrderRow, policy: StageSlaPolicy) -> datetime | None:
    hours = _sla_hours(policy, vars(row))
    return None if hours is None else policy.business_calendar.add_business_hours(row.stage_entered_at, hours)


async def raise_jeopardy(uow: UnitOfWork, *, now: datetime, policy: StageSlaPolicy) -> int:
    """Put each order whose step has used half, three quarters or all of its SLA in jeopardy, and escalate it up
    the ladder past its SLA: each level and rung once per order version and stage; how many events it recorded."""
    recorded = 0
    for order in await repository.open_orders_in_flight(uow.connection):
        hours = _sla_hours(policy, order)
        if hours is None:
            continue
        clock = standing(policy, started=order["stage_entered_at"], sla_hours=hours, now=now)
        due = order["sla_due_at"].astimezone(policy.business_calendar.zone).isoformat(timespec="minutes")
        used = f"{clock.share_used:.0%} of the {order['stage']} SLA ({hours:g} business hours, due {due}) is used"
        raised = []
        if clock.jeopardy and await _first_time(uow, order, clock.jeopardy, now):
            finding = Finding(
                reason_code="TIMEOUT",
                field_path=f"sla.{clock.jeopardy}",
                message=used,
                fix="Move the order on, or escalate what blocks it.",
            )
            raised.append(_fallout(order, FalloutKind.JEOPARDY, finding))
        for rung in clock.escalate_to:
            if await _first_time(uow, order, f"{repository.ESCALATED_TO}{rung}", now):
                finding = Finding(
                    reason_code="TIMEOUT", field_path="sla.escalation", message=f"escalated to the {rung}: {used}"
                )
                raised.append(_fallout(order, FalloutKind.ESCALATED, finding))
        if raised:
            async with order_step(uow, order["id"], "stage SLA run out", version=order["order_version"]):
                for fallout in raised:
                    uow.emit(fallout)
            recorded += len(raised)
    return recorded


async def _first_time(uow: UnitOfWork, order: dict[str, Any], level: str, now: datetime) -> bool:
    return await repository.claim_jeopardy(
        uow.connection,
        order_id=order["id"],
        order_version=order["order_version"],
        stage=order["stage"],
        level=level,
        at=now,
    )


def _fallout(order: dict[str, Any], kind: FalloutKind, finding: Finding) -> OrderFallout:
    return OrderFallout(
        order_id=order["id"],
        order_version=order["order_version"],
        stage=Stage(order["stage"]),
        kind=kind,
        findings=[finding],
    )
