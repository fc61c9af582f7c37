"""Billing codes and the processing path of an approved order.

PLACEHOLDER (walking skeleton): every order takes the standard path and each item gets a made-up
MRC billing code in the CSG system. Issue #6 replaces this with the billing-code map, the
missing-code hold and the processing-path rules of DOMAIN.md.
"""

from orderdesk_shared.events.fulfillment import BillingLine, ProcessingPath
from orderdesk_shared.events.order import ProductOrder

PLACEHOLDER_BILLING_SYSTEM = "CSG"


def processing_path(order: ProductOrder) -> ProcessingPath:
    return ProcessingPath.STANDARD


def billing_lines(order: ProductOrder) -> list[BillingLine]:
    return [
        BillingLine(
            item_id=item.id,
            price_component="MRC",
            billing_system=PLACEHOLDER_BILLING_SYSTEM,
            billing_code=f"PLACEHOLDER-{item.product_offering_id}-MRC",
        )
        for item in order.items
    ]
