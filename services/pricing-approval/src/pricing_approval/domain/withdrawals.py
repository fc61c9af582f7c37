"""What a cancel or a correction ends in pricing: the approval requests still asked, the capital flags still open,
and the quote's status."""

from collections.abc import Mapping

from orderdesk_shared.order_versions import Standing
from pricing_approval.domain.workflow import QuoteStatus


def work_to_end(standing: Standing, pending: Mapping[str, int]) -> dict[str, str]:
    """Why each pending request or open capital flag (its order version by id) ends: a cancel ends them all, a
    correction those of earlier versions."""
    return {
        request_id: reason
        for request_id, version in pending.items()
        if (reason := standing.refusal(version)) is not None
    }


def quote_status_after(standing: Standing, *, version: int, status: QuoteStatus) -> QuoteStatus | None:
    """A cancel cancels a quote not yet approved; a correction supersedes an earlier version's quote.

    None when the quote keeps its status: an approved quote went on to fulfillment, which handles the cancel.
    """
    if standing.cancel_reason is not None:
        return None if status in (QuoteStatus.APPROVED, QuoteStatus.CANCELLED) else QuoteStatus.CANCELLED
    if version < standing.live_version and status is not QuoteStatus.SUPERSEDED:
        return QuoteStatus.SUPERSEDED
    return None
