"""Where an order's approval stands: the quote's status and each approval request's."""

from enum import StrEnum


class QuoteStatus(StrEnum):
    PENDING_APPROVAL = "pending-approval"
    APPROVED = "approved"
    REJECTED = "rejected"


class RequestStatus(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    DENIED = "denied"
    # No longer asked: the order was revised, or another approver denied it.
    WITHDRAWN = "withdrawn"
