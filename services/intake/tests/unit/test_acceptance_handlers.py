"""Accepting orders, driven on the in-memory unit of work: from a channel, in the API's batches, corrected; what is
announced, stored and kept for coaching, and what is refused."""

import json
from pathlib import Path

import pytest

from intake.domain.acceptance import assess
from intake.domain.lifecycle import NotAllowed
from intake.domain.records import SubmittedOrder
from intake.handlers import (
    SourceConflict,
    UnreadableSubmission,
    accept_crm_opportunity,
    accept_ivr_call,
    accept_order_email,
    correct_order,
    store_new_orders,
    submit_order,
)
from intake.tmf622 import ProductOrderCreate, to_canonical
from orderdesk_shared.events.channels import CrmOpportunitySubmitted, EmailReceived, IvrCallReceived
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.intake import OrderCorrected, OrderReceived, OrderValidated
from orderdesk_shared.events.order import OrderState, ProductOrder, Stage
from orderdesk_shared.order_state import OrderFact, advance
from orderdesk_shared.telemetry import Traced
from orderdesk_stack.order_generator import generate_orders

from .conftest import NOW, SEED_RULES

SAMPLES = Path(__file__).parents[1] / "samples"


def _order(order_id: str, *, valid: bool = True, seed: int = 41) -> ProductOrder:
    [generated] = generate_orders(1, seed=seed, invalid_share=0.0 if valid else 1.0)
    body = generated.body | {"externalId": f"OPP-{order_id}"}
    return to_canonical(ProductOrderCreate.model_validate(body), order_id=order_id, submitted_by="rep-001")


def _assessed(order: ProductOrder):
    return Traced.here(assess(SubmittedOrder(order), SEED_RULES, now=NOW, installed=[]))


def _kinds(uow) -> list[str]:
    return [type(event).__name__ for event in uow.events]


async def test_a_valid_order_is_stored_in_progress_and_announced_received_then_validated(uow):
    order = _order("PO-1")
    await submit_order(SubmittedOrder(order), uow, rules=SEED_RULES, now=NOW)
    received, validated = uow.events
    assert isinstance(received, OrderReceived) and isinstance(validated, OrderValidated)
    assert (validated.order_id, validated.order_version, validated.order.account) == ("PO-1", 1, order.account)
    stored = await uow.orders.get("PO-1")
    assert (stored.state, stored.stage, stored.created_at) == (OrderState.IN_PROGRESS, Stage.VALIDATED, NOW)
    assert [(r.action, r.actor) for r in uow.history.revisions] == [("submitted", "rep-001")]
    assert uow.findings.made == [] and len(uow.notified) == 1


async def test_an_invalid_order_is_stored_rejected_its_findings_announced_and_kept_for_coaching(uow):
    await submit_order(SubmittedOrder(_order("PO-2", valid=False)), uow, rules=SEED_RULES, now=NOW)
    assert _kinds(uow) == ["OrderReceived", "OrderFallout"]
    fallout = uow.events[1]
    assert (fallout.kind, fallout.stage) == (FalloutKind.REJECTED, Stage.VALIDATED) and fallout.findings
    stored = await uow.orders.get("PO-2")
    assert stored.state is OrderState.REJECTED
    codes = [finding["reasonCode"] for finding in stored.findings]
    assert [made[3] for made in uow.findings.made] == codes


async def test_a_second_order_alike_under_another_external_id_is_held_as_a_likely_duplicate(uow):
    first = _order("PO-3")
    again = first.model_copy(update={"id": "PO-4", "external_id": "OPP-RESENT-BY-HAND"})
    await store_new_orders(uow, [_assessed(first)])
    [held] = await store_new_orders(uow, [_assessed(again)])
    assert held.status.state is OrderState.HELD
    fallout = uow.events[-1]
    assert (fallout.order_id, fallout.kind) == ("PO-4", FalloutKind.HELD)
    assert fallout.findings[0].reason_code == "DUPLICATE_ORDER" and "PO-3" in fallout.findings[0].message


async def test_of_two_orders_alike_in_one_batch_the_later_is_held_and_each_event_carries_its_request_trace(uow):
    first = _order("PO-5")
    again = first.model_copy(update={"id": "PO-6", "external_id": "OPP-OTHER"})
    stored = await store_new_orders(uow, [_assessed(first), _assessed(again)])
    assert [new.status.state for new in stored] == [OrderState.IN_PROGRESS, OrderState.HELD]
    assert [(type(e).__name__, e.order_id) for e in uow.events] == [
        ("OrderReceived", "PO-5"),
        ("OrderValidated", "PO-5"),
        ("OrderReceived", "PO-6"),
        ("OrderFallout", "PO-6"),
    ]


async def test_a_corrected_order_is_its_next_version_validated_again_and_announced_as_corrected(uow):
    await submit_order(SubmittedOrder(_order("PO-7", valid=False)), uow, rules=SEED_RULES, now=NOW)
    stored = await uow.orders.get("PO-7")
    fixed = _order("PO-7").model_copy(update={"submitted_by": "rep-001"})
    status = await correct_order(
        stored, SubmittedOrder(fixed, request_document={}), uow, rules=SEED_RULES, now=NOW, actor="dana"
    )
    assert (status.version, status.state) == (2, OrderState.IN_PROGRESS)
    received, validated, corrected = uow.events[-3:]
    assert (received.corrected_by, validated.order_version) == ("dana", 2)
    assert isinstance(corrected, OrderCorrected) and corrected.corrected_by == "dana"
    assert (await uow.orders.get("PO-7")).version == 2
    assert [(r.action, r.version) for r in uow.history.revisions] == [("submitted", 1), ("corrected", 2)]


async def test_an_order_handed_off_is_not_corrected_and_nothing_is_stored(uow):
    order = _order("PO-8")
    await submit_order(SubmittedOrder(order), uow, rules=SEED_RULES, now=NOW)
    handed_off = advance((await uow.orders.get("PO-8")).status, OrderFact(1, Stage.HANDED_OFF, Stage.HANDED_OFF))
    await uow.statuses.save({"PO-8": handed_off})
    emitted_before = len(uow.events)
    with pytest.raises(NotAllowed, match="handed off"):
        stored = await uow.orders.get("PO-8")
        await correct_order(
            stored, SubmittedOrder(order, request_document={}), uow, rules=SEED_RULES, now=NOW, actor="dana"
        )
    assert len(uow.events) == emitted_before and (await uow.orders.get("PO-8")).version == 1


def _opportunity() -> CrmOpportunitySubmitted:
    return CrmOpportunitySubmitted.model_validate(json.loads((SAMPLES / "crm_opportunity_new_logo.json").read_text()))


async def test_a_crm_opportunity_is_an_order_its_resend_the_same_one_and_its_new_version_corrects_it(uow, context):
    opportunity = _opportunity()
    order_id = await accept_crm_opportunity(opportunity, uow, context)
    assert _kinds(uow) == ["OrderReceived", "OrderValidated"]
    assert await accept_crm_opportunity(opportunity, uow, context) == order_id
    assert len(uow.events) == 2
    next_version = opportunity.model_copy(update={"version": 4, "term_months": 60})
    assert await accept_crm_opportunity(next_version, uow, context) == order_id
    assert _kinds(uow)[2:] == ["OrderReceived", "OrderValidated", "OrderCorrected"]
    corrected = await uow.orders.get(order_id)
    assert (corrected.version, corrected.order.agreement.term_months) == (2, 60)
    assert (await uow.submissions.get(next_version.subject)).order_id == order_id


async def test_a_new_crm_version_that_changes_nothing_in_the_order_is_the_same_order_not_corrected(uow, context):
    opportunity = _opportunity()
    order_id = await accept_crm_opportunity(opportunity, uow, context)
    same_order = opportunity.model_copy(update={"version": 4})
    assert await accept_crm_opportunity(same_order, uow, context) == order_id
    assert _kinds(uow) == ["OrderReceived", "OrderValidated"] and (await uow.orders.get(order_id)).version == 1
    assert (await uow.submissions.get(same_order.subject)).order_id == order_id


async def test_a_new_crm_version_of_an_order_handed_off_is_a_conflict_and_the_order_stays_as_it_was(uow, context):
    opportunity = _opportunity()
    order_id = await accept_crm_opportunity(opportunity, uow, context)
    stored = await uow.orders.get(order_id)
    await uow.statuses.save({order_id: advance(stored.status, OrderFact(1, Stage.HANDED_OFF, Stage.HANDED_OFF))})
    next_version = opportunity.model_copy(update={"version": 4, "term_months": 60})
    with pytest.raises(SourceConflict, match=f"order {order_id} can no longer be corrected"):
        await accept_crm_opportunity(next_version, uow, context)
    assert _kinds(uow) == ["OrderReceived", "OrderValidated"] and (await uow.orders.get(order_id)).version == 1


async def test_an_ivr_call_is_an_order_for_the_product_it_names_and_a_repeated_record_the_same_order(uow, context):
    call = IvrCallReceived.model_validate(json.loads((SAMPLES / "ivr_call_disconnect.json").read_text()))
    order_id = await accept_ivr_call(call, uow, context)
    assert await accept_ivr_call(call, uow, context) == order_id
    assert _kinds(uow) == ["OrderReceived", "OrderValidated"]
    stored = await uow.orders.get(order_id)
    assert (stored.order.submitted_by, stored.order.items[0].existing_product_id) == (
        "tel:+1 317 636 2100",
        "PRD-448812",
    )


async def test_an_email_with_a_damaged_attachment_waits_as_pending(uow, context):
    raw = (SAMPLES / "email_broken_mime.eml").read_bytes()
    received = EmailReceived(message=raw.decode("utf-8", errors="replace"))
    order_id = await accept_order_email(received, uow, context)
    stored = await uow.orders.get(order_id)
    assert stored.state is OrderState.PENDING
    assert [finding["reasonCode"] for finding in stored.findings] == ["INCOMPLETE_DATA"]
    assert isinstance(uow.events[-1], OrderFallout) and uow.events[-1].kind is FalloutKind.PENDING


async def test_an_email_that_cannot_become_an_order_is_refused_with_what_it_lacks_and_nothing_is_stored(uow, context):
    raw = (SAMPLES / "email_xlsx_wrong_columns.eml").read_bytes()
    with pytest.raises(UnreadableSubmission, match="Monthly Price"):
        await accept_order_email(EmailReceived(message=raw.decode()), uow, context)
    assert uow.events == [] and uow.orders.kept == {}
