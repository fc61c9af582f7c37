"""Realistic, varied TMF622 order requests for the demo, the benchmark and the tests.

Accounts, reps and offerings come from intake's seed reference data, so generated orders are the
kind intake accepts; `invalid_share` of them carry commission splits that do not add up to 100.
Prices come from pricing-approval's catalogue, with at most the discount a rep may give without an
approver and the catalogue's one-time charge, so every valid generated order is approved at once and
flows through to ratification.
"""

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from intake.reference import Offering, ReferenceData, load_reference_data
from orderdesk_shared.events.order import Account, Channel, OrderItem, OrderType, ProductOrder
from pricing_approval.catalogue import Catalogue, load_catalogue
from pricing_approval.domain.money import percent_off
from pricing_approval.domain.pricing import quote_order

# Discounts on the catalogue price a rep gives without an approver (the approval matrix starts above 10%).
DISCOUNTS = (0, 0, 0, 3, 5, 5, 8)
# Orders stay below the total contract value that asks finance to approve ($250,000).
TCV_BUDGET = Decimal(240_000)
COMPANIES = (
    "Acme Fabrication", "Lakeshore Dental Group", "Prairie Logistics", "Northwind Foods", "Blue Heron Hotels",
    "Summit Legal Partners", "Riverbend Health", "Copperline Credit Union", "Harbor Freight Brokers",
    "Granite State Schools", "Maple Ridge Manufacturing", "Pioneer Title", "Oakview Senior Living",
)  # fmt: skip
MARKETS = (
    ("Chicago", "IL", "606", "312"), ("Milwaukee", "WI", "532", "414"), ("Indianapolis", "IN", "462", "317"),
    ("Columbus", "OH", "432", "614"), ("Detroit", "MI", "482", "313"), ("Minneapolis", "MN", "554", "612"),
)  # fmt: skip
STREETS = ("W Madison St", "N Water St", "S Meridian St", "E Broad St", "Woodward Ave", "Nicollet Mall", "Commerce Dr")
ORDER_TYPES = ("new", "new", "new", "add", "add", "change", "renewal", "move", "transfer", "disconnect")
CHANNELS = ("crm", "crm", "email", "ivr", "api")


@dataclass(frozen=True)
class GeneratedOrder:
    body: dict
    submitted_by: str
    expect_rejection: bool


@cache
def _reference() -> ReferenceData:
    return load_reference_data()


@cache
def _catalogue() -> Catalogue:
    return load_catalogue()


@dataclass(frozen=True)
class _CataloguePrice:
    """One unit of an offering as the catalogue prices it: MRC after the term discount, NRC, and whether ICB."""

    mrc: Decimal
    nrc: Decimal
    icb: bool

    def contract_value(self, term: int) -> Decimal:
        return self.mrc * term + self.nrc


@cache
def _catalogue_price(offering_id: str, characteristic: str, value: str | int, term: int) -> _CataloguePrice:
    order = ProductOrder(
        id="PRICE-CHECK",
        channel=Channel.API,
        order_type=OrderType.NEW,
        account=Account(),
        items=[
            OrderItem(
                id="1", product_offering_id=offering_id, characteristics={characteristic: value}, item_term_months=term
            )
        ],
    )
    [line] = quote_order(order, catalogue=_catalogue(), order_date=date.today()).lines
    return _CataloguePrice(mrc=line.list_mrc, nrc=line.promoted_nrc, icb=bool(line.icb_reasons))


def generate_orders(count: int, *, seed: int = 7, invalid_share: float = 0.05) -> list[GeneratedOrder]:
    """`count` varied orders of every type; about `invalid_share` of them have splits that do not add to 100."""
    rng = random.Random(seed)
    return [_Order(rng, _reference()).build(n, invalid=rng.random() < invalid_share) for n in range(count)]


class _Order:
    def __init__(self, rng: random.Random, reference: ReferenceData) -> None:
        self.rng = rng
        self.offerings = [offering for offering in reference.offerings.values() if offering.active]
        self.accounts = sorted(account.id for account in reference.accounts.values() if account.active)
        self.reps = sorted(rep.id for rep in reference.reps.values() if rep.active_to is None)

    def build(self, n: int, *, invalid: bool) -> GeneratedOrder:
        rng = self.rng
        order_type = rng.choice(ORDER_TYPES)
        reps = rng.sample(self.reps, k=rng.choice((1, 1, 1, 2)))
        splits = [100] if len(reps) == 1 else [60, 40]
        if invalid:
            splits = [split - 10 for split in splits]
        term = rng.choice((12, 24, 36, 36, 60))
        body = {
            "externalId": f"OPP-{n:06d}-{rng.randint(100, 999)}",
            "orderType": order_type,
            "channel": [{"name": rng.choice(CHANNELS)}],
            "relatedParty": [
                self._customer(order_type),
                self._contact(),
                *(
                    {"role": "salesRep", "id": rep, "splitPercent": split}
                    for rep, split in zip(reps, splits, strict=True)
                ),
            ],
            "agreement": [{"id": f"MSA-{rng.randint(1000, 9999)}", "termMonths": term, "signedDate": "2026-11-02"}],
            "requestedCompletionDate": "2027-01-15",
            "productOrderItem": self._items(order_type, term),
        }
        return GeneratedOrder(body=body, submitted_by=reps[0], expect_rejection=invalid)

    def _customer(self, order_type: str) -> dict:
        rng = self.rng
        if order_type == "new":
            city, state, zip_prefix, _ = rng.choice(MARKETS)
            return {
                "role": "customer",
                "name": f"{rng.choice(COMPANIES)} LLC",
                "taxId": f"{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}",
                "billingAddress": self._place(city, state, zip_prefix),
            }
        customer = {"role": "customer", "id": rng.choice(self.accounts)}
        if order_type == "transfer":
            customer["name"] = f"{rng.choice(COMPANIES)} Holdings Inc"  # the new owner
        return customer

    def _contact(self) -> dict:
        rng = self.rng
        *_, area_code = rng.choice(MARKETS)
        return {
            "role": "contact",
            "name": "Order Desk Contact",
            "email": f"it-{rng.randint(1, 999)}@{rng.choice(COMPANIES).split()[0].lower()}.example.com",
            "phone": f"+1 {area_code} {rng.randint(200, 989)} {rng.randint(1000, 9999)}",
        }

    def _items(self, order_type: str, term: int) -> list[dict]:
        rng = self.rng
        if order_type == "move":
            offering = rng.choice(self.offerings)
            existing = f"PRD-{rng.randint(100000, 999999)}"
            removed, _ = self._item("1", "delete", offering, term, budget=TCV_BUDGET, existing=existing)
            added, _ = self._item("2", "add", offering, term, budget=TCV_BUDGET)
            return [removed, added]
        action = {"new": "add", "add": "add", "disconnect": "delete"}.get(order_type, "modify")
        items, budget = [], TCV_BUDGET
        for offering in (rng.choice(self.offerings) for _ in range(rng.choice((1, 1, 2, 3)))):
            existing = None if action == "add" else f"PRD-{rng.randint(100000, 999999)}"
            item, contract_value = self._item(
                str(len(items) + 1), action, offering, term, budget=budget, existing=existing
            )
            if contract_value > budget and items:
                break
            items.append(item)
            budget -= contract_value
        return items

    def _item(
        self, item_id: str, action: str, offering: Offering, term: int, *, budget: Decimal, existing: str | None = None
    ) -> tuple[dict, Decimal]:
        """An item at a catalogue price a rep may give unapproved (never ICB), and its contract value at list.

        The value is the cheapest on offer when none fits in `budget`.
        """
        rng = self.rng
        city, state, zip_prefix, _ = rng.choice(MARKETS)
        characteristic, values = rng.choice(sorted(offering.characteristics.items()))
        term = term if term in offering.terms else max(offering.terms)
        priced = {value: _catalogue_price(offering.id, characteristic, value, term) for value in values}
        sellable = {value: price for value, price in priced.items() if not price.icb}
        affordable = [value for value, price in sellable.items() if price.contract_value(term) <= budget]
        value = rng.choice(affordable) if affordable else min(sellable, key=lambda v: sellable[v].contract_value(term))
        price = sellable[value]
        product: dict = {
            "productCharacteristic": [{"name": characteristic, "value": value}],
            "place": [{"role": "serviceLocation", **self._place(city, state, zip_prefix)}],
        }
        if existing:
            product["id"] = existing
        item = {
            "id": item_id,
            "action": action,
            "productOffering": {"id": offering.id},
            "itemTerm": [{"duration": {"amount": term, "units": "month"}}],
            "product": product,
            "itemPrice": [
                {
                    "priceType": "recurring",
                    "price": {
                        "dutyFreeAmount": {"unit": "USD", "value": float(percent_off(price.mrc, rng.choice(DISCOUNTS)))}
                    },
                },
                {"priceType": "nonRecurring", "price": {"dutyFreeAmount": {"unit": "USD", "value": float(price.nrc)}}},
            ],
        }
        return item, price.contract_value(term) if action != "delete" else Decimal(0)

    def _place(self, city: str, state: str, zip_prefix: str) -> dict:
        rng = self.rng
        return {
            "streetNr": str(rng.randint(10, 2999)),
            "streetName": rng.choice(STREETS),
            "city": city,
            "stateOrProvince": state,
            "postcode": f"{zip_prefix}{rng.randint(0, 99):02d}",
        }
