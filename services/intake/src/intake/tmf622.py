"""The TMF622 ProductOrder resource: request/response shapes and their mapping to the canonical order.

The public shape is TMF622 v4.0.0 as published (docs/standards). A request is first checked against the
specification's own ProductOrder_Create (`spec_errors`): what it defines must have its type. OrderDesk takes a
party named only by its role (a new client has no id yet), a channel named only by its name, an agreement named
only by its term, a price alteration (a promotion) named without a price, and a plain date as
`requestedCompletionDate`; each reads back as the spec requires it.
Everything else the client sends (description, note, priority, billingAccount, payment, an item's appointment or
qualification, `@type`/`@baseType`/`@schemaLocation`, extensions) is kept as sent and read back.

What OrderDesk needs beyond the specification is derived or becomes a finding on the stored order (pending or
rejected, with field paths and fixes), never a refusal:

- the order type (OrderDesk's extension `orderType`, optional): derived from the items' actions and the parties
  when absent (domain/order_type.py); a value OrderDesk does not know is an INVALID_VALUE finding;
- the channel: a `channel` named crm, email, ivr or api is that channel, any other name is the API channel
  (the name stays on the order as sent);
- the customer: the related party of role `customer` (or `account`), or without a role and of `@referredType`
  `Customer`; an order without one stops with the entry matrix's finding (account.id, or account.legalName for a
  new client), as does every other missing field the order type needs.
- an item term that is not whole months, or a price in another currency than USD: an INVALID_VALUE finding.

OrderDesk extensions, allowed by TMF's polymorphism, are `orderType` on the order, and `splitPercent`, `email`,
`phone`, `billingAddress` and `taxId` on a related party. Where the spec has a place for a fact, it is taken from
there:

- a promotion code: an item price's `priceAlteration` of `priceType` "promotion" (its `name`, or its
  `productOfferingPrice.id`), or a product characteristic `promotionCode`;
- the customer's contribution in aid of construction: an `orderTotalPrice` named (or of `priceType`) "CIAC";
- a transfer's new owner: the related party of role `newOwner`;
- a move's two items: `productOrderItemRelationship` between the removal and the installation.
"""

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator

from intake.domain.order_type import derived_order_type
from orderdesk_shared.db import json_text
from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import (
    Account,
    Address,
    Agreement,
    Channel,
    Contact,
    ItemAction,
    ItemPrice,
    OrderItem,
    OrderState,
    OrderType,
    ProductOrder,
    SalesRep,
    ServiceLocation,
)
from orderdesk_shared.limits import (
    CHARACTERISTICS,
    LIST_ENTRIES,
    ORDER_ITEMS,
    RELATED_PARTIES,
    REQUEST_LIMITS,
    Identifier,
    Note,
)
from orderdesk_shared.order_state import OrderStatus
from orderdesk_shared.published_specs import TMF622, PublishedSpec

if TYPE_CHECKING:
    from intake.repository import CancelRequest

API_ROOT = "/tmf-api/productOrderingManagement/v4"
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


def _number(value: Decimal) -> int | float:
    """A JSON number, as the spec types money and percentages (never a string)."""
    return int(value) if value == value.to_integral_value() else float(value)


Number = Annotated[Decimal, PlainSerializer(_number, when_used="json")]


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


def request_findings(request: ProductOrderCreate) -> list[Finding]:
    """What the request says that OrderDesk cannot use as given: findings on the stored order, not a refusal."""
    findings = []
    if request.orderType is not None and not request.names_known_order_type:
        findings.append(
            Finding(
                reason_code="INVALID_VALUE",
                field_path="orderType",
                message=f"orderType {request.orderType!r} is not an order type OrderDesk knows; taken as"
                f" {request.order_type} from the items",
                fix=f"Leave orderType out, or use one of {', '.join(OrderType)}.",
            )
        )
    findings += [
        Finding(
            reason_code="INVALID_VALUE",
            field_path=f"items[{index}].itemTermMonths",
            message=f"item {item.id}'s term is not a whole number of months",
            fix="Give the item's term (itemTerm.duration) in whole months.",
        )
        for index, item in enumerate(request.productOrderItem)
        if item.itemTerm and _term_months(item.itemTerm[0]) is None
    ]
    findings += [
        Finding(
            reason_code="INVALID_VALUE",
            field_path=f"items[{index}].price",
            message=f"item {item.id} is priced in {currency}; OrderDesk prices in {CURRENCY}",
            fix=f"Give the item's prices in {CURRENCY}.",
        )
        for index, item in enumerate(request.productOrderItem)
        for currency in sorted({price.currency for price in item.itemPrice if price.currency} - {CURRENCY})
    ]
    return findings


def to_canonical(request: ProductOrderCreate, *, order_id: str, submitted_by: str | None) -> ProductOrder:
    """Map a TMF622 create request to the canonical order."""
    parties = request.relatedParty
    customer = request.party(*CUSTOMER)
    new_owner = request.party(NEW_OWNER)
    agreement = request.agreement[0] if request.agreement else AgreementRef()
    ciac = sum((total.amount for total in request.orderTotalPrice if total.is_ciac and total.amount), Decimal(0))
    return ProductOrder(
        id=order_id,
        external_id=request.externalId,
        channel=request.channel[0].channel if request.channel else Channel.API,
        category=request.category,
        order_type=request.order_type,
        account=_account(customer) if customer else Account(),
        transfer_to=_account(new_owner) if new_owner else None,
        contacts=[
            Contact(name=p.name or p.id or "", role="primary", email=p.email, phone=p.phone)
            for p in parties
            if p.plays("contact")
        ],
        sales_reps=[
            SalesRep(
                rep_id=p.id or p.name or "",
                split_percent=p.splitPercent if p.splitPercent is not None else Decimal(100),
            )
            for p in parties
            if p.plays("salesrep")
        ],
        submitted_by=submitted_by,
        requested_completion_date=request.requestedCompletionDate.date() if request.requestedCompletionDate else None,
        agreement=Agreement(
            contract_id=agreement.id,
            term_months=agreement.termMonths,
            signed_date=agreement.signedDate,
            non_standard_terms=agreement.nonStandardTerms,
            ciac=ciac,
        )
        if agreement or ciac
        else None,
        items=[_item(item) for item in request.productOrderItem],
    )


def _account(party: RelatedParty) -> Account:
    return Account(
        id=party.id,
        legal_name=party.name,
        billing_address=_address(party.billingAddress) if party.billingAddress else None,
        tax_id=party.taxId,
    )


def _term_months(term: ItemTerm) -> int | None:
    amount = term.duration.amount if term.duration else None
    return int(amount) if amount is not None and amount > 0 and amount == amount.to_integral_value() else None


def _item(item: ProductOrderItem) -> OrderItem:
    product = item.product or ProductValue()
    place = product.place[0] if product.place else None
    characteristics = {c.name: c.value for c in product.productCharacteristic if isinstance(c.value, Scalar)}
    promotion = characteristics.pop(PROMOTION_CHARACTERISTIC, None)
    promoted = (
        code for price in item.itemPrice for alteration in price.priceAlteration if (code := alteration.promotion_code)
    )
    promotion = next(promoted, promotion)
    relationship = next((r for r in item.productOrderItemRelationship if r.id), None)
    return OrderItem(
        id=item.id,
        action=item.action,
        product_offering_id=item.productOffering.id if item.productOffering else "",
        quantity=item.quantity,
        characteristics=characteristics,
        location=_location(place) if place else None,
        item_term_months=_term_months(item.itemTerm[0]) if item.itemTerm else None,
        price=_price(item.itemPrice) if item.itemPrice else None,
        promotion_code=str(promotion) if promotion is not None else None,
        existing_product_id=product.id,
        linked_item_id=relationship.id if relationship else None,
    )


def _location(place: Place) -> ServiceLocation:
    return ServiceLocation(location_id=place.id, address=_address(place))


def _address(place: Place) -> Address | None:
    if not (place.streetName and place.city):
        return None
    return Address(
        street=" ".join(part for part in (place.streetNr, place.streetName) if part),
        city=place.city,
        state_or_province=place.stateOrProvince or "",
        postcode=place.postcode or "",
        country=place.country,
    )


def _price(prices: list[OrderPrice]) -> ItemPrice:
    recurring = next((p for p in prices if p.priceType == "recurring"), None)
    one_time = next((p for p in prices if p.priceType != "recurring"), None)
    discount = next(
        (
            a.price.percentage
            for a in (recurring.priceAlteration if recurring else [])
            if a.promotion_code is None and a.price and a.price.percentage is not None
        ),
        None,
    )
    return ItemPrice(
        mrc=recurring.amount if recurring else None,
        nrc=one_time.amount if one_time else None,
        mrc_discount_percent=discount,
    )


# --- the resource ---------------------------------------------------------------------------------------------

# A party's kind when the client did not say (RelatedParty requires @referredType): the accounts are customers.
_REFERRED_TYPE = {"customer": "Customer", "account": "Customer", "newowner": "Customer"}
ITEMS = "productOrderItem"
# Set by the server alone (ProductOrder has them, ProductOrder_Create not): never read back from what was sent.
_SERVER_SET = ("id", "href", "state", "orderDate", "completionDate", "expectedCompletionDate")


def to_resource(
    order: ProductOrder,
    status: OrderStatus,
    *,
    order_date: datetime,
    completed_on: date | None,
    document: Mapping | None = None,
) -> dict:
    """The TMF622 ProductOrder of a stored order: what the client sent, read back as sent, completed by what
    OrderDesk knows of the order (its installed-base products, derived order type), with its state, each item's
    state and the stage beside them. Conformant to the spec's ProductOrder: what it requires is always there."""
    # A copy to complete: the document is JSON, which a round trip through its text (orjson's) copies far faster than
    # deepcopy.
    sent = orjson.loads(json_text({key: value for key, value in (document or {}).items() if key not in _SERVER_SET}))
    resource = _filled(sent, _known(order))
    resource |= {
        "id": order.id,
        "href": f"{API_ROOT}/productOrder/{order.id}",
        "@type": sent.get("@type") or "ProductOrder",
        "orderType": order.order_type,
        "state": status.state,
        "stage": status.stage,
        "orderDate": order_date.isoformat(),
        "findings": list(status.findings),
    }
    if order.requested_completion_date:
        resource["requestedCompletionDate"] = _date_time(sent.get("requestedCompletionDate"), order)
    if completed_on and status.state in (OrderState.COMPLETED, OrderState.PARTIAL):
        resource["completionDate"] = datetime.combine(completed_on, time(), UTC).isoformat()
    for item in resource["productOrderItem"]:
        item["state"] = status.item_state(item["id"])
    for channel in resource.get("channel", []):
        channel.setdefault("id", str(order.channel))
    for party in resource.get("relatedParty", []):
        # OrderDesk holds no id for a party named only by its role (a new client before its account is opened).
        party.setdefault("id", "")
        party.setdefault("@referredType", _REFERRED_TYPE.get((party.get("role") or "").casefold(), "Individual"))
    for agreement in resource.get("agreement", []):
        agreement.setdefault("id", "")
    for item in resource["productOrderItem"]:
        for price in item.get("itemPrice", []):
            for alteration in price.get("priceAlteration", []):
                alteration.setdefault("price", {})  # a promotion named by its code alone
    return resource


def _date_time(sent: Any, order: ProductOrder) -> str:
    """The requested completion as sent when it was a date-time; a day (as channels give it) is its midnight UTC."""
    if isinstance(sent, str) and "T" in sent.upper():
        return sent
    return datetime.combine(order.requested_completion_date, time(), UTC).isoformat()


def _filled(sent: Any, known: Any) -> Any:
    """What was sent, completed by what OrderDesk knows: objects field by field, the items by id; anything else
    (a list of parties, of prices, a value) as sent."""
    if not (isinstance(sent, Mapping) and isinstance(known, Mapping)):
        return known if sent is None or (sent == "" and known is not None) else sent
    filled = {key: _filled(value, known.get(key)) for key, value in sent.items()}
    if isinstance(sent.get(ITEMS), list) and isinstance(known.get(ITEMS), list):
        by_id = {item["id"]: item for item in known[ITEMS]}
        filled[ITEMS] = [_filled(item, by_id.get(item.get("id"))) for item in sent[ITEMS]]
    return {**known, **filled}


def _known(order: ProductOrder) -> dict:
    """The order as OrderDesk holds it, in TMF622 terms (the whole resource of an order sent without a document)."""
    known: dict = {
        "category": order.category,
        "channel": [{"id": str(order.channel), "name": str(order.channel)}],
        "relatedParty": _parties(order),
        "productOrderItem": [_item_resource(item) for item in order.items],
    }
    if order.external_id:
        known["externalId"] = order.external_id
    if order.agreement and order.agreement.contract_id:
        known["agreement"] = [{"id": order.agreement.contract_id, "@referredType": "Agreement"}]
    if order.agreement and order.agreement.ciac:
        known["orderTotalPrice"] = [
            {"name": "CIAC", "priceType": CIAC, "price": {"dutyFreeAmount": _money(order.agreement.ciac)}}
        ]
    return known


def _item_resource(item: OrderItem) -> dict:
    resource: dict = {"id": item.id, "action": item.action, "quantity": item.quantity, "@type": "ProductOrderItem"}
    if item.product_offering_id:
        resource["productOffering"] = {"id": item.product_offering_id}
    product: dict = {}
    if item.existing_product_id:
        product["id"] = item.existing_product_id
    if item.characteristics:
        product["productCharacteristic"] = [{"name": n, "value": v} for n, v in item.characteristics.items()]
    if item.location:
        product["place"] = [_place(item.location)]
    if product:
        resource["product"] = product
    if prices := _item_prices(item):
        resource["itemPrice"] = prices
    if item.item_term_months:
        resource["itemTerm"] = [{"duration": {"amount": item.item_term_months, "units": "month"}}]
    if item.linked_item_id:
        resource["productOrderItemRelationship"] = [{"id": item.linked_item_id, "relationshipType": "movedWith"}]
    return resource


def _item_prices(item: OrderItem) -> list[dict]:
    price = item.price or ItemPrice()
    alterations = []
    if price.mrc_discount_percent is not None:
        alterations.append({"priceType": "discount", "price": {"percentage": _number(price.mrc_discount_percent)}})
    if item.promotion_code:
        alterations.append({"priceType": PROMOTION, "name": item.promotion_code, "price": {}})
    prices = []
    if price.mrc is not None or alterations:
        recurring: dict = {"priceType": "recurring", "price": {}}
        if price.mrc is not None:
            recurring["price"]["dutyFreeAmount"] = _money(price.mrc)
        if alterations:
            recurring["priceAlteration"] = alterations
        prices.append(recurring)
    if price.nrc is not None:
        prices.append({"priceType": "nonRecurring", "price": {"dutyFreeAmount": _money(price.nrc)}})
    return prices


def _place(location: ServiceLocation) -> dict:
    place: dict = {"role": "serviceLocation"}
    if location.location_id:
        place["id"] = location.location_id
    if address := location.address:
        place |= {
            "streetName": address.street,
            "city": address.city,
            "stateOrProvince": address.state_or_province,
            "postcode": address.postcode,
            "country": address.country,
        }
    return place


def _money(amount: Decimal) -> dict:
    return {"unit": CURRENCY, "value": _number(amount)}


def _parties(order: ProductOrder) -> list[dict]:
    parties: list[dict] = []
    if order.account.id or order.account.legal_name:
        parties.append(_without_none({"id": order.account.id, "name": order.account.legal_name, "role": "customer"}))
    if order.transfer_to:
        parties.append(
            _without_none({"id": order.transfer_to.id, "name": order.transfer_to.legal_name, "role": "newOwner"})
        )
    parties.extend(
        {"id": rep.rep_id, "role": "salesRep", "splitPercent": _number(rep.split_percent)} for rep in order.sales_reps
    )
    parties.extend(
        _without_none({"name": contact.name, "role": "contact", "email": contact.email, "phone": contact.phone})
        for contact in order.contacts
    )
    return parties


def _without_none(values: dict) -> dict:
    return {key: value for key, value in values.items() if value is not None}


# What the server sets on a CancelProductOrder: never read back from what was sent.
_CANCEL_SERVER_SET = ("id", "href", "state", "effectiveCancellationDate")


def cancel_resource(request: "CancelRequest") -> dict:
    """The TMF622 CancelProductOrder: the request as sent (its @type, extensions), with where it stands."""
    sent = {key: value for key, value in (request.document or {}).items() if key not in _CANCEL_SERVER_SET}
    resource = sent | {
        "id": request.id,
        "href": f"{API_ROOT}/cancelProductOrder/{request.id}",
        "@type": sent.get("@type") or "CancelProductOrder",
        "state": request.state,
        "productOrder": (sent.get("productOrder") or {})
        | {"id": request.order_id, "href": f"{API_ROOT}/productOrder/{request.order_id}"},
    }
    resource["productOrder"].setdefault("@referredType", "ProductOrder")
    if request.reason:
        resource["cancellationReason"] = request.reason
    if request.requested_cancellation_date and "requestedCancellationDate" not in sent:
        resource["requestedCancellationDate"] = request.requested_cancellation_date.isoformat()
    if request.effective_at and request.state == "done":
        resource["effectiveCancellationDate"] = request.effective_at.isoformat()
    if request.outcome:
        resource["outcome"] = request.outcome
    return resource
