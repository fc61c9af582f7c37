"""Realistic, varied TMF622 order requests for the demo, the benchmark and the tests.

Accounts, reps and offerings come from intake's seed reference data, so generated orders are the
kind intake accepts; `invalid_share` of them carry commission splits that do not add up to 100.
"""

import random
from dataclasses import dataclass
from functools import cache

from intake.reference import Offering, ReferenceData, load_reference_data

# Monthly list price of the smallest tier, per offering family; each tier up adds the same again.
BASE_MRC = {
    "internet": 450,
    "ethernet": 800,
    "managed-network": 300,
    "voice": 20,
    "tv": 75,
    "managed-apps": 150,
    "cloud": 40,
    "hosting": 520,
}
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
            return [
                self._item("1", "delete", offering, term, existing=existing),
                self._item("2", "add", offering, term),
            ]
        action = {"new": "add", "add": "add", "disconnect": "delete"}.get(order_type, "modify")
        return [
            self._item(
                str(index + 1),
                action,
                rng.choice(self.offerings),
                term,
                existing=None if action == "add" else f"PRD-{rng.randint(100000, 999999)}",
            )
            for index in range(rng.choice((1, 1, 2, 3)))
        ]

    def _item(self, item_id: str, action: str, offering: Offering, term: int, *, existing: str | None = None) -> dict:
        rng = self.rng
        city, state, zip_prefix, _ = rng.choice(MARKETS)
        characteristic, values = rng.choice(sorted(offering.characteristics.items()))
        value = rng.choice(values)
        mrc = BASE_MRC.get(offering.family, 100) * (1 + values.index(value))
        discount = rng.choice((0, 0, 5, 8, 12, 15, 22, 35))
        product: dict = {
            "productCharacteristic": [{"name": characteristic, "value": value}],
            "place": [{"role": "serviceLocation", **self._place(city, state, zip_prefix)}],
        }
        if existing:
            product["id"] = existing
        return {
            "id": item_id,
            "action": action,
            "productOffering": {"id": offering.id},
            "itemTerm": [
                {"duration": {"amount": term if term in offering.terms else max(offering.terms), "units": "month"}}
            ],
            "product": product,
            "itemPrice": [
                {
                    "priceType": "recurring",
                    "price": {"dutyFreeAmount": {"unit": "USD", "value": mrc}},
                    "priceAlteration": [{"priceType": "recurring", "price": {"percentage": discount}}]
                    if discount
                    else [],
                },
                {
                    "priceType": "nonRecurring",
                    "price": {"dutyFreeAmount": {"unit": "USD", "value": rng.choice((0, 250, 500, 1500))}},
                },
            ],
        }

    def _place(self, city: str, state: str, zip_prefix: str) -> dict:
        rng = self.rng
        return {
            "streetNr": str(rng.randint(10, 2999)),
            "streetName": rng.choice(STREETS),
            "city": city,
            "stateOrProvince": state,
            "postcode": f"{zip_prefix}{rng.randint(0, 99):02d}",
        }
