"""The canonical order: TMF622-shaped, the same whatever channel it came from (DOMAIN.md, Order model)."""

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from orderdesk_shared.events.base import WireModel


class Channel(StrEnum):
    CRM = "crm"
    EMAIL = "email"
    IVR = "ivr"
    API = "api"


class OrderType(StrEnum):
    NEW = "new"
    ADD = "add"
    CHANGE = "change"
    RENEWAL = "renewal"
    MOVE = "move"
    TRANSFER = "transfer"
    DISCONNECT = "disconnect"


class ItemAction(StrEnum):
    ADD = "add"
    MODIFY = "modify"
    DELETE = "delete"
    NO_CHANGE = "noChange"


class OrderState(StrEnum):
    """TMF622 order (and item) states."""

    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    COMPLETED = "completed"
    REJECTED = "rejected"
    PENDING = "pending"
    HELD = "held"
    CANCELLED = "cancelled"
    FAILED = "failed"
    # Some items completed, the others cancelled (an order state only).
    PARTIAL = "partial"
    # A cancel was asked after the hand-off: OrderDesk is asking Operations to stop the work.
    ASSESSING_CANCELLATION = "assessingCancellation"
    # Operations has the cancel and is stopping the work.
    PENDING_CANCELLATION = "pendingCancellation"


class Stage(StrEnum):
    """How far the order has come, tracked beside its TMF state; declared in flow order."""

    RECEIVED = "received"
    VALIDATED = "validated"
    QUALIFIED = "qualified"
    PRICED = "priced"
    APPROVED = "approved"
    HANDED_OFF = "handed-off"
    RATIFIED = "ratified"

    @property
    def rank(self) -> int:
        return _STAGE_RANKS[self]


# Each stage's place in the flow, looked up for every fact folded (listing the enum each time showed in profiles).
_STAGE_RANKS = {stage: rank for rank, stage in enumerate(Stage)}


class Address(WireModel):
    street: str
    city: str
    state_or_province: str
    postcode: str
    country: str = "US"


class Account(WireModel):
    """An existing account by id, or a new client with its legal details."""

    id: str | None = None
    legal_name: str | None = None
    billing_address: Address | None = None
    tax_id: str | None = None

    @property
    def key(self) -> str:
        """Who the account is: its id, or for a new client its tax id (else its legal name)."""
        if self.id:
            return self.id
        if self.tax_id:
            return f"new:{self.tax_id}"
        return f"new:{' '.join((self.legal_name or '').upper().split())}"


class Contact(WireModel):
    name: str
    role: str = "primary"
    email: str | None = None
    phone: str | None = None


class SalesRep(WireModel):
    rep_id: str
    split_percent: Decimal = Field(default=Decimal(100), ge=0, le=100)


class Agreement(WireModel):
    contract_id: str | None = None
    term_months: int | None = None
    signed_date: date | None = None
    non_standard_terms: str | None = None
    # The customer's contribution in aid of construction (CIAC), which lowers the capital a build needs.
    ciac: Decimal = Field(default=Decimal(0), ge=0)
    # The customer contact who signed (when OrderDesk's proposal was accepted; else as the channel said).
    signed_by: str | None = None


class ServiceLocation(WireModel):
    location_id: str | None = None
    address: Address | None = None


class ItemPrice(WireModel):
    """Recurring (MRC) and one-time (NRC) charges, as net amounts and/or a discount percent."""

    mrc: Decimal | None = None
    nrc: Decimal | None = None
    mrc_discount_percent: Decimal | None = None


class OrderItem(WireModel):
    id: str
    action: ItemAction = ItemAction.ADD
    product_offering_id: str
    quantity: int = 1
    characteristics: dict[str, str | int | float | bool] = Field(default_factory=dict)
    location: ServiceLocation | None = None
    item_term_months: int | None = None
    price: ItemPrice | None = None
    promotion_code: str | None = None
    existing_product_id: str | None = None
    # The other half of a move: the removal at the old site and the installation at the new one name each other.
    linked_item_id: str | None = None


class ServiceAccount(WireModel):
    """The account the client's services at one site are provisioned under: one per client and site, kept for the
    client's later orders."""

    number: str
    site: Address
    # The order's items at the site.
    item_ids: list[str] = Field(default_factory=list)


class BillingAccount(WireModel):
    """The account a billing system bills the client on: one per client and billing system (CSG or ICOMS, by the
    markets of the client's sites), its number in that system's format (orderdesk_shared.billing_accounts)."""

    number: str
    billing_system: str


class ClientAccounts(WireModel):
    """The desk's records of the order's client, opened or matched when intake validated the order: the client, a
    service account per site of the order and a billing account per billing system its sites bill on."""

    client_id: str
    legal_name: str
    tax_id: str | None = None
    service_accounts: list[ServiceAccount] = Field(default_factory=list)
    billing_accounts: list[BillingAccount] = Field(default_factory=list)

    def billing_account_in(self, billing_system: str) -> str | None:
        return next(
            (account.number for account in self.billing_accounts if account.billing_system == billing_system), None
        )


class ProductOrder(WireModel):
    id: str
    external_id: str | None = None
    channel: Channel
    category: str = "enterprise"
    order_type: OrderType
    account: Account
    contacts: list[Contact] = Field(default_factory=list)
    sales_reps: list[SalesRep] = Field(default_factory=list)
    submitted_by: str | None = None
    requested_completion_date: date | None = None
    agreement: Agreement | None = None
    items: list[OrderItem]
    # The account a transfer moves the services to (the order's account gives them up).
    transfer_to: Account | None = None
    # Set by intake once the order is valid: the client's accounts, which Fulfillment enters into the billing systems.
    accounts: ClientAccounts | None = None
