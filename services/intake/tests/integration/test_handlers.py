"""Intake's handlers against its real, migrated schema."""

from datetime import date

import pytest

from intake import repository
from intake.domain.validation import IntakeRules
from intake.handlers import follow_progress, submit_order
from intake.tables import messaging
from intake.tmf622 import ProductOrderCreate, to_canonical
from orderdesk_shared.db import Database
from orderdesk_shared.events.commission import OrderRatified
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.events.pricing_approval import OrderPriced, Pricing
from orderdesk_stack.order_generator import generate_orders

pytestmark = pytest.mark.integration

RULES = IntakeRules.load()
TODAY = date(2026, 11, 28)


@pytest.fixture
async def database(service_database):
    db = Database(url=await service_database("intake"), tables=messaging, source="intake")
    yield db
    await db.dispose()


def _order(order_id: str, *, valid: bool = True):
    [generated] = generate_orders(1, seed=41, invalid_share=0.0 if valid else 1.0)
    return to_canonical(ProductOrderCreate.model_validate(generated.body), order_id=order_id, submitted_by="rep-001")


async def test_a_valid_order_is_stored_and_recorded_as_received_then_validated(database):
    async with database.unit_of_work() as uow:
        await submit_order(_order("PO-1"), uow, rules=RULES, today=TODAY, idempotency_key="key-1")
        emitted = [record.headers["ce_type"] for record in uow.emitted]
    assert emitted == ["com.orderdesk.order.received.v1", "com.orderdesk.order.validated.v1"]
    async with database.engine.connect() as connection:
        stored = await repository.get_order(connection, "PO-1")
        assert await repository.order_id_for_idempotency_key(connection, "key-1") == "PO-1"
    assert (stored.state, stored.stage, stored.findings) == (OrderState.IN_PROGRESS, Stage.VALIDATED, [])


async def test_an_invalid_order_is_stored_as_rejected_with_its_findings(database):
    async with database.unit_of_work() as uow:
        await submit_order(_order("PO-2", valid=False), uow, rules=RULES, today=TODAY, idempotency_key=None)
        emitted = [record.headers["ce_type"] for record in uow.emitted]
    assert emitted == ["com.orderdesk.order.received.v1", "com.orderdesk.order.fallout.v1"]
    async with database.engine.connect() as connection:
        stored = await repository.get_order(connection, "PO-2")
    assert stored.state is OrderState.REJECTED
    assert [finding["reasonCode"] for finding in stored.findings] == ["INVALID_VALUE"]


async def test_progress_moves_the_order_forward_and_late_news_is_ignored(database):
    order = _order("PO-3")
    async with database.unit_of_work() as uow:
        await submit_order(order, uow, rules=RULES, today=TODAY, idempotency_key=None)
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
            await follow_progress(event, uow)
    async with database.engine.connect() as connection:
        stored = await repository.get_order(connection, "PO-3")
    assert (stored.stage, stored.state) == (Stage.RATIFIED, OrderState.IN_PROGRESS)
