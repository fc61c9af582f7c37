"""Orders' events as the services record them, for the console's tests."""

from datetime import date
from decimal import Decimal

import pytest

from console.tables import messaging
from console.unit_of_work import ConsoleUnitOfWork
from orderdesk_shared.db import Database
from orderdesk_shared.events.base import Event
from orderdesk_shared.events.commission import OrderRatified
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.fulfillment import OrderHandedOff, ProcessingPath
from orderdesk_shared.events.intake import OrderReceived, OrderValidated
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import (
    Account,
    Channel,
    Contact,
    OrderItem,
    OrderType,
    ProductOrder,
    SalesRep,
    Stage,
)
from orderdesk_shared.events.pricing_approval import (
    ApprovalGranted,
    ApprovalRequirement,
    OrderApproved,
    OrderPriced,
    Pricing,
)
from orderdesk_shared.events.serviceability import ServiceabilityQualified

PRICING = Pricing(items=[], mrc_total=Decimal(900), nrc_total=Decimal(0), total_contract_value=Decimal(32400))


class Journeys:
    """The events of an order's way through the stages, and of its fallout."""

    @staticmethod
    def order(order_id: str) -> ProductOrder:
        return ProductOrder(
            id=order_id,
            channel=Channel.CRM,
            order_type=OrderType.NEW,
            external_id="OPP-0065e00000QxT9a",
            account=Account(legal_name="Acme Corp"),
            sales_reps=[SalesRep(rep_id="rep-001", split_percent=60), SalesRep(rep_id="rep-017", split_percent=40)],
            submitted_by="rep-001",
            contacts=[Contact(name="Pat Buyer", email="pat@acme.example"), Contact(name="Lee Finance", role="billing")],
            items=[
                OrderItem(id="1", product_offering_id="fiber-internet"),
                OrderItem(id="2", product_offering_id="sip-trunk"),
            ],
        )

    def every_stage(self, order_id: str = "PO-1", *, version: int = 1) -> list[Event]:
        order = self.order(order_id)
        common = {"order_id": order_id, "order_version": version}
        shipped = {**common, "order": order, "sites": [], "pricing": PRICING}
        return [
            OrderReceived(**common, order=order),
            OrderValidated(**common, order=order),
            ServiceabilityQualified(**common, order=order, sites=[]),
            OrderPriced(
                **shipped, required_approvals=[ApprovalRequirement(role="sales_director", reason="discount 25%")]
            ),
            OrderApproved(**shipped, approvals=[ApprovalGranted(role="sales_director", approver="dora")]),
            OrderHandedOff(**shipped, approvals=[], processing_path=ProcessingPath.STANDARD, billing_lines=[]),
            OrderRatified(
                **common,
                eligible=True,
                reasons=[],
                commissionable_mrr=Decimal(900),
                commission_total=Decimal(1800),
                reps=[],
            ),
        ]

    @staticmethod
    def fallout(
        kind: FalloutKind, stage: Stage, code: str, message: str, *, order_id: str = "PO-1", version: int = 1
    ) -> OrderFallout:
        finding = Finding(reason_code=code, message=message)
        return OrderFallout(order_id=order_id, order_version=version, stage=stage, kind=kind, findings=[finding])

    @staticmethod
    def operations(
        status: OpsStatus, *items: str, reason: str | None = None, order_id: str = "PO-1", version: int = 1
    ) -> OpsOrderStatusChanged:
        """Operations' report on the order, or on the items named."""
        return OpsOrderStatusChanged(
            order_id=order_id,
            order_version=version,
            status=status,
            effective_date=date(2026, 12, 1),
            reason=reason,
            item_ids=list(items),
        )

    @staticmethod
    def rejection(order_id: str = "PO-1", *, version: int = 1) -> OrderFallout:
        finding = Finding(
            reason_code="INVALID_VALUE", field_path="salesReps", message="splits add up to 90", fix="Make them 100."
        )
        return OrderFallout(
            order_id=order_id,
            order_version=version,
            stage=Stage.RECEIVED,
            kind=FalloutKind.REJECTED,
            findings=[finding],
        )


@pytest.fixture
def journeys() -> Journeys:
    return Journeys()


@pytest.fixture
async def database(service_database):
    """The console's own migrated schema in a fresh database."""
    db = Database(
        url=await service_database("console"), tables=messaging, source="console", unit_of_work=ConsoleUnitOfWork
    )
    yield db
    await db.dispose()
