"""Likely duplicates: the same account asking for the same offerings at the same sites again, under another id.

The first order of a source (its channel, account and externalId) is the only one that source makes: a repeat
gets that order back. A different source asking for what a live order already asks is held for a person to
judge, since a second order for the same service is far more often a mistake than a need.
"""

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum

from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import ProductOrder, ServiceLocation

DUPLICATE_ORDER = "DUPLICATE_ORDER"


def source_id(order: ProductOrder) -> str | None:
    """Who sent the order and under which id of theirs; None when the sender gave no externalId."""
    if not order.external_id:
        return None
    return f"source:{order.channel}:{order.account.key}:{order.external_id}"


class Resend(StrEnum):
    """What a submission is to the order its source made before."""

    # The same document again: the same order.
    SAME_ORDER = "the same order"
    # Another document, from a channel whose sources send new versions of theirs: it corrects the order.
    CORRECTION = "a correction"
    # Another document, from a sender that cannot correct an order by sending it again.
    CONFLICT = "a conflict"


def resend_of(earlier_document: bytes, document: bytes, *, corrects: bool) -> Resend:
    """A resend of the order's document is the same order; another document corrects it only where the channel's
    sources send new versions (`corrects`), and is a conflict elsewhere."""
    if document == earlier_document:
        return Resend.SAME_ORDER
    return Resend.CORRECTION if corrects else Resend.CONFLICT


def fingerprint(order: ProductOrder) -> str:
    """What the order asks for, where: each item's action, offering and site, in any order."""
    lines = sorted(f"{item.action}|{item.product_offering_id}|{site_key(item.location)}" for item in order.items)
    return hashlib.sha256("\n".join([str(order.order_type), *lines]).encode()).hexdigest()[:32]


def site_key(location: ServiceLocation | None) -> str:
    if location is None:
        return "-"
    if location.address is not None:
        address = location.address
        return " ".join(f"{address.street} {address.city} {address.state_or_province} {address.postcode}".split())
    return location.location_id or "-"


def duplicate_finding(other_order_id: str, *, window_days: int) -> Finding:
    return Finding(
        reason_code=DUPLICATE_ORDER,
        field_path="externalId",
        message=(
            f"likely a duplicate of {other_order_id}: the same account, offerings and sites within {window_days} days"
        ),
        fix="A specialist releases it if it is a separate order, or cancel it.",
    )


def received_since(now: datetime, *, window_days: int) -> datetime:
    """The start of the window an earlier order must fall in to be duplicated."""
    return now - timedelta(days=window_days)
