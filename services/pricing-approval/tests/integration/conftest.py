"""Pricing-approval against its real, migrated schema, with orders priced from the shipped catalogue."""

from datetime import date
from decimal import Decimal

import httpx
import pytest

from orderdesk_shared.auth import Role
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.db import Database
from orderdesk_shared.events.catalogue import EVENT_TYPES
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.intake import OrderCorrected
from orderdesk_shared.events.order import (
    Account,
    Agreement,
    Channel,
    Contact,
    ItemPrice,
    OrderItem,
    OrderType,
    ProductOrder,
    SalesRep,
    Stage,
)
from orderdesk_shared.events.serviceability import (
    NetworkReach,
    QualificationResult,
    ServiceabilityQualified,
    SiteQualification,
)
from orderdesk_stack.testing import session_token_signer
from pricing_approval.handlers import price_order, withdraw_approvals_of_cancelled_order, withdraw_superseded_approvals
from pricing_approval.main import create_app
from pricing_approval.rules_in_force import load_rules
from pricing_approval.settings import Settings
from pricing_approval.tables import messaging
from pricing_approval.unit_of_work import PricingUnitOfWork

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


SIGNED_IN_THE_CRM = date(2026, 11, 2)


def internet_order(
    order_id: str,
    *,
    discount: str = "5",
    non_standard_terms: str | None = None,
    ciac: str = "0",
    promotion_code: str | None = None,
    signed_date: date | None = SIGNED_IN_THE_CRM,
) -> ProductOrder:
    """Dedicated Internet, 1 Gbps on 36 months: lists at $1,665.00 a month and $1,500.00 once.

    Sold by rep-007, submitted by sam-specialist, for a new client whose contact is Priya Raman; the contract
    comes signed from the CRM unless `signed_date` is None.
    """
    return ProductOrder(
        id=order_id,
        channel=Channel.CRM,
        order_type=OrderType.NEW,
        account=Account(legal_name="Lakeshore Logistics LLC"),
        contacts=[Contact(name="Priya Raman", email="priya.raman@lakeshore.example.com")],
        sales_reps=[SalesRep(rep_id="rep-007")],
        submitted_by="sam-specialist",
        agreement=Agreement(
            contract_id="MSA-2211",
            term_months=36,
            signed_date=signed_date,
            non_standard_terms=non_standard_terms,
            ciac=Decimal(ciac),
        ),
        items=[
            OrderItem(
                id="1",
                product_offering_id="DIA-FIBER",
                characteristics={"bandwidth_mbps": 1000},
                price=ItemPrice(mrc_discount_percent=Decimal(discount)),
                promotion_code=promotion_code,
            )
        ],
    )


def qualified(order: ProductOrder, *, version: int = 1, near_net_feet: int | None = None) -> ServiceabilityQualified:
    """The order as serviceability passes it on: on-net, or near-net at DOMAIN.md's $15,000 + $45 a foot."""
    site = SiteQualification(item_id="1", reach=NetworkReach.ON_NET, result=QualificationResult.QUALIFIED)
    if near_net_feet is not None:
        site = SiteQualification(
            item_id="1",
            reach=NetworkReach.NEAR_NET,
            result=QualificationResult.QUALIFIED,
            construction_estimate=Decimal(15000 + 45 * near_net_feet),
        )
    return ServiceabilityQualified(order_id=order.id, order_version=version, order=order, sites=[site])
