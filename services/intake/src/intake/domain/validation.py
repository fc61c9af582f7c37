"""Validation of a submitted order.

PLACEHOLDER (walking skeleton): only the checks the canonical model cannot express are made
here. Issue #3 replaces this with the order entry matrix and accuracy checks of DOMAIN.md.
"""

from decimal import Decimal

from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import ProductOrder


def validate(order: ProductOrder) -> list[Finding]:
    """Findings that stop the order; an empty list lets it through."""
    findings: list[Finding] = []
    if not order.items:
        findings.append(
            Finding(
                reason_code="INCOMPLETE_DATA",
                field_path="productOrderItem",
                message="the order has no items",
                fix="add at least one item",
            )
        )
    split = sum((rep.split_percent for rep in order.sales_reps), Decimal(0))
    if order.sales_reps and split != 100:
        findings.append(
            Finding(
                reason_code="INVALID_VALUE",
                field_path="relatedParty[role=salesRep].splitPercent",
                message=f"commission splits add up to {split}%, not 100%",
                fix="make the sales reps' split percentages add up to 100",
            )
        )
    return findings
