"""An order's whole life as intake answers it on TMF622: Operations' reports, cancels before and after the
hand-off, the account's installed base, and likely duplicates held for the desk."""

from datetime import date
from decimal import Decimal

import pytest

from intake.domain.records import CancelAsked, SubmittedOrder
from intake.handlers import (
    cancel_order,
    follow_hand_off,
    follow_operations,
    follow_progress,
    release_duplicate,
    submit_order,
)
from intake.repository import CancelRequests, InstalledBase, Orders, StoredOrder
from orderdesk_shared.db import Database
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.fulfillment import HandOffCancelled
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import Account, Channel, ItemAction, OrderItem, OrderState, OrderType, ProductOrder

from ..builders import CONTEXT, NOW, SEED_RULES, generated_order, progress_to_hand_off

pytestmark = pytest.mark.integration


async def _submit(database: Database, order: ProductOrder) -> list[str]:
    async with database.unit_of_work() as uow:
        await submit_order(SubmittedOrder(order), uow, rules=SEED_RULES, now=NOW)
        return [record.headers["ce_type"] for record in uow.emitted]


async def _hand_off(database: Database, order: ProductOrder) -> None:
    """Every later stage up to the hand-off reports the order."""
    *progress, handed_off = progress_to_hand_off(order)
    for event in progress:
        async with database.unit_of_work() as uow:
            await follow_progress(event, uow, CONTEXT)
    async with database.unit_of_work() as uow:
        await follow_hand_off(handed_off, uow, CONTEXT)


async def _ops(database: Database, order_id: str, status: OpsStatus, **details) -> None:
    async with database.unit_of_work() as uow:
        await follow_operations(
            OpsOrderStatusChanged(order_id=order_id, order_version=1, status=status, **details), uow, CONTEXT
        )


async def _stored(database: Database, order_id: str) -> StoredOrder:
    async with database.engine.connect() as connection:
        return await Orders(connection).get(order_id)


async def test_a_failed_installation_waits_for_the_desk_until_a_new_date_and_the_install_completes_it(database):
    order = generated_order("PO-OPS1")
    await _submit(database, order)
    await _hand_off(database, order)
    assert (await _stored(database, "PO-OPS1")).state is OrderState.IN_PROGRESS

    await _ops(database, "PO-OPS1", OpsStatus.FAILED, reason="the landlord refused access to the riser")
    failed = await _stored(database, "PO-OPS1")
    assert failed.state is OrderState.FAILED
    assert "landlord refused access" in failed.findings[0]["message"]

    await _ops(database, "PO-OPS1", OpsStatus.RESCHEDULED, effective_date=date(2027, 1, 12))
    assert (await _stored(database, "PO-OPS1")).state is OrderState.IN_PROGRESS
    await _ops(database, "PO-OPS1", OpsStatus.INSTALLED, effective_date=date(2027, 1, 12))
    completed = await _stored(database, "PO-OPS1")
    assert (completed.state, completed.completed_on) == (OrderState.COMPLETED, date(2027, 1, 12))
    assert {completed.status.item_state(item.id) for item in order.items} == {OrderState.COMPLETED}


async def test_a_cancel_before_the_hand_off_is_done_at_once(database):
    await _submit(database, generated_order("PO-C1"))
    async with database.unit_of_work() as uow:
        stored = await uow.orders.get("PO-C1", for_update=True)
        request = await cancel_order(stored, CancelAsked("rep-001", "budget cut"), uow, now=NOW)
        [fallout] = [OrderFallout.model_validate_json(record.value) for record in uow.emitted]
    assert (request.state, fallout.kind) == ("done", FalloutKind.CANCELLED)
    assert (await _stored(database, "PO-C1")).state is OrderState.CANCELLED


@pytest.mark.parametrize(
    ("answer", "order_state", "request_state"),
    [
        (OpsStatus.CANCELLED, OrderState.CANCELLED, "done"),
        (OpsStatus.INSTALLED, OrderState.COMPLETED, "terminatedWithError"),
    ],
)
async def test_a_cancel_after_the_hand_off_waits_for_operations_to_stop_the_work(
    database, answer, order_state, request_state
):
    order = generated_order(f"PO-C2-{answer}")
    await _submit(database, order)
    await _hand_off(database, order)
    async with database.unit_of_work() as uow:
        stored = await uow.orders.get(order.id, for_update=True)
        request = await cancel_order(stored, CancelAsked("dana", "site sold"), uow, now=NOW)
        [fallout] = [OrderFallout.model_validate_json(record.value) for record in uow.emitted]
    assert (request.state, fallout.kind) == ("inProgress", FalloutKind.CANCELLATION_REQUESTED)
    assert (await _stored(database, order.id)).state is OrderState.ASSESSING_CANCELLATION

    async with database.unit_of_work() as uow:
        await follow_progress(HandOffCancelled(order_id=order.id, order_version=1, reason="site sold"), uow, CONTEXT)
    assert (await _stored(database, order.id)).state is OrderState.PENDING_CANCELLATION

    await _ops(database, order.id, answer, effective_date=date(2026, 11, 27))
    assert (await _stored(database, order.id)).state is order_state
    async with database.engine.connect() as connection:
        settled = await CancelRequests(connection).get(request.id)
    assert settled.state == request_state


async def test_a_disconnect_naming_only_the_product_gets_its_site_offering_and_mrc_from_the_installed_base(database):
    # PRD-448812 is in the seed: ACC-10005's SIP trunk at its old warehouse (LOC-CHI-0010).
    disconnect = ProductOrder(
        id="PO-D1",
        channel=Channel.IVR,
        order_type=OrderType.DISCONNECT,
        account=Account(id="ACC-10005"),
        requested_completion_date=date(2027, 2, 1),
        items=[OrderItem(id="1", action=ItemAction.DELETE, product_offering_id="", existing_product_id="PRD-448812")],
    )
    assert await _submit(database, disconnect) == [
        "com.orderdesk.order.received.v1",
        "com.orderdesk.order.validated.v1",
    ]
    [item] = (await _stored(database, "PO-D1")).order.items
    assert (item.product_offering_id, item.location.location_id) == ("SIP-TRUNK", "LOC-CHI-0010")
    assert item.location.address.street == "5200 W 63RD ST" and item.price.mrc == Decimal("423.20")

    unknown = disconnect.model_copy(
        update={
            "id": "PO-D2",
            "items": [
                item.model_copy(
                    update={"existing_product_id": "PRD-000001", "location": None, "product_offering_id": ""}
                )
            ],
        }
    )
    await _submit(database, unknown)
    stopped = await _stored(database, "PO-D2")
    assert stopped.state is OrderState.PENDING
    assert [(f["reasonCode"], f["fieldPath"]) for f in stopped.findings] == [
        ("INCOMPLETE_DATA", "items[0].existingProductId")
    ]


async def test_what_a_hand_off_sells_is_what_a_later_disconnect_can_name(database):
    await _submit(database, generated_order("PO-S1", seed=43, order_type="add"))
    sale = (await _stored(database, "PO-S1")).order  # as validated: its addresses normalized
    await _hand_off(database, sale)
    await _ops(database, "PO-S1", OpsStatus.INSTALLED, effective_date=date(2026, 11, 20))
    async with database.engine.connect() as connection:
        products = await InstalledBase(connection).products_of(sale.account.id)
    sold = next(product for product in products if product.order_id == "PO-S1")
    assert (sold.state, sold.location) == ("installed", sale.items[0].location)

    disconnect = ProductOrder(
        id="PO-S2",
        channel=Channel.API,
        order_type=OrderType.DISCONNECT,
        account=Account(id=sale.account.id),
        requested_completion_date=date(2027, 2, 1),
        items=[
            OrderItem(id="1", action=ItemAction.DELETE, product_offering_id="", existing_product_id=sold.product_id)
        ],
    )
    await _submit(database, disconnect)
    [item] = (await _stored(database, "PO-S2")).order.items
    assert (item.product_offering_id, item.location) == (sold.offering_id, sold.location)


async def test_a_likely_duplicate_is_held_until_a_specialist_releases_it(database):
    first = generated_order("PO-DUP1", seed=44)
    await _submit(database, first)
    again = first.model_copy(update={"id": "PO-DUP2", "external_id": "OPP-RESENT-BY-HAND"})
    assert await _submit(database, again) == ["com.orderdesk.order.received.v1", "com.orderdesk.order.fallout.v1"]
    held = await _stored(database, "PO-DUP2")
    assert held.state is OrderState.HELD
    assert held.findings[0]["reasonCode"] == "DUPLICATE_ORDER" and "PO-DUP1" in held.findings[0]["message"]

    async with database.unit_of_work() as uow:
        stored = await uow.orders.get("PO-DUP2", for_update=True)
        await release_duplicate(stored, uow, actor="dana", note="a second circuit for redundancy")
        released = [record.headers["ce_type"] for record in uow.emitted]
    assert released == ["com.orderdesk.order.fallout.v1", "com.orderdesk.order.validated.v1"]
    assert (await _stored(database, "PO-DUP2")).state is OrderState.IN_PROGRESS
