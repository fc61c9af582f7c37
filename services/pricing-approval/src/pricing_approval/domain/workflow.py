"""Where an order's approval stands: the quote's status and each approval request's."""

from enum import StrEnum


class QuoteStatus(StrEnum):
    PENDING_APPROVAL = "pending-approval"
    # Every approval is granted; the hand-off waits for the customer to sign the proposal.
    AWAITING_SIGNATURE = "awaiting-signature"
    APPROVED = "approved"
    REJECTED = "rejected"
    # A correction of the order was received: this version is dead until the new one is priced.
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"


# The quote of an order nobody may act on any more.
CLOSED_QUOTES = frozenset({QuoteStatus.REJECTED, QuoteStatus.SUPERSEDED, QuoteStatus.CANCELLED})


class RequestStatus(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    DENIED = "denied"
    # No longer asked: the order was cancelled or corrected, or another approver denied it.
    WITHDRAWN = "withdrawn"
