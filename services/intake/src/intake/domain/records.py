"""What intake keeps of an order as plain records: the order as stored, an order as submitted, a new order as
assessed, a line of its history, a cancel as asked and the cancellation request. The repositories store and return
them; the domain decides with them."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from intake.domain.accounts import AccountsWanted
from intake.domain.validation import Validation
from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import OrderState, ProductOrder, Stage
from orderdesk_shared.order_state import OrderStatus


@dataclass(frozen=True)
class StoredOrder:
    order: ProductOrder
    status: OrderStatus
    created_at: datetime
    request_document: dict | None
    completed_on: date | None

    @property
    def state(self) -> OrderState:
        return self.status.state

    @property
    def stage(self) -> Stage:
        return self.status.stage

    @property
    def version(self) -> int:
        return self.status.version

    @property
    def findings(self) -> list[dict]:
        """What stops the order, as the desk is shown it."""
        return list(self.status.findings)


@dataclass(frozen=True)
class SubmittedOrder:
    """An order as its request made it, before intake validates it: the request as sent, what the channel or request
    says that OrderDesk could not use as given (an unreadable attachment, say), its source (channel, account and
    externalId; None without an externalId), which a new order claims, and the caller's Idempotency-Key."""

    order: ProductOrder
    request_document: dict | None = None
    channel_findings: Sequence[Finding] = ()
    source: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class NewOrder:
    """A submitted order as validated, ready to store, and what intake decided of it."""

    validation: Validation
    status: OrderStatus
    received_at: datetime
    idempotency_key: str | None
    request_document: dict | None
    # The source (channel, account, externalId) it is the first order of; None for an order without an externalId.
    source_id: str | None = None
    fingerprint: str | None = None
    duplicate_window_days: int = 90
    # What a valid order needs of the desk's records of its client (None for an order stopped at validation).
    accounts: AccountsWanted | None = None

    @property
    def order(self) -> ProductOrder:
        return self.validation.order

    @property
    def findings(self) -> list[Finding]:
        return self.validation.findings


@dataclass(frozen=True)
class Revision:
    """One line of an order's history: what was done to which version, by whom, with what findings."""

    order_id: str
    version: int
    action: str
    actor: str
    state: OrderState
    findings: Sequence[Finding | dict]


@dataclass(frozen=True)
class CancelAsked:
    """A cancel as asked: by whom, why, for which date, and the TMF622 request as sent (kept with the request)."""

    actor: str
    reason: str
    requested_date: datetime | None = None
    document: dict | None = None


@dataclass(frozen=True)
class CancelRequest:
    id: str
    order_id: str
    order_version: int
    reason: str
    requested_by: str
    requested_at: datetime
    requested_cancellation_date: datetime | None
    state: str
    effective_at: datetime | None
    outcome: str | None
    document: dict | None = None
