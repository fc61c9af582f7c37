"""A TMF622 request mapped to the canonical order, and what it says that OrderDesk cannot use as given."""

from decimal import Decimal

from intake.tmf622.request import (
    CURRENCY,
    CUSTOMER,
    NEW_OWNER,
    PROMOTION_CHARACTERISTIC,
    AgreementRef,
    ItemTerm,
    OrderPrice,
    Place,
    ProductOrderCreate,
    ProductOrderItem,
    ProductValue,
    RelatedParty,
    Scalar,
)
from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import (
    Account,
    Address,
    Agreement,
    Channel,
    Contact,
    ItemPrice,
    OrderItem,
    OrderType,
    ProductOrder,
    SalesRep,
    ServiceLocation,
)


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
