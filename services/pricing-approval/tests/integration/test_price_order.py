"""price_order, decisions and the SLA watch against pricing-approval's real, migrated schema."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from opentelemetry import trace

from orderdesk_shared.auth import Principal, Role
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.catalogue import EVENT_TYPES
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.pricing_approval import OrderApproved, OrderPriced
from pricing_approval.handlers import decide_approval, price_order, raise_jeopardy_past_due
from pricing_approval.repository import ApprovalRequests
from pricing_approval.sla_watch import deadline_watch
from pricing_approval.tables import messaging

from ..builders import internet_order, qualified
from .conftest import CONTEXT, RULES

pytestmark = pytest.mark.integration


def _events(uow) -> list:
    return [EVENT_TYPES[record.headers["ce_type"]].model_validate_json(record.value) for record in uow.emitted]


async def _price(database, event) -> list:
    async with database.unit_of_work() as uow:
        await price_order(event, uow, CONTEXT)
        await uow.run_deferred()  # as the consumer does before it commits
        return _events(uow)


async def test_a_five_percent_discount_on_an_on_net_site_is_priced_and_approved_with_no_human_step(database):
    event = qualified(internet_order("PO-5"))
    priced, approved = await _price(database, event)

    assert isinstance(priced, OrderPriced) and isinstance(approved, OrderApproved)
    [item] = priced.pricing.items
    assert (item.list_mrc, item.net_mrc, item.discount_percent) == (Decimal("1665.00"), Decimal("1581.75"), 5)
    assert priced.pricing.total_contract_value == Decimal("1581.75") * 36 + Decimal("1500.00")
    assert priced.required_approvals == [] and approved.approvals == []
    assert await _price(database, event) == [], "a repeated order version changes nothing"


async def test_a_twenty_five_percent_discount_waits_for_the_sales_director_within_two_business_days(database):
    priced, pending = await _price(database, qualified(internet_order("PO-25", discount="25")))

    [requirement] = priced.required_approvals
    assert requirement.role == "sales_director"
    assert requirement.reason == "discount 25% on item 1 > 20% → sales_director"
    assert requirement.sla_business_days == 2 and requirement.status == "pending"
    assert isinstance(pending, OrderFallout) and pending.kind is FalloutKind.PENDING
    assert [finding.reason_code for finding in pending.findings] == ["PRICING_APPROVAL_REQUIRED"]
    async with database.engine.connect() as connection:
        [request] = await ApprovalRequests(connection).of_version("PO-25", 1)
    assert request.due_at == requirement.due_at and request.due_at - request.requested_at >= timedelta(days=2)


async def test_a_near_net_build_paying_back_after_sixty_months_is_rejected_with_the_figures(database):
    # 990 ft: $15,000 + $44,550 = $59,550; 60% of $1,581.75 = $949.05 a month; 62.75 months.
    priced, rejected = await _price(database, qualified(internet_order("PO-NN"), near_net_feet=990))

    assert priced.pricing.capital.payback_months == Decimal("62.75")
    assert rejected.kind is FalloutKind.REJECTED
    [finding] = rejected.findings
    assert finding.reason_code == "CAPITAL_POLICY"
    assert "62.75 months > 60" in finding.message
    assert "net capex $59,550.00 = construction $59,550.00 − CIAC $0.00" in finding.message
    assert "monthly contribution $949.05" in finding.message


async def test_the_same_build_with_a_customer_contribution_asks_finance_and_vp_sales_instead(database):
    _, pending = await _price(database, qualified(internet_order("PO-CIAC", ciac="20000"), near_net_feet=990))
    assert pending.kind is FalloutKind.PENDING
    assert sorted(finding.message.split(":")[0] for finding in pending.findings) == [
        "waiting for finance",
        "waiting for vp_sales",
    ]


async def test_an_item_the_catalogue_does_not_sell_is_rejected_with_what_to_fix(database):
    order = internet_order("PO-BAD")
    order = order.model_copy(
        update={"items": [order.items[0].model_copy(update={"characteristics": {"bandwidth_mbps": 2000}})]}
    )
    [rejected] = await _price(database, qualified(order))
    assert rejected.kind is FalloutKind.REJECTED
    assert rejected.findings[0].message == "item 1: DIA-FIBER is not sold with bandwidth_mbps 2000"


async def test_a_revised_order_asks_again_only_the_approvals_whose_inputs_changed(database):
    first = internet_order("PO-REV", discount="25", non_standard_terms="net 60 payment")
    await _price(database, qualified(first))
    async with database.engine.connect() as connection:
        requests = {r.role: r for r in await ApprovalRequests(connection).of_version("PO-REV", 1)}
    assert set(requests) == {Role.SALES_DIRECTOR, Role.LEGAL}
    director = Principal(subject="dana-director", roles=frozenset({Role.SALES_DIRECTOR}))
    async with database.unit_of_work() as uow:
        await decide_approval(
            uow, request_id=requests[Role.SALES_DIRECTOR].id, approver=director, grant=True, comment="ok", now=_now()
        )

    revised = internet_order("PO-REV", discount="25", non_standard_terms="net 45 payment")
    priced, pending = await _price(database, qualified(revised, version=2))

    statuses = {requirement.role: requirement.status for requirement in priced.required_approvals}
    assert statuses == {"sales_director": "granted", "legal": "pending"}
    assert [finding.message.split(":")[0] for finding in pending.findings] == ["waiting for legal"]
    async with database.engine.connect() as connection:
        old = await ApprovalRequests(connection).get(requests[Role.LEGAL].id)
    assert old.status == "withdrawn", "the first version's open request is no longer asked"


async def test_an_approval_past_due_puts_the_order_in_jeopardy_once(database):
    await _price(database, qualified(internet_order("PO-LATE", discount="15")))
    async with database.engine.connect() as connection:
        [request] = await ApprovalRequests(connection).of_version("PO-LATE", 1)

    async with database.unit_of_work() as uow:
        assert await raise_jeopardy_past_due(uow, now=request.due_at - timedelta(minutes=1)) == 0
    async with database.unit_of_work() as uow:
        assert await raise_jeopardy_past_due(uow, now=request.due_at + timedelta(minutes=1)) == 1
        [jeopardy] = _events(uow)
    async with database.unit_of_work() as uow:
        assert await raise_jeopardy_past_due(uow, now=request.due_at + timedelta(days=3)) == 0

    assert (jeopardy.order_id, jeopardy.kind) == ("PO-LATE", FalloutKind.JEOPARDY)
    assert jeopardy.findings[0].reason_code == "TIMEOUT"
    assert "sales_manager approval" in jeopardy.findings[0].message


async def test_the_jeopardy_of_a_past_due_approval_is_recorded_in_the_trace_the_order_was_priced_in(database):
    with trace.get_tracer("test").start_as_current_span("orders.qualified process") as pricing:
        await _price(database, qualified(internet_order("PO-TRACED", discount="15")))
    async with database.engine.connect() as connection:
        [request] = await ApprovalRequests(connection).of_version("PO-TRACED", 1)

    async with database.unit_of_work() as uow:
        assert await raise_jeopardy_past_due(uow, now=request.due_at + timedelta(minutes=1)) == 1

    outbox = messaging.outbox
    async with database.engine.connect() as connection:
        jeopardy = await connection.execute(
            sa.select(outbox.c.traceparent)
            .where(outbox.c.aggregate_id == "PO-TRACED", outbox.c.type == OrderFallout.event_type)
            .order_by(outbox.c.seq.desc())
            .limit(1)
        )
        traceparent = jeopardy.scalar_one()
    assert traceparent.split("-")[1] == format(pricing.get_span_context().trace_id, "032x")


async def test_the_sla_watch_loop_raises_jeopardy_once_while_it_keeps_running(database):
    await _price(database, qualified(internet_order("PO-WATCH", discount="15")))
    a_week_on = datetime.now(UTC) + timedelta(days=7)
    watch = deadline_watch(every_seconds=0.05, context=ServiceContext(rules=RULES, clock=lambda: a_week_on))
    watching = asyncio.create_task(watch(database))
    await asyncio.sleep(1.0)
    assert not watching.done(), "the watch keeps looking"
    watching.cancel()

    async with database.engine.connect() as connection:
        jeopardy = (
            await connection.execute(
                messaging.outbox.select().where(
                    messaging.outbox.c.aggregate_id == "PO-WATCH", messaging.outbox.c.type == OrderFallout.event_type
                )
            )
        ).all()
    kinds = [OrderFallout.model_validate_json(row.payload).kind for row in jeopardy]
    assert kinds.count(FalloutKind.JEOPARDY) == 1


def _now() -> datetime:
    return datetime.now(UTC)


async def test_the_qualified_orders_of_one_transaction_are_priced_each_on_its_own(database):
    async with database.unit_of_work() as uow:
        await price_order(qualified(internet_order("PO-BATCH-1")), uow, CONTEXT)
        await price_order(qualified(internet_order("PO-BATCH-2")), uow, CONTEXT)
        await price_order(qualified(internet_order("PO-BATCH-2"), version=2), uow, CONTEXT)
        await uow.run_deferred()
        events = _events(uow)
    assert [(type(event), event.order_id, event.order_version) for event in events] == [
        (OrderPriced, "PO-BATCH-1", 1),
        (OrderApproved, "PO-BATCH-1", 1),
        (OrderPriced, "PO-BATCH-2", 2),  # version 1 came with a later one: left, as if late
        (OrderApproved, "PO-BATCH-2", 2),
    ]
