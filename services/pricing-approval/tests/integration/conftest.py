"""Pricing-approval against its real, migrated schema, with orders priced from the shipped catalogue."""

import httpx
import pytest

from orderdesk_shared.auth import Role
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.db import Database
from orderdesk_shared.events.catalogue import EVENT_TYPES
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.intake import OrderCorrected
from orderdesk_shared.events.order import (
    ProductOrder,
    Stage,
)
from orderdesk_stack.testing import session_token_signer
from pricing_approval.handlers import price_order, withdraw_approvals_of_cancelled_order, withdraw_superseded_approvals
from pricing_approval.main import create_app
from pricing_approval.rules_in_force import load_rules
from pricing_approval.settings import Settings
from pricing_approval.tables import messaging
from pricing_approval.unit_of_work import PricingUnitOfWork

from ..builders import qualified

RULES = load_rules(Settings.model_construct())
CONTEXT = ServiceContext(rules=RULES)


@pytest.fixture
async def database(service_database):
    db = Database(
        url=await service_database("pricing-approval"),
        tables=messaging,
        source="pricing-approval",
        unit_of_work=PricingUnitOfWork,
    )
    yield db
    await db.dispose()


@pytest.fixture
async def api(database):
    """The app without its lifespan: the API needs only the database, so no consumer or relay runs."""
    settings = Settings(database_url=database.engine.url.render_as_string(hide_password=False))
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pricing") as client:
        yield client
    await app.state.runtime.database.dispose()


def signed_in(api, subject: str, *roles: Role) -> dict[str, str]:
    return session_token_signer().bearer(subject, *roles)


async def price(database, order, *, version: int = 1) -> None:
    async with database.unit_of_work() as uow:
        await price_order(qualified(order, version=version), uow, CONTEXT)


async def outbox_events(database) -> list:
    """Every event pricing-approval recorded, in order."""
    async with database.engine.connect() as connection:
        rows = await connection.execute(messaging.outbox.select().order_by(messaging.outbox.c.seq))
        return [EVENT_TYPES[row.type].model_validate_json(row.payload) for row in rows]


async def receive_correction(database, order: ProductOrder, *, version: int) -> None:
    """Intake corrected the order to a new version (orders.corrected)."""
    async with database.unit_of_work() as uow:
        await withdraw_superseded_approvals(
            OrderCorrected(order_id=order.id, order_version=version, corrected_by="sam-specialist"), uow, CONTEXT
        )


async def cancel(database, order_id: str, *, reason: str, kind: FalloutKind = FalloutKind.CANCELLED) -> None:
    """Intake cancelled the order (orders.fallout), at once or, after the hand-off, asking Operations."""
    cancelled = OrderFallout(
        order_id=order_id,
        order_version=1,
        stage=Stage.PRICED,
        kind=kind,
        findings=[Finding(reason_code="CANCELLED", message=reason)],
    )
    async with database.unit_of_work() as uow:
        await withdraw_approvals_of_cancelled_order(cancelled, uow, CONTEXT)
