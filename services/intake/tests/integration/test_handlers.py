"""Intake's handlers against its real, migrated schema."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from intake.domain.acceptance import assess
from intake.domain.records import CancelAsked, SubmittedOrder
from intake.handlers import (
    accept_crm_opportunity,
    accept_order_email,
    cancel_order,
    correct_order,
    follow_fallout,
    follow_progress,
    store_new_orders,
    submit_order,
)
from intake.repository import FindingsMade, OrderFilter, OrderHistory, Orders
from intake.tables import submissions
from intake.tmf622 import ProductOrderCreate, to_canonical
from orderdesk_shared.events.channels import CrmOpportunitySubmitted, EmailReceived
from orderdesk_shared.events.commission import OrderRatified
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.intake import OrderReceived, OrderValidated
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.events.pricing_approval import OrderPriced, Pricing
from orderdesk_shared.telemetry import Traced
from orderdesk_stack.order_generator import generate_orders

from ..builders import CONTEXT, NOW, SEED_RULES

pytestmark = pytest.mark.integration


def _order(order_id: str, *, valid: bool = True):
    [generated] = generate_orders(1, seed=41, invalid_share=0.0 if valid else 1.0)
    body = generated.body | {"externalId": "OPP-41"}
    return to_canonical(ProductOrderCreate.model_validate(body), order_id=order_id, submitted_by="rep-001")


async def _submit_each(database, validity_by_order_id: dict[str, bool]) -> None:
    """Submits a generated order under each id, one transaction each, invalid where its flag says so."""
    for order_id, valid in validity_by_order_id.items():
        async with database.unit_of_work() as uow:
            await submit_order(SubmittedOrder(_order(order_id, valid=valid)), uow, rules=SEED_RULES, now=NOW)


async def test_a_valid_order_is_stored_and_recorded_as_received_then_validated(database):
    async with database.unit_of_work() as uow:
        new = assess(SubmittedOrder(_order("PO-1"), idempotency_key="key-1"), SEED_RULES, now=NOW, installed=[])
        await store_new_orders(uow, [Traced.here(new)])
        emitted = [record.headers["ce_type"] for record in uow.emitted]
    assert emitted == ["com.orderdesk.order.received.v1", "com.orderdesk.order.validated.v1"]
    async with database.engine.connect() as connection:
        stored = await Orders(connection).get("PO-1")
        assert (await Orders(connection).for_idempotency_key("key-1", owner="rep-001")).order.id == "PO-1"
        assert await Orders(connection).for_idempotency_key("key-1", owner="rep-002") is None
    assert (stored.state, stored.stage, stored.findings) == (OrderState.IN_PROGRESS, Stage.VALIDATED, [])


async def test_an_invalid_order_is_stored_as_rejected_with_its_findings(database):
    async with database.unit_of_work() as uow:
        await submit_order(SubmittedOrder(_order("PO-2", valid=False)), uow, rules=SEED_RULES, now=NOW)
        emitted = [record.headers["ce_type"] for record in uow.emitted]
    assert emitted == ["com.orderdesk.order.received.v1", "com.orderdesk.order.fallout.v1"]
    async with database.engine.connect() as connection:
        stored = await Orders(connection).get("PO-2")
    assert stored.state is OrderState.REJECTED
    assert [finding["reasonCode"] for finding in stored.findings] == ["INVALID_VALUE"]


async def test_progress_moves_the_order_forward_and_late_news_is_ignored(database):
    order = _order("PO-3")
    async with database.unit_of_work() as uow:
        await submit_order(SubmittedOrder(order), uow, rules=SEED_RULES, now=NOW)
    ratified = OrderRatified(
        order_id="PO-3", order_version=1, eligible=True, reasons=[], commissionable_mrr=0, commission_total=0, reps=[]
    )
    late_priced = OrderPriced(
        order_id="PO-3",
        order_version=1,
        order=order,
        sites=[],
        pricing=Pricing(items=[], mrc_total=0, nrc_total=0, total_contract_value=0),
        required_approvals=[],
    )
    for event in (ratified, late_priced):
        async with database.unit_of_work() as uow:
            await follow_progress(event, uow, CONTEXT)
    async with database.engine.connect() as connection:
        stored = await Orders(connection).get("PO-3")
    assert (stored.stage, stored.state) == (Stage.RATIFIED, OrderState.IN_PROGRESS)


async def test_a_corrected_order_keeps_its_id_moves_on_and_keeps_one_history(database):
    rejected = _order("PO-4", valid=False)
    async with database.unit_of_work() as uow:
        first = await submit_order(SubmittedOrder(rejected, request_document={}), uow, rules=SEED_RULES, now=NOW)
    fixed = rejected.model_copy(
        update={
            "sales_reps": [rep.model_copy(update={"split_percent": Decimal(100)}) for rep in rejected.sales_reps[:1]]
        }
    )
    async with database.unit_of_work() as uow:
        stored = await uow.orders.get("PO-4", for_update=True)
        await correct_order(
            stored, SubmittedOrder(fixed, request_document={}), uow, rules=SEED_RULES, now=NOW, actor="specialist-1"
        )
        emitted = [(record.headers["ce_type"], record.value) for record in uow.emitted]
    # The rejection of version 1 arrives after the correction: it must not reject version 2.
    async with database.unit_of_work() as uow:
        await follow_fallout(
            OrderFallout(
                order_id="PO-4",
                order_version=1,
                stage=Stage.VALIDATED,
                kind=FalloutKind.REJECTED,
                findings=first.findings,
            ),
            uow,
            CONTEXT,
        )

    assert [event_type for event_type, _ in emitted] == [
        "com.orderdesk.order.received.v1",
        "com.orderdesk.order.validated.v1",
        "com.orderdesk.order.corrected.v1",
    ]
    received, corrected = (
        OrderReceived.model_validate_json(emitted[0][1]),
        OrderValidated.model_validate_json(emitted[1][1]),
    )
    assert (received.order_version, received.corrected_by) == (2, "specialist-1")
    assert (corrected.order_version, corrected.corrected_by) == (2, "specialist-1")
    async with database.engine.connect() as connection:
        stored = await Orders(connection).get("PO-4")
        history = await OrderHistory(connection).of("PO-4")
    assert (stored.state, stored.stage, stored.version) == (OrderState.IN_PROGRESS, Stage.VALIDATED, 2)
    assert [(h["version"], h["action"], h["actor"], h["state"]) for h in history] == [
        (1, "submitted", "rep-001", "rejected"),
        (2, "corrected", "specialist-1", "inProgress"),
    ]


async def test_a_hold_from_a_later_stage_shows_its_reason_until_the_order_is_released(database):
    async with database.unit_of_work() as uow:
        await submit_order(SubmittedOrder(_order("PO-H")), uow, rules=SEED_RULES, now=NOW)
    survey = Finding(
        reason_code="SITE_SURVEY_REQUIRED",
        field_path="productOrderItem[0].place",
        message="200 W Adams St is near-net (640 ft from fiber): a site survey must confirm the distance",
    )

    async def fallout(kind: FalloutKind, findings: list[Finding]) -> tuple[OrderState, list[str]]:
        async with database.unit_of_work() as uow:
            await follow_fallout(
                OrderFallout(order_id="PO-H", order_version=1, stage=Stage.QUALIFIED, kind=kind, findings=findings),
                uow,
                CONTEXT,
            )
        async with database.engine.connect() as connection:
            stored = await Orders(connection).get("PO-H")
        return stored.state, [finding["reasonCode"] for finding in stored.findings]

    assert await fallout(FalloutKind.HELD, [survey]) == (OrderState.HELD, ["SITE_SURVEY_REQUIRED"])
    assert await fallout(FalloutKind.RELEASED, []) == (OrderState.IN_PROGRESS, [])


async def test_a_cancelled_order_is_recorded_and_announced(database):
    async with database.unit_of_work() as uow:
        await submit_order(SubmittedOrder(_order("PO-5")), uow, rules=SEED_RULES, now=NOW)
    async with database.unit_of_work() as uow:
        stored = await uow.orders.get("PO-5", for_update=True)
        request = await cancel_order(stored, CancelAsked("rep-001", "customer chose another provider"), uow, now=NOW)
        [cancelled] = uow.emitted
    assert (request.state, request.order_id) == ("done", "PO-5")
    assert OrderFallout.model_validate_json(cancelled.value).kind is FalloutKind.CANCELLED
    async with database.engine.connect() as connection:
        assert (await Orders(connection).get("PO-5")).state is OrderState.CANCELLED
        assert [h["action"] for h in await OrderHistory(connection).of("PO-5")] == ["submitted", "cancelled"]


async def test_coaching_counts_each_finding_per_rep_named_on_the_order_and_channel(database):
    await _submit_each(database, {"PO-6": False, "PO-7": False, "PO-8": True})
    async with database.engine.connect() as connection:
        counts = await FindingsMade(connection).counts(
            since=datetime(2000, 1, 1, tzinfo=UTC), until=datetime(2100, 1, 1, tzinfo=UTC)
        )
    named = _order("PO-X")
    for rep in named.sales_reps:
        assert {"rep": rep.rep_id, "channel": named.channel, "reasonCode": "INVALID_VALUE", "count": 2} in counts


async def test_a_resent_crm_opportunity_is_the_same_order_and_emits_nothing_new(database):
    opportunity = CrmOpportunitySubmitted.model_validate(
        json.loads((Path(__file__).parents[1] / "samples" / "crm_opportunity_new_logo.json").read_text())
    )
    async with database.unit_of_work() as uow:
        first = await accept_crm_opportunity(opportunity, uow, CONTEXT)
        assert [record.headers["ce_type"] for record in uow.emitted] == [
            "com.orderdesk.order.received.v1",
            "com.orderdesk.order.validated.v1",
        ]
    async with database.unit_of_work() as uow:
        assert await accept_crm_opportunity(opportunity, uow, CONTEXT) == first
        assert uow.emitted == []
    # The CRM sends a new version of the opportunity with the term changed: the order is corrected, not doubled.
    next_version = opportunity.model_copy(update={"version": 4, "term_months": 60})
    async with database.unit_of_work() as uow:
        assert await accept_crm_opportunity(next_version, uow, CONTEXT) == first
        assert [record.headers["ce_type"] for record in uow.emitted] == [
            "com.orderdesk.order.received.v1",
            "com.orderdesk.order.validated.v1",
            "com.orderdesk.order.corrected.v1",
        ]
    async with database.engine.connect() as connection:
        kept = (await connection.execute(sa.select(submissions.c.source_id, submissions.c.document))).all()
        corrected = await Orders(connection).get(first)
    assert (corrected.version, corrected.order.agreement.term_months) == (2, 60)
    assert {opportunity.subject, next_version.subject} <= {source_id for source_id, _ in kept}
    assert CrmOpportunitySubmitted.model_validate_json(dict(kept)[opportunity.subject]) == opportunity


async def test_an_email_with_a_damaged_attachment_waits_as_pending_and_is_kept_byte_for_byte(database):
    raw = (Path(__file__).parents[1] / "samples" / "email_broken_mime.eml").read_bytes()
    received = EmailReceived(message=raw.decode("utf-8", errors="replace"))
    async with database.unit_of_work() as uow:
        order_id = await accept_order_email(received, uow, CONTEXT)
    async with database.engine.connect() as connection:
        stored = await Orders(connection).get(order_id)
        [document] = (
            await connection.execute(
                sa.select(submissions.c.document).where(submissions.c.source_id == received.subject)
            )
        ).scalars()
    assert stored.state is OrderState.PENDING
    assert [finding["reasonCode"] for finding in stored.findings] == ["INCOMPLETE_DATA"]
    assert document == received.message.encode() and b"\x00" in document


async def test_orders_are_listed_by_state_channel_account_and_date_with_the_total(database):
    await _submit_each(database, {"PO-L1": True, "PO-L2": False, "PO-L3": True})
    some = _order("PO-L1")

    async def ids(selection: OrderFilter, **page) -> tuple[set[str], int]:
        async with database.engine.connect() as connection:
            found, total = await Orders(connection).page(selection, **({"offset": 0, "limit": 50} | page))
        return {stored.order.id for stored in found} & {"PO-L1", "PO-L2", "PO-L3"}, total

    assert (await ids(OrderFilter(states=(OrderState.REJECTED,))))[0] == {"PO-L2"}
    assert (await ids(OrderFilter(channel=some.channel)))[0] == {"PO-L1", "PO-L2", "PO-L3"}
    assert (await ids(OrderFilter(since=datetime(2100, 1, 1, tzinfo=UTC)))) == (set(), 0)
    page, total = await ids(OrderFilter(external_id=some.external_id), limit=1)
    assert len(page) == 1 and total == 3
