"""Orders and the later stages' facts about them, as intake's handler tests (in memory and on the real schema)
drive them."""

from datetime import UTC, datetime
from decimal import Decimal

from intake.rules_in_force import load_rules, load_seed_rules
from intake.settings import Settings
from intake.tmf622 import ProductOrderCreate, to_canonical
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.base import Event
from orderdesk_shared.events.fulfillment import OrderHandedOff, ProcessingPath
from orderdesk_shared.events.order import ItemAction, ProductOrder
from orderdesk_shared.events.pricing_approval import OrderApproved, OrderPriced, PricedItem, Pricing
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from orderdesk_stack.order_generator import generate_orders

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
SETTINGS = Settings.model_construct()
# The rules intake decides with: its seed files as they are, and the book of them it keeps up to date as the
# service does (on a fixed clock).
SEED_RULES = load_seed_rules(SETTINGS)
CONTEXT = ServiceContext(rules=load_rules(SETTINGS), clock=lambda: NOW)


def generated_order(order_id: str, *, seed: int = 41, order_type: str = "new") -> ProductOrder:
    """A valid generated order of the type, submitted by rep-001."""
    body = next(o.body for o in generate_orders(40, seed=seed, invalid_share=0.0) if o.body["orderType"] == order_type)
    return to_canonical(ProductOrderCreate.model_validate(body), order_id=order_id, submitted_by="rep-001")


def pricing_of(order: ProductOrder) -> Pricing:
    """Each item the order adds or changes at $500 a month for 36 months."""
    items = [
        PricedItem(
            item_id=item.id,
            list_mrc=Decimal(500),
            net_mrc=Decimal(500),
            nrc=Decimal(0),
            discount_percent=Decimal(0),
            term_months=36,
        )
        for item in order.items
        if item.action is not ItemAction.DELETE
    ]
    return Pricing(items=items, mrc_total=Decimal(500), nrc_total=Decimal(0), total_contract_value=Decimal(18000))


def progress_to_hand_off(order: ProductOrder) -> list[Event]:
    """What every later stage reports of the order's first version, up to its hand-off (the last)."""
    carried = {"order_id": order.id, "order_version": 1, "order": order, "sites": []}
    pricing = pricing_of(order)
    return [
        ServiceabilityQualified(**carried),
        OrderPriced(**carried, pricing=pricing, required_approvals=[]),
        OrderApproved(**carried, pricing=pricing, approvals=[]),
        OrderHandedOff(
            **carried, pricing=pricing, approvals=[], processing_path=ProcessingPath.STANDARD, billing_lines=[]
        ),
    ]
