"""ProductOrder_Create as OrderDesk reads it: the request's models, what it takes beyond the published definition,
and the check against that definition (`spec_errors`)."""

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator

from intake.domain.order_type import derived_order_type
from orderdesk_shared.events.order import Channel, ItemAction, OrderType
from orderdesk_shared.limits import (
    CHARACTERISTICS,
    LIST_ENTRIES,
    ORDER_ITEMS,
    RELATED_PARTIES,
    REQUEST_LIMITS,
    Identifier,
    Note,
)
from orderdesk_shared.published_specs import TMF622, PublishedSpec

# The currency of OrderDesk's catalogue, rules and events: a price in another is not read as a number of dollars.
CURRENCY = "USD"
# What OrderDesk takes beyond the published ProductOrder_Create (each read back conformant, see to_resource).
LENIENCY = {
    "optional": frozenset(
        {
            "RelatedParty.id",
            "RelatedParty.@referredType",
            "RelatedChannel.id",
            "AgreementRef.id",
            "PriceAlteration.price",
        }
    ),
    "plain_dates": frozenset({"ProductOrder_Create.requestedCompletionDate"}),
}


def spec_errors(
    document: Any, definition: str = "ProductOrder_Create", *, json_text: bytes | None = None
) -> list[dict]:
    """Where a request breaks the published TMF622 definition, as a request validation error's entries (loc, msg):
    its types, enums, required properties and date-times, and values no JSON store takes (NaN, a NUL character).
    `json_text`: the JSON the document was read from, when there is one (checked faster from it)."""
    errors = PublishedSpec.named(TMF622).strict_errors(definition, document, json_text=json_text, **LENIENCY)
    return [{"loc": error.path, "msg": error.reason, "type": "value_error"} for error in errors]


def json_number(value: Decimal) -> int | float:
    """A JSON number, as the spec types money and percentages (never a string)."""
    return int(value) if value == value.to_integral_value() else float(value)


Number = Annotated[Decimal, PlainSerializer(json_number, when_used="json")]


class _TmfModel(BaseModel):
    # What OrderDesk does not read is kept (and dumped) as sent: the order reads back what the client gave.
    model_config = ConfigDict(extra="allow", populate_by_name=True, **REQUEST_LIMITS)


class Money(_TmfModel):
    unit: str = CURRENCY
    value: Number | None = None


class Price(_TmfModel):
    dutyFreeAmount: Money | None = None
    percentage: Number | None = None


class PriceAlteration(_TmfModel):
    priceType: str | None = None
    name: str | None = Field(default=None, max_length=100)
    productOfferingPrice: "Ref | None" = None
    price: Price | None = None

    @property
    def promotion_code(self) -> str | None:
        if (self.priceType or "").casefold() != PROMOTION:
            return None
        return self.name or (self.productOfferingPrice.id if self.productOfferingPrice else None)


class OrderPrice(_TmfModel):
    priceType: str | None = None
    price: Price | None = None
    priceAlteration: list[PriceAlteration] = Field(default_factory=list, max_length=LIST_ENTRIES)

    @property
    def amount(self) -> Decimal | None:
        return self.price.dutyFreeAmount.value if self.price and self.price.dutyFreeAmount else None

    @property
    def currency(self) -> str | None:
        return self.price.dutyFreeAmount.unit.upper() if self.price and self.price.dutyFreeAmount else None


class TotalPrice(OrderPrice):
    """An orderTotalPrice entry: the order-level charges and credits, such as the customer's CIAC."""

    name: str | None = None

    @property
    def is_ciac(self) -> bool:
        return CIAC in {(self.name or "").casefold(), (self.priceType or "").casefold()}


Scalar = str | int | float | bool


class Characteristic(_TmfModel):
    name: str
    # TMF622 v4.0.0 leaves a characteristic's value untyped; OrderDesk reads the scalar ones.
    value: Any = None


class Place(_TmfModel):
    """A RelatedPlaceRefOrValue: a known location id, or a GeographicAddress value."""

    id: str | None = None
    role: str | None = None
    streetNr: str | None = None
    streetName: str | None = None
    city: str | None = None
    stateOrProvince: str | None = None
    postcode: str | None = None
    country: str = "US"


class ProductValue(_TmfModel):
    id: Identifier | None = None
    productCharacteristic: list[Characteristic] = Field(default_factory=list, max_length=CHARACTERISTICS)
    place: list[Place] = Field(default_factory=list, max_length=LIST_ENTRIES)


class Ref(_TmfModel):
    id: Identifier
    name: str | None = None


class Duration(_TmfModel):
    amount: Number | None = None
    units: str = "month"


class ItemTerm(_TmfModel):
    duration: Duration | None = None


class ItemRelationship(_TmfModel):
    id: Identifier | None = None
    relationshipType: str | None = None


class ProductOrderItem(_TmfModel):
    id: Identifier
    action: ItemAction = ItemAction.ADD
    quantity: int = 1
    # Optional as in TMF622: a change or disconnect may name only the customer's product.
    productOffering: Ref | None = None
    product: ProductValue | None = None
    itemTerm: list[ItemTerm] = Field(default_factory=list, max_length=LIST_ENTRIES)
    itemPrice: list[OrderPrice] = Field(default_factory=list, max_length=LIST_ENTRIES)
    productOrderItemRelationship: list[ItemRelationship] = Field(default_factory=list, max_length=LIST_ENTRIES)


class RelatedParty(_TmfModel):
    id: Identifier | None = None
    name: str | None = None
    role: str | None = None
    splitPercent: Number | None = None
    email: str | None = None
    phone: str | None = None
    billingAddress: Place | None = None
    taxId: str | None = None

    def plays(self, *roles: str) -> bool:
        """Whether the party has one of the roles; a party without a role plays the kind its `@referredType`
        names (the spec's own example gives its customer only as `@referredType: Customer`)."""
        kind = self.role if self.role is not None else (self.model_extra or {}).get("@referredType")
        return isinstance(kind, str) and kind.casefold() in roles


class AgreementRef(_TmfModel):
    id: Identifier | None = None
    name: str | None = None
    termMonths: int | None = None
    signedDate: date | None = None
    nonStandardTerms: Note | None = None


class ChannelRef(_TmfModel):
    id: str | None = None
    name: str | None = None

    @property
    def channel(self) -> Channel:
        """A channel OrderDesk knows by name; any other (a partner's portal, say) is the API."""
        name = (self.name or self.id or "").casefold()
        return Channel(name) if name in set(Channel) else Channel.API


class ProductOrderCreate(_TmfModel):
    """ProductOrder_Create: what a client POSTs."""

    externalId: Identifier | None = None
    category: str = "enterprise"
    # OrderDesk's extension, optional: derived from the items when absent (see order_type).
    orderType: Any = None
    requestedCompletionDate: datetime | None = None
    channel: list[ChannelRef] = Field(default_factory=list, max_length=LIST_ENTRIES)
    relatedParty: list[RelatedParty] = Field(default_factory=list, max_length=RELATED_PARTIES)
    agreement: list[AgreementRef] = Field(default_factory=list, max_length=LIST_ENTRIES)
    orderTotalPrice: list[TotalPrice] = Field(default_factory=list, max_length=LIST_ENTRIES)
    productOrderItem: list[ProductOrderItem] = Field(min_length=1, max_length=ORDER_ITEMS)

    @field_validator("requestedCompletionDate", mode="before")
    @classmethod
    def _a_day_is_its_midnight(cls, value: Any) -> Any:
        """A plain date (as channels and older clients send it) is that day, at midnight UTC."""
        if isinstance(value, str) and "T" not in value.upper():
            return datetime.combine(date.fromisoformat(value), time(), UTC)
        return value

    @property
    def names_known_order_type(self) -> bool:
        return isinstance(self.orderType, str) and self.orderType in set(OrderType)

    def party(self, *roles: str) -> RelatedParty | None:
        return next((party for party in self.relatedParty if party.plays(*roles)), None)

    @property
    def order_type(self) -> OrderType:
        """The order type named, when OrderDesk knows it; else derived from the items' actions and the parties."""
        if self.names_known_order_type:
            return OrderType(self.orderType)
        customer = self.party(*CUSTOMER)
        return derived_order_type(
            (item.action for item in self.productOrderItem),
            existing_account=bool(customer and customer.id),
            new_owner=self.party(NEW_OWNER) is not None,
        )


PROMOTION = "promotion"
PROMOTION_CHARACTERISTIC = "promotionCode"
CIAC = "ciac"
CUSTOMER = ("customer", "account")
NEW_OWNER = "newowner"
