"""What the commission tests do to a rep's ledger and read of it: events handled on a stopped clock, a
ratified order, an installation, and the commission a rep sees."""

import uuid
from datetime import date
from decimal import Decimal

from commission.handlers import ratify_order
from orderdesk_shared.auth import Role
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from services.commission.tests.builders import handed_off
from services.commission.tests.integration.conftest import bearer, on

DAY = date(2026, 11, 2)
ANALYST = bearer("carla", Role.COMMISSION_ANALYST)


def new_id(prefix: str = "PO") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10].upper()}"


def new_account() -> str:
    return f"ACC-{uuid.uuid4().hex[:8].upper()}"


async def handle(database, handler, event, *, today: date = DAY):
    """Handle one event on `today` as the consumer does: the handler, then the work it left for just before
    commit."""
    async with database.unit_of_work() as uow:
        await handler(event, uow, on(today))
        await uow.run_deferred()
        return uow.emitted


async def ratified_order(database) -> str:
    """A new order for a new account, handed off and ratified on DAY: its id."""
    order_id = new_id()
    await handle(database, ratify_order, handed_off(order_id, account=new_account()), today=DAY)
    return order_id


def installed(order_id: str, on: date) -> OpsOrderStatusChanged:
    return OpsOrderStatusChanged(order_id=order_id, order_version=1, status=OpsStatus.INSTALLED, effective_date=on)


async def commission_of(api, order_id: str, rep: str = "rep-001") -> dict:
    client, _ = api
    response = await client.get(f"/commission/orders/{order_id}", headers=bearer(rep, Role.SALES_REP))
    assert response.status_code == 200, response.text
    return response.json()


def balances(view: dict) -> tuple[Decimal, Decimal]:
    return (
        sum((Decimal(e["accruedChange"]) for e in view["ledger"]), Decimal(0)),
        sum((Decimal(e["payableChange"]) for e in view["ledger"]), Decimal(0)),
    )
