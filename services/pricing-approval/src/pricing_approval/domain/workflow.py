"""Where an order's approval stands: the quote's status and each approval request's."""

from enum import StrEnum


class QuoteStatus(StrEnum):
    PENDING_APPROVAL = "pending-approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    # A correction of the order was received: this version is dead until the new one is priced.
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"


class RequestStatus(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    DENIED = "denied"
    # No longer asked: the order was cancelled or corrected, or another approver denied it.
    WITHDRAWN = "withdrawn"
