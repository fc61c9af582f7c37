"""What upstream systems publish on the raw intake topics, before intake makes canonical orders of it.

These are recorded outside OrderDesk (the CRM, the IVR platform); intake consumes them, and accepts
the same documents over HTTP.
"""

import email
import email.policy
import hashlib
import re
from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field, field_validator

from orderdesk_shared.events.base import Fact, WireModel
from orderdesk_shared.events.order import ItemAction, OrderType
from orderdesk_shared.limits import (
    CHARACTERISTICS,
    ID_CHARS,
    LIST_ENTRIES,
    NOTE_CHARS,
    ORDER_ITEMS,
    REQUEST_LIMITS,
)


class _Upstream(WireModel):
    """A part of a document an upstream system sends: bounded like any request, since intake takes it over HTTP too."""

    model_config = REQUEST_LIMITS


class _UpstreamFact(Fact):
    """A document an upstream system sends, bounded as its parts are."""

    model_config = REQUEST_LIMITS


class CrmAddress(_Upstream):
    street: str
    city: str
    state: str
    postal_code: str
    country: str = "US"


class CrmAccount(_Upstream):
    account_number: str | None = Field(default=None, max_length=ID_CHARS)
    name: str | None = None
    billing_address: CrmAddress | None = None
    tax_id: str | None = None


class CrmContact(_Upstream):
    name: str
    role: str = "primary"
    email: str | None = None
    phone: str | None = None


class CrmSplit(_Upstream):
    rep_id: str = Field(max_length=ID_CHARS)
    percent: Decimal = Field(ge=0, le=100)


class CrmSite(_Upstream):
    location_id: str | None = Field(default=None, max_length=ID_CHARS)
    address: CrmAddress | None = None


class CrmLineItem(_Upstream):
    line_id: str = Field(max_length=ID_CHARS)
    product_code: str
    action: ItemAction = ItemAction.ADD
    quantity: int = 1
    characteristics: dict[str, str | int | float | bool] = Field(default_factory=dict, max_length=CHARACTERISTICS)
    site: CrmSite | None = None
    monthly_price: Decimal | None = None
    one_time_price: Decimal | None = None
    discount_percent: Decimal | None = None
    term_months: int | None = None
    existing_product_id: str | None = Field(default=None, max_length=ID_CHARS)
    promotion_code: str | None = None
    # The other line of a move: the removal at the old site and the installation at the new one.
    moves_with_line_id: str | None = Field(default=None, max_length=ID_CHARS)


class CrmOpportunitySubmitted(_UpstreamFact):
    """A won opportunity the CRM sends for ordering; its id and version identify it (resends are one order)."""

    event_type: ClassVar[str] = "com.orderdesk.intake.crm-opportunity.v1"
    topic: ClassVar[str] = "intake.crm.v1"

    opportunity_id: str = Field(min_length=1, max_length=ID_CHARS)
    version: int = Field(ge=1)
    order_type: OrderType
    account: CrmAccount
    contacts: list[CrmContact] = Field(default_factory=list, max_length=LIST_ENTRIES)
    splits: list[CrmSplit] = Field(default_factory=list, max_length=LIST_ENTRIES)
    contract_id: str | None = Field(default=None, max_length=ID_CHARS)
    term_months: int | None = None
    signed_date: date | None = None
    non_standard_terms: str | None = Field(default=None, max_length=NOTE_CHARS)
    requested_completion_date: date | None = None
    line_items: list[CrmLineItem] = Field(min_length=1, max_length=ORDER_ITEMS)
    # The customer's contribution in aid of construction agreed on the opportunity.
    ciac: Decimal | None = Field(default=None, ge=0)
    # For a transfer: the account taking the services over.
    transfer_to: CrmAccount | None = None

    @property
    def subject(self) -> str:
        """`crm:<opportunityId>:v<version>`: one key per version of the opportunity."""
        return f"crm:{self.opportunity_id}:v{self.version}"


class CrmAccountUpdated(_UpstreamFact):
    """The CRM's account record as it now stands: a new client account, a changed one, or a closed one.

    The CRM owns accounts; intake checks orders against the latest record of each (the seed file until then).
    """

    event_type: ClassVar[str] = "com.orderdesk.intake.crm-account.v1"
    topic: ClassVar[str] = "intake.crm.v1"

    account_number: str = Field(pattern=r"^ACC-\d{5}$")
    legal_name: str = Field(min_length=1)
    billing_address: CrmAddress
    tax_id: str = Field(pattern=r"^\d{2}-\d{7}$")
    market: str = Field(pattern=r"^[A-Z]{3}$")
    status: Literal["active", "closed"]
    modified_at: AwareDatetime = Field(description="when the CRM last changed the record; an older record never wins")

    @property
    def subject(self) -> str:
        """`crm-account:<accountNumber>`: an account's records stay in the order the CRM wrote them."""
        return f"crm-account:{self.account_number}"


class IvrCallReceived(_UpstreamFact):
    """An order placed through the IVR by an existing customer: the menu path says what they asked for."""

    event_type: ClassVar[str] = "com.orderdesk.intake.ivr-call.v1"
    topic: ClassVar[str] = "intake.ivr.v1"

    call_id: str = Field(min_length=1, max_length=ID_CHARS)
    caller_number: str
    account_number: str = Field(min_length=1, max_length=ID_CHARS, description="keyed in by the caller (DTMF)")
    menu_path: list[str] = Field(
        min_length=1, max_length=LIST_ENTRIES, description="e.g. ['orders', 'disconnect']; the last step is the request"
    )
    product_code: str | None = Field(default=None, description="offering keyed in for an add")
    promotion_code: str | None = Field(default=None, description="a promotion code read out by the caller")
    existing_product_id: str | None = Field(default=None, description="product keyed in for a move or disconnect")
    requested_date: date | None = None
    transcript: str | None = Field(default=None, max_length=NOTE_CHARS)

    @property
    def subject(self) -> str:
        """`ivr:<callId>`."""
        return f"ivr:{self.call_id}"

    @field_validator("menu_path")
    @classmethod
    def _ends_in_a_request(cls, menu_path: list[str]) -> list[str]:
        if menu_path[-1] not in IVR_REQUESTS:
            raise ValueError(f"the last menu step must be one of {sorted(IVR_REQUESTS)}, not {menu_path[-1]!r}")
        return menu_path

    @property
    def order_type(self) -> OrderType:
        return IVR_REQUESTS[self.menu_path[-1]]


# The IVR's order menu, by the step that ends it; IVR orders are always for existing accounts.
IVR_REQUESTS: dict[str, OrderType] = {"add": OrderType.ADD, "move": OrderType.MOVE, "disconnect": OrderType.DISCONNECT}


class EmailReceived(Fact):
    """An order email as the mail gateway received it (the order form in the body or an attachment)."""

    event_type: ClassVar[str] = "com.orderdesk.intake.email.v1"
    topic: ClassVar[str] = "intake.email.v1"

    message: str = Field(min_length=1, description="the RFC 5322 message, attachments and all")

    @property
    def subject(self) -> str:
        """`email:<Message-ID>` (without its angle brackets; a digest of the message when it has none)."""
        return f"email:{email_message_id(self.message.encode())}"


def email_message_id(raw: bytes) -> str:
    """The Message-ID without its angle brackets, read from the raw header lines when the parser cannot;
    for a message without one, a digest of its bytes (so a resend of the same bytes is still recognised)."""
    text = None
    try:
        value = email.message_from_bytes(raw, policy=email.policy.default).get("Message-ID")
        text = str(value) if value is not None else None
    except Exception:
        header_block = re.split(rb"\r?\n\r?\n", raw[:65536], maxsplit=1)[0]
        match = re.search(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", header_block, re.IGNORECASE | re.MULTILINE)
        text = match[1].decode("ascii", "replace") if match else None
    if text and (bracketed := re.search(r"<([^<>]+)>", text)):
        text = bracketed[1]
    text = "".join(character for character in " ".join((text or "").split()) if character.isprintable()).strip("<> ")
    return text or f"sha256:{hashlib.sha256(raw).hexdigest()}"
