"""The desk's cancels and releases, the later stages' and Operations' facts, and the reference data announced, driven
on the in-memory unit of work: the order's state, its cancellation requests and products, what is announced."""

from datetime import date
from decimal import Decimal

import pytest

from commission.rules_in_force import load_roster
from commission.settings import Settings as CommissionSettings
from intake.domain.acceptance import assess
from intake.domain.installed_base import ProductState
from intake.domain.lifecycle import NotAllowed
from intake.domain.records import CancelAsked, SubmittedOrder
from intake.domain.validation import validate
from intake.handlers import (
    cancel_order,
    follow_catalogue,
    follow_crm_account,
    follow_fallout,
    follow_hand_off,
    follow_operations,
    follow_progress,
    follow_roster,
    release_duplicate,
    store_new_orders,
)
from intake.rules_in_force import account_kind
from orderdesk_shared.events.channels import CrmAccountUpdated
from orderdesk_shared.events.commission import RosterPublished
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.fulfillment import HandOffCancelled
from orderdesk_shared.events.intake import OrderValidated
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import OrderState, ProductOrder, Stage
from orderdesk_shared.telemetry import Traced
from pricing_approval.publication import catalogue_published
from pricing_approval.rules_in_force import load_rules as load_pricing_rules
from pricing_approval.settings import Settings as PricingSettings

from ..builders import generated_order, progress_to_hand_off
from .conftest import NOW, SEED_RULES


async def _submitted(uow, order: ProductOrder):
    await store_new_orders(uow, [Traced.here(assess(SubmittedOrder(order), SEED_RULES, now=NOW, installed=[]))])
    return await uow.orders.get(order.id)


async def _handed_off(uow, context, order: ProductOrder) -> None:
    """Every later stage up to the hand-off reports the order; the facts apply as the unit commits."""
    *progress, handed_off = progress_to_hand_off(order)
    for event in progress:
        await follow_progress(event, uow, context)
    await follow_hand_off(handed_off, uow, context)
    await uow.commit()


async def _ops(uow, context, order_id: str, status: OpsStatus, **details) -> None:
    report = OpsOrderStatusChanged(order_id=order_id, order_version=1, status=status, **details)
    await follow_operations(report, uow, context)
    await uow.commit()


async def test_a_cancel_before_the_hand_off_cancels_at_once(uow):
    stored = await _submitted(uow, generated_order("PO-C1"))
    request = await cancel_order(stored, CancelAsked("rep-001", "budget cut"), uow, now=NOW)
    assert (request.state, request.effective_at, request.requested_by) == ("done", NOW, "rep-001")
    fallout = uow.events[-1]
    assert (fallout.kind, fallout.findings[0].message) == (FalloutKind.CANCELLED, "cancelled by rep-001: budget cut")
    assert (await uow.orders.get("PO-C1")).state is OrderState.CANCELLED
    assert uow.cancel_requests.by_id == {request.id: request}
    assert uow.history.revisions[-1].action == "cancelled"


async def test_a_cancel_after_the_hand_off_waits_for_operations_which_may_install_first(uow, context):
    order = generated_order("PO-C2")
    await _submitted(uow, order)
    await _handed_off(uow, context, order)
    stored = await uow.orders.get("PO-C2")
    request = await cancel_order(stored, CancelAsked("dana", "site sold"), uow, now=NOW)
    assert (request.state, uow.events[-1].kind) == ("inProgress", FalloutKind.CANCELLATION_REQUESTED)
    assert (await uow.orders.get("PO-C2")).state is OrderState.ASSESSING_CANCELLATION

    await follow_progress(HandOffCancelled(order_id="PO-C2", order_version=1, reason="site sold"), uow, context)
    await uow.commit()
    assert (await uow.orders.get("PO-C2")).state is OrderState.PENDING_CANCELLATION
    await _ops(uow, context, "PO-C2", OpsStatus.INSTALLED, effective_date=date(2026, 11, 27))
    completed = await uow.orders.get("PO-C2")
    assert (completed.state, completed.completed_on) == (OrderState.COMPLETED, date(2026, 11, 27))
    settled = uow.cancel_requests.by_id[request.id]
    assert (settled.state, settled.effective_at) == ("terminatedWithError", NOW)
    assert "installed the order on 2026-11-27" in settled.outcome


async def test_an_order_installed_is_not_cancelled_and_nothing_is_stored(uow, context):
    order = generated_order("PO-C3")
    await _submitted(uow, order)
    await _handed_off(uow, context, order)
    await _ops(uow, context, "PO-C3", OpsStatus.INSTALLED, effective_date=date(2026, 11, 20))
    stored, announced = await uow.orders.get("PO-C3"), len(uow.events)
    with pytest.raises(NotAllowed, match="past installation"):
        await cancel_order(stored, CancelAsked("dana", ""), uow, now=NOW)
    assert (len(uow.events), uow.cancel_requests.by_id) == (announced, {})
    assert (await uow.orders.get("PO-C3")).state is OrderState.COMPLETED


async def test_operations_stopping_the_work_ends_the_cancel_and_the_products_it_would_have_added(uow, context):
    order = generated_order("PO-C4", seed=43, order_type="add")
    await _submitted(uow, order)
    await _handed_off(uow, context, order)
    assert {p.state for p in uow.installed_base.by_id.values()} == {ProductState.ORDERED}
    stored = await uow.orders.get("PO-C4")
    request = await cancel_order(stored, CancelAsked("dana", ""), uow, now=NOW)
    await _ops(uow, context, "PO-C4", OpsStatus.CANCELLED, effective_date=date(2026, 11, 27))
    settled = uow.cancel_requests.by_id[request.id]
    assert (settled.state, settled.outcome) == ("done", "Operations stopped the work on 2026-11-27")
    assert (await uow.orders.get("PO-C4")).state is OrderState.CANCELLED
    assert uow.installed_base.by_id == {}


async def test_a_hand_off_records_the_products_and_the_installation_puts_them_in_service(uow, context):
    order = generated_order("PO-S1", seed=43, order_type="add")
    await _submitted(uow, order)
    await _handed_off(uow, context, order)
    await _ops(uow, context, "PO-S1", OpsStatus.INSTALLED, effective_date=date(2026, 11, 20))
    [sold] = [p for p in uow.installed_base.by_id.values() if p.order_id == "PO-S1"]
    assert (sold.state, sold.account_id, sold.mrc) == (ProductState.INSTALLED, order.account.id, Decimal(500))


async def test_an_operations_report_about_another_version_changes_nothing(uow, context):
    order = generated_order("PO-O1")
    await _submitted(uow, order)
    await _handed_off(uow, context, order)
    before = await uow.orders.get("PO-O1")
    report = OpsOrderStatusChanged(order_id="PO-O1", order_version=2, status=OpsStatus.INSTALLED)
    await follow_operations(report, uow, context)
    await uow.commit()
    assert await uow.orders.get("PO-O1") == before


async def test_a_later_service_stopping_the_order_moves_its_state_and_is_kept_for_coaching(uow, context):
    await _submitted(uow, generated_order("PO-F1"))
    finding = Finding(reason_code="NO_COVERAGE", message="no fiber at the site")
    fallout = OrderFallout(
        order_id="PO-F1", order_version=1, stage=Stage.QUALIFIED, kind=FalloutKind.REJECTED, findings=[finding]
    )
    await follow_fallout(fallout, uow, context)
    assert (await uow.orders.get("PO-F1")).state is OrderState.IN_PROGRESS  # applied as the unit commits
    await uow.commit()
    assert (await uow.orders.get("PO-F1")).state is OrderState.REJECTED
    assert uow.findings.made == [("PO-F1", 1, Stage.QUALIFIED, "NO_COVERAGE")]
    assert len(uow.notified) == 2  # the order created, then its state changed


async def test_a_likely_duplicate_released_by_a_specialist_moves_on_validated(uow):
    first = generated_order("PO-D1", seed=44)
    await _submitted(uow, first)
    held = await _submitted(uow, first.model_copy(update={"id": "PO-D2", "external_id": "OPP-BY-HAND"}))
    status = await release_duplicate(held, uow, actor="dana", note="a second circuit for redundancy")
    released, validated = uow.events[-2:]
    assert (released.kind, released.findings[0].message) == (
        FalloutKind.RELEASED,
        "released by dana: a second circuit for redundancy",
    )
    assert isinstance(validated, OrderValidated) and validated.order_id == "PO-D2"
    assert status.state is OrderState.IN_PROGRESS and (await uow.orders.get("PO-D2")).state is OrderState.IN_PROGRESS
    assert uow.history.revisions[-1].action == "released"


async def test_an_order_not_held_as_a_duplicate_is_not_released(uow):
    stored = await _submitted(uow, generated_order("PO-D3"))
    announced = len(uow.events)
    with pytest.raises(NotAllowed, match="not held as a likely duplicate"):
        await release_duplicate(stored, uow, actor="dana", note="why not")
    assert len(uow.events) == announced and uow.history.revisions[-1].action == "submitted"


def _account(modified_at: str, *, legal_name: str) -> CrmAccountUpdated:
    return CrmAccountUpdated.model_validate(
        {
            "accountNumber": "ACC-10001",
            "legalName": legal_name,
            "billingAddress": {"street": "1 Main St", "city": "Chicago", "state": "IL", "postalCode": "60601"},
            "taxId": "36-1234567",
            "market": "CHI",
            "status": "active",
            "modifiedAt": modified_at,
        }
    )


async def test_a_crm_account_record_is_kept_unless_the_crm_changed_the_account_since(uow, context):
    assert await follow_crm_account(_account("2026-11-27T10:00:00Z", legal_name="Acme New"), uow, context)
    assert not await follow_crm_account(_account("2026-11-26T10:00:00Z", legal_name="Acme Old"), uow, context)
    rules = await uow.reference.rules(context.rules)
    assert rules.reference.accounts["ACC-10001"].legal_name == "Acme New"
    assert [version for version, _ in uow.reference.heard[account_kind("ACC-10001")]] == ["2026-11-27T10:00:00.000000Z"]


async def test_an_offering_retired_in_an_announced_catalogue_is_refused_from_then_on(uow, context):
    order = generated_order("PO-R1")
    sold = order.items[0].product_offering_id
    published = catalogue_published(load_pricing_rules(PricingSettings.model_construct()).catalogue)
    retired = [o.model_copy(update={"active": o.id != sold}) for o in published.offerings]
    await follow_catalogue(published.model_copy(update={"version": "catalogue/2", "offerings": retired}), uow, context)
    findings = validate(order, await uow.reference.rules(context.rules), today=NOW.date()).findings
    assert {(f.reason_code, f.message) for f in findings} == {
        ("UNKNOWN_OFFERING", f"product offering {sold} is no longer sold")
    }


async def test_a_rep_who_left_in_an_announced_roster_can_no_longer_sell(uow, context):
    order = generated_order("PO-R2")
    seller = order.sales_reps[0].rep_id
    roster = load_roster(CommissionSettings.model_construct().reference)
    left = [
        rep.model_copy(update={"active_to": date(2026, 10, 31)}) if rep.id == seller else rep
        for rep in roster.reps.values()
    ]
    await follow_roster(RosterPublished(version="roster/2", reps=left), uow, context)
    findings = validate(order, await uow.reference.rules(context.rules), today=NOW.date()).findings
    assert [(f.reason_code, f.message) for f in findings] == [("INVALID_VALUE", f"sales rep {seller} is not active")]
