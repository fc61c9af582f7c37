"""What the later stages' and Operations' facts do to an order: its status moves on; an Operations report about
its current version completes it (the point of no return), or stops the work, and settles its cancellation
requests and its products."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.order_state import OrderFact, OrderStatus, advance


def moved_statuses(
    statuses: Mapping[str, OrderStatus], facts: Mapping[str, Sequence[OrderFact]]
) -> dict[str, OrderStatus]:
    """The statuses the facts heard about each order change, after them (the orders they leave as they were are
    left out)."""
    moved = {}
    for order_id, status in statuses.items():
        after = status
        for fact in facts[order_id]:
            after = advance(after, fact)
        if after != status:
            moved[order_id] = after
    return moved


@dataclass(frozen=True)
class CancelRequestsSettled:
    """How Operations' report ends the order's cancellation request still waiting for it."""

    state: str
    outcome: str
    at: datetime


@dataclass(frozen=True)
class OpsReportDecision:
    """What an Operations report about the current version settles: the day the order was installed, whether its
    products are in service (True), never were (False) or unchanged (None), and its cancellation requests."""

    completed_on: date | None = None
    products_installed: bool | None = None
    cancel_requests: CancelRequestsSettled | None = None


def decide_ops_report(report: OpsOrderStatusChanged, *, now: datetime) -> OpsReportDecision:
    """Installed completes the order (a cancel asked too late fails), cancelled ends it, failed stops it for the
    desk (its state follows the fact alone)."""
    if report.status is OpsStatus.INSTALLED:
        too_late = f"Operations installed the order on {report.effective_date} before the work could be stopped"
        return OpsReportDecision(
            completed_on=report.effective_date or now.date(),
            products_installed=True,
            cancel_requests=CancelRequestsSettled("terminatedWithError", too_late, now),
        )
    if report.status is OpsStatus.CANCELLED:
        stopped = "Operations stopped the work" + (f" on {report.effective_date}" if report.effective_date else "")
        return OpsReportDecision(products_installed=False, cancel_requests=CancelRequestsSettled("done", stopped, now))
    return OpsReportDecision()
