"""How fulfillment-handoff's API shows an order's fulfillment, a catalogue ticket and a billing code: camelCase, as
every OrderDesk API."""

from typing import Any

from sqlalchemy import Row

from fulfillment_handoff.domain.billing import CodeKey
from fulfillment_handoff.domain.fulfillment import Fulfillment, HandedOff, ItemOutcome
from fulfillment_handoff.domain.handoff import waiting_for
from orderdesk_shared.app import in_camel_case
from orderdesk_shared.order_versions import Standing

# What a billing code is looked up by (CodeKey), as its columns name it.
_CODE_KEY = ("price_component", "billing_system", "market")

# What the order's row says of its hand-off package and when it was held or handed off, in the API's order.
_HAND_OFF = (
    "processing_path",
    "billing_date",
    "billing_lines",
    "engineering_notes",
    "held_at",
    "handed_off_version",
    "handed_off_at",
)


def order_status_view(row: Row, handed_off: HandedOff | None, tickets: list[dict], standing: Standing | None) -> dict:
    """Where the order is, what it waits for, its open tickets, its cancel and how far Operations got with it."""
    missing_codes = [CodeKey(t["price_component"], t["billing_system"], t["market"]) for t in tickets]
    waiting = waiting_for(row.state, handed_off, missing_codes=missing_codes, standing=standing)
    return {
        **in_camel_case(row._mapping, "order_id", "order_version", "state"),
        "waitingFor": {"who": waiting.who, "what": waiting.what} if waiting else None,
        "findings": row.findings,
        "catalogueTickets": [ticket_view(ticket) for ticket in tickets],
        **in_camel_case(row._mapping, *_HAND_OFF),
        "cancel": {"reason": standing.cancel_reason, "sentToOperationsAt": row.cancel_sent_at}
        if standing and standing.cancel_reason
        else None,
        "fulfillment": _fulfillment(row, handed_off.fulfillment if handed_off else Fulfillment()),
    }


def _fulfillment(row: Row, fulfillment: Fulfillment) -> dict:
    return {
        "status": fulfillment.status,
        "scheduledFor": fulfillment.scheduled_for,
        "installedOn": fulfillment.installed_on,
        "failureReason": fulfillment.failure_reason,
        "items": [_item(item_id, fulfillment.items.get(item_id)) for item_id in row.item_ids],
        "updatedAt": row.ops_updated_at,
    }


def _item(item_id: str, outcome: ItemOutcome | None) -> dict:
    """An item of the version Operations has: installed, failed or cancelled, or (status null) being worked on."""
    return {
        "itemId": item_id,
        "status": outcome.status if outcome else None,
        "effectiveDate": outcome.effective_date if outcome else None,
        "reason": outcome.reason if outcome else None,
    }


def ticket_view(ticket: dict[str, Any]) -> dict:
    """A missing billing code's ticket, with the orders waiting on it."""
    shown = in_camel_case(ticket, "id", *_CODE_KEY, "opened_at", "resolved_at")
    return shown | {"orders": ticket["order_ids"]}


def billing_code_view(row: Row) -> dict:
    effect = ("effective_from", "effective_to", "added_by", "added_at")
    return in_camel_case(row._mapping, "id", *_CODE_KEY, "billing_code", *effect)
