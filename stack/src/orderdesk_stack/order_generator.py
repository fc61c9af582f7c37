"""Realistic, varied TMF622 order requests for the demo, the benchmark and the tests."""

import random
from dataclasses import dataclass

OFFERINGS: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    # (offering id, characteristic, allowed values), MRC comes from the tier table below
    ("DIA-FIBER", "bandwidth_mbps", (100, 250, 500, 1000, 10000)),
    ("EPL", "bandwidth_mbps", (100, 1000, 10000)),
    ("EVPL", "bandwidth_mbps", (50, 100, 500, 1000)),
    ("SDWAN-MANAGED", "sites", (2, 5, 10, 25)),
    ("MANAGED-WIFI", "access_points", (4, 10, 24)),
    ("SIP-TRUNK", "channels", (10, 23, 46, 96)),
    ("HOSTED-VOICE", "seats", (10, 25, 50, 150)),
    ("BUSINESS-TV", "outlets", (2, 6, 12)),
    ("CLOUD-IAAS", "vcpus", (8, 16, 64)),
    ("MANAGED-HOSTING", "servers", (1, 3, 6)),
)
BASE_MRC = {
    "DIA-FIBER": 450,
    "EPL": 900,
    "EVPL": 650,
    "SDWAN-MANAGED": 300,
    "MANAGED-WIFI": 60,
    "SIP-TRUNK": 18,
    "HOSTED-VOICE": 24,
    "BUSINESS-TV": 75,
    "CLOUD-IAAS": 40,
    "MANAGED-HOSTING": 520,
}
COMPANIES = (
    "Acme Fabrication",
    "Lakeshore Dental Group",
    "Prairie Logistics",
    "Northwind Foods",
    "Blue Heron Hotels",
    "Summit Legal Partners",
    "Riverbend Health",
    "Copperline Credit Union",
    "Harbor Freight Brokers",
    "Granite State Schools",
    "Maple Ridge Manufacturing",
    "Pioneer Title",
    "Oakview Senior Living",
)
MARKETS = (
    ("Chicago", "IL", "606"),
    ("Milwaukee", "WI", "532"),
    ("Indianapolis", "IN", "462"),
    ("Columbus", "OH", "432"),
    ("Detroit", "MI", "482"),
    ("Minneapolis", "MN", "554"),
)
STREETS = ("W Madison St", "N Water St", "S Meridian St", "E Broad St", "Woodward Ave", "Nicollet Mall", "Commerce Dr")
REPS = tuple(f"rep-{n:03d}" for n in range(1, 25))
ORDER_TYPES = ("new", "new", "new", "add", "add", "change", "renewal", "move", "transfer", "disconnect")
TERMS = (12, 24, 36, 36, 60)


@dataclass(frozen=True)
class GeneratedOrder:
    body: dict
    submitted_by: str
    expect_rejection: bool


def generate_orders(count: int, *, seed: int = 7, invalid_share: float = 0.05) -> list[GeneratedOrder]:
    """`count` varied orders; about `invalid_share` of them carry a split that does not add to 100."""
    rng = random.Random(seed)
    return [_order(rng, n, invalid=rng.random() < invalid_share) for n in range(count)]


def _order(rng: random.Random, n: int, *, invalid: bool) -> GeneratedOrder:
    company = rng.choice(COMPANIES)
    order_type = rng.choice(ORDER_TYPES)
    reps = rng.sample(REPS, k=rng.choice((1, 1, 1, 2)))
    splits = [100] if len(reps) == 1 else [60, 40]
    if invalid:
        splits = [split - 10 for split in splits]
    term = rng.choice(TERMS)
    parties = [
        {"role": "customer", "name": f"{company} LLC"}
        if order_type == "new"
        else {"role": "customer", "id": f"ACC-{rng.randint(10000, 99999)}"},
        {
            "role": "contact",
            "name": "Order Desk Contact",
            "email": f"it@{company.split()[0].lower()}.example",
            "phone": "+1 312 555 0100",
        },
        *({"role": "salesRep", "id": rep, "splitPercent": split} for rep, split in zip(reps, splits, strict=True)),
    ]
    items = [_item(rng, str(i + 1), term) for i in range(rng.choice((1, 1, 2, 3)))]
    body = {
        "externalId": f"OPP-{n:06d}-{rng.randint(100, 999)}",
        "orderType": order_type,
        "channel": [{"name": rng.choice(("crm", "crm", "email", "ivr", "api"))}],
        "relatedParty": parties,
        "agreement": [{"id": f"MSA-{rng.randint(1000, 9999)}", "termMonths": term, "signedDate": "2026-11-02"}],
        "requestedCompletionDate": "2027-01-15",
        "productOrderItem": items,
    }
    return GeneratedOrder(body=body, submitted_by=reps[0], expect_rejection=invalid)


def _item(rng: random.Random, item_id: str, term: int) -> dict:
    offering, characteristic, values = rng.choice(OFFERINGS)
    value = rng.choice(values)
    city, state, zip_prefix = rng.choice(MARKETS)
    mrc = BASE_MRC[offering] * (1 + values.index(value))
    discount = rng.choice((0, 0, 5, 8, 12, 15, 22, 35))
    return {
        "id": item_id,
        "action": "add",
        "productOffering": {"id": offering},
        "itemTerm": [{"duration": {"amount": term, "units": "month"}}],
        "product": {
            "productCharacteristic": [{"name": characteristic, "value": value}],
            "place": [
                {
                    "role": "serviceLocation",
                    "streetNr": str(rng.randint(10, 2999)),
                    "streetName": rng.choice(STREETS),
                    "city": city,
                    "stateOrProvince": state,
                    "postcode": f"{zip_prefix}{rng.randint(0, 99):02d}",
                }
            ],
        },
        "itemPrice": [
            {
                "priceType": "recurring",
                "price": {"dutyFreeAmount": {"unit": "USD", "value": mrc}},
                "priceAlteration": [{"priceType": "recurring", "price": {"percentage": discount}}] if discount else [],
            },
            {
                "priceType": "nonRecurring",
                "price": {"dutyFreeAmount": {"unit": "USD", "value": rng.choice((0, 250, 500, 1500))}},
            },
        ],
    }
