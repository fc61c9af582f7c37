"""What the reports need of each event, kept with the event's time: a report for a past period reads these facts as
they were then, never today's order rows, so last month's report reads the same tomorrow."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orderdesk_shared.events.base import Event
from orderdesk_shared.events.commission import CommissionAdjusted, OrderRatified
from orderdesk_shared.events.fallout import OrderFallout
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.intake import OrderReceived
from orderdesk_shared.events.order import ProductOrder
from orderdesk_shared.events.pricing_approval import OrderApproved, OrderPriced, PricedOrderEvent
from orderdesk_shared.order_state import STAGE_REACHED_BY

FALLOUT = "fallout"
COMMISSION_ADJUSTED = "commission-adjusted"
# An order's sites may lie in several markets; its capital figures are the order's, told in the market of its first
# site that has one.
UNKNOWN_MARKET = "unknown"


@dataclass(frozen=True)
class ReportFact:
    """One event as the reports read it: a stage reached (kind: the stage), a fallout or a commission adjustment."""

    message_id: str
    order_id: str
    order_version: int
    kind: str
    occurred_at: datetime
    # Money as strings, so that it stays exact to the cent through JSON.
    fact: dict[str, Any]


def report_fact(event: Event, *, message_id: str, occurred_at: datetime) -> ReportFact | None:
    """The fact a report reads of the event, or None when no report reads it."""
    kind, fact = _kind_and_fact(event)
    if kind is None:
        return None
    return ReportFact(
        message_id=message_id,
        order_id=event.order_id,
        order_version=event.order_version,
        kind=kind,
        occurred_at=occurred_at,
        fact=fact,
    )


def _kind_and_fact(event: Event) -> tuple[str | None, dict[str, Any]]:
    match event:
        case OrderFallout():
            reasons = list(dict.fromkeys(finding.reason_code for finding in event.findings))
            return FALLOUT, {"stage": str(event.stage), "fallout": str(event.kind), "reasons": reasons}
        case CommissionAdjusted():
            return COMMISSION_ADJUSTED, {
                "rep": event.rep_id,
                "amount": str(event.amount),
                "adjustment": event.kind,
                "payableChange": str(event.payable_change) if event.payable_change is not None else None,
            }
    stage = STAGE_REACHED_BY.get(type(event))
    if stage is None:
        return None, {}
    match event:
        case OrderReceived():
            return str(stage), _order_fact(event.order)
        case OrderHandedOff():
            return str(stage), _order_fact(event.order) | {
                "items": _booked_items(event),
                "replacesVersion": event.replaces_version,
            }
        case OrderPriced() | OrderApproved():
            return str(stage), _capital_fact(event)
        case OrderRatified():
            reps = [{"rep": rep.rep_id, "amount": str(rep.amount)} for rep in event.reps]
            return str(stage), {"eligible": event.eligible, "reps": reps}
    return str(stage), {}


def _order_fact(order: ProductOrder) -> dict[str, Any]:
    return {
        "channel": str(order.channel),
        "orderType": str(order.order_type),
        "reps": [{"rep": rep.rep_id, "split": str(rep.split_percent)} for rep in order.sales_reps],
    }


def _booked_items(event: OrderHandedOff) -> list[dict[str, Any]]:
    markets = {site.item_id: site.market for site in event.sites}
    offerings = {item.id: item.product_offering_id for item in event.order.items}
    return [
        {
            "item": item.item_id,
            "offering": item.offering_id or offerings.get(item.item_id),
            "market": markets.get(item.item_id) or _order_market(event),
            "mrr": str(item.net_mrc),
            "nrc": str(item.nrc),
            "term": item.term_months,
        }
        for item in event.pricing.items
    ]


def _order_market(event: PricedOrderEvent) -> str:
    return next((site.market for site in event.sites if site.market), UNKNOWN_MARKET)


def _capital_fact(event: PricedOrderEvent) -> dict[str, Any]:
    capital = event.pricing.capital
    if capital is None:
        return {}
    return {
        "market": _order_market(event),
        "capex": str(capital.net_capex),
        "paybackMonths": str(capital.payback_months) if capital.payback_months is not None else None,
        "npv": str(capital.npv),
    }
