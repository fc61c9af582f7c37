"""Realistic, varied TMF622 order requests for the demo, the benchmark and the tests.

Only the services' published data is read, never their code: accounts from intake's seed accounts file, reps
from commission's roster, offerings and prices from pricing-approval's catalogue, so generated orders are the
kind intake accepts; `invalid_share` of them carry commission splits that do not add up to 100. Prices are the
catalogue's, with at most the discount a rep may give without an approver and the catalogue's one-time charge,
so every valid generated order is approved at once and flows through to ratification. Sites and billing
addresses are buildings of serviceability's seed inventory.
"""

import hashlib
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from pydantic import BaseModel

from orderdesk_shared.csv_rows import csv_problems, read_csv_rows
from orderdesk_shared.money import percent_off
from orderdesk_shared.product_catalogue import ProductOffering, load_catalogue
from orderdesk_shared.roster import read_roster
from orderdesk_stack.paths import repo_root
from orderdesk_stack.services import SERVICES

# Discounts on the catalogue price a rep gives without an approver (the approval matrix starts above 10%).
DISCOUNTS = (0, 0, 0, 3, 5, 5, 8)
# Discounts a sales manager approves (the matrix's first tier: above 10%, up to 20%).
MANAGER_DISCOUNTS = (12, 15, 18)
# Orders stay below the total contract value that asks finance to approve ($250,000).
TCV_BUDGET = Decimal(240_000)
COMPANIES = (
    "Acme Fabrication", "Lakeshore Dental Group", "Prairie Logistics", "Northwind Foods", "Blue Heron Hotels",
    "Summit Legal Partners", "Riverbend Health", "Copperline Credit Union", "Harbor Freight Brokers",
    "Granite State Schools", "Maple Ridge Manufacturing", "Pioneer Title", "Oakview Senior Living",
)  # fmt: skip
# Grand Rapids (GRR), acquired in 2026, is not yet set up in billing for every product: generated
# orders stay in the other markets so that they flow through unattended, unless asked for GRR sites.
GENERATED_MARKETS = frozenset({"CHI", "MKE", "IND", "CMH", "DET", "MSP"})
GRAND_RAPIDS = "GRR"
AREA_CODES = ("312", "414", "317", "614", "313", "612")
# Without on_net_only, the share of sites drawn from lit buildings; the rest are near-net, far or unserved.
LIT_SITE_SHARE = 0.85
ORDER_TYPES = ("new", "new", "new", "add", "add", "change", "renewal", "move", "transfer", "disconnect")
CHANNELS = ("crm", "crm", "email", "ivr", "api")


@dataclass(frozen=True)
class GeneratedOrder:
    body: dict
    submitted_by: str
    expect_rejection: bool
    # A discount above what a rep may give: a sales manager approves or denies it.
    needs_approval: bool = False


class _Account(BaseModel):
    """A row of intake's accounts file, as far as orders name it."""

    account_id: str
    status: str


class _Building(BaseModel):
    """A row of serviceability's inventory file, as far as orders name it."""

    street: str
    city: str
    state: str
    postcode: str
    building_lit: bool
    max_bandwidth_mbps: int
    market: str


def _published(service_name: str, *path: str) -> Path:
    """A data file a service publishes in its directory (reference data, its catalogue)."""
    [service] = [service for service in SERVICES if service.name == service_name]
    return repo_root().joinpath(service.directory, *path)


def _rows(path: Path, model: type[BaseModel]) -> list:
    rows = read_csv_rows(path.read_text(), model)
    if problems := csv_problems(rows):
        raise ValueError(f"{path.name}: {'; '.join(map(str, problems))}")
    return [row.value for row in rows]


@cache
def _offerings() -> dict[str, ProductOffering]:
    return load_catalogue(_published("pricing-approval", "catalogue")).offerings


@cache
def _active_accounts() -> list[str]:
    accounts = _rows(_published("intake", "reference", "accounts.v1.csv"), _Account)
    return sorted(account.account_id for account in accounts if account.status == "active")


@cache
def _active_reps() -> list[str]:
    reps, problems = read_roster(_published("commission", "reference", "roster.v1.csv").read_text())
    if problems:
        raise ValueError(f"roster.v1.csv: {'; '.join(map(str, problems))}")
    return sorted(rep.id for rep in reps.values() if rep.active_to is None)


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
    """An item of one unit priced as pricing-approval prices it without a promotion: the catalogue's list prices."""
    offering = _offerings()[offering_id]
    characteristics = offering.defaults | {characteristic: str(value)}
    recurring, one_time = (offering.components(kind, characteristics) for kind in ("recurring", "oneTime"))

    def list_total(components: list) -> Decimal:
        return sum((offering.list_amount(c, characteristics, quantity=1, term=term) for c in components), Decimal(0))

    icb = any(component.icb for component in (*recurring, *one_time))
    return _CataloguePrice(mrc=list_total(recurring), nrc=list_total(one_time), icb=icb)


@cache
def _buildings() -> tuple[_Building, ...]:
    return tuple(_rows(_published("serviceability", "reference", "locations.v1.csv"), _Building))


def generate_orders(
    count: int,
    *,
    seed: int = 7,
    invalid_share: float = 0.05,
    on_net_only: bool = True,
    approval_share: float = 0.0,
    grand_rapids_share: float = 0.0,
) -> list[GeneratedOrder]:
    """`count` varied orders of every type; about `invalid_share` of them have splits that do not add to 100.

    With `on_net_only` every site is a lit building that carries the bandwidth asked, so every valid
    order flows to ratification. Without it, as in real life, some sites are near-net or unknown to
    the inventory (held for a site survey), off-net (rejected for offerings that third-party access
    cannot carry) or too slow for the bandwidth asked (pending an alternate).
    About `approval_share` of the orders give a discount a sales manager must approve, and about
    `grand_rapids_share` have their sites in Grand Rapids, where billing may lack codes (held for them).
    """
    rng = random.Random(seed)
    # Each call's orders are new to the stack: a source's externalId repeated would return its first order, and
    # the same order at the same suite again would be held as a likely duplicate. So the externalIds and the
    # suite numbers are the call's own, drawn apart from `rng`: a seed still gives the same orders otherwise.
    batch = uuid.uuid4().hex[:6].upper()
    suites = random.Random(batch)
    orders = _Order(rng, _buildings(), on_net_only=on_net_only, batch=batch, suites=suites)
    # The shares draw from a generator of their own, so that a seed gives the same orders with or without them.
    shares = random.Random(seed + 1)
    return [
        orders.build(
            n,
            invalid=rng.random() < invalid_share,
            discounted=shares.random() < approval_share,
            in_grand_rapids=shares.random() < grand_rapids_share,
        )
        for n in range(count)
    ]


class _Order:
    def __init__(
        self,
        rng: random.Random,
        buildings: tuple[_Building, ...],
        *,
        on_net_only: bool,
        batch: str,
        suites: random.Random,
    ) -> None:
        self.rng = rng
        self.batch = batch
        self.suites = suites
        sold_in = [building for building in buildings if building.market in GENERATED_MARKETS]
        self.lit = [building for building in sold_in if building.building_lit]
        self.unlit = [building for building in sold_in if not building.building_lit]
        self.grand_rapids = [b for b in buildings if b.market == GRAND_RAPIDS and b.building_lit]
        self.discounted = False
        self.in_grand_rapids = False
        self.on_net_only = on_net_only
        self.offerings = [offering for offering in _offerings().values() if offering.active]
        self.accounts = _active_accounts()
        self.reps = _active_reps()

    def build(self, n: int, *, invalid: bool, discounted: bool, in_grand_rapids: bool) -> GeneratedOrder:
        rng = self.rng
        self.discounted, self.in_grand_rapids = discounted, in_grand_rapids
        order_type = rng.choice(ORDER_TYPES)
        reps = rng.sample(self.reps, k=rng.choice((1, 1, 1, 2)))
        splits = [100] if len(reps) == 1 else [60, 40]
        if invalid:
            splits = [split - 10 for split in splits]
        term = rng.choice((12, 24, 36, 36, 60))
        body = {
            "externalId": f"OPP-{self.batch}-{n:06d}-{rng.randint(100, 999)}",
            "orderType": order_type,
            "channel": [{"name": rng.choice(CHANNELS)}],
            "relatedParty": [
                *self._customer(order_type),
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
        needs_approval = discounted and any(item["action"] != "delete" for item in body["productOrderItem"])
        return GeneratedOrder(body=body, submitted_by=reps[0], expect_rejection=invalid, needs_approval=needs_approval)

    def _customer(self, order_type: str) -> list[dict]:
        """The customer, and for a transfer the new owner taking the services over."""
        rng = self.rng
        if order_type == "new":
            name = f"{rng.choice(COMPANIES)} LLC"
            rng.randint(10, 99), rng.randint(1000000, 9999999)  # drawn as before, so that a seed gives the same orders
            billing_address = self._place(rng.choice(self.lit))
            return [
                {
                    "role": "customer",
                    "name": name,
                    "taxId": _tax_id(name, billing_address),
                    "billingAddress": billing_address,
                }
            ]
        customer = {"role": "customer", "id": rng.choice(self.accounts)}
        if order_type == "transfer":
            return [customer, {"role": "newOwner", "name": f"{rng.choice(COMPANIES)} Holdings Inc"}]
        return [customer]

    def _contact(self) -> dict:
        rng = self.rng
        area_code = rng.choice(AREA_CODES)
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
        self,
        item_id: str,
        action: str,
        offering: ProductOffering,
        term: int,
        *,
        budget: Decimal,
        existing: str | None = None,
    ) -> tuple[dict, Decimal]:
        """An item at a catalogue price a rep may give unapproved (never ICB), and its contract value at list.

        The value is the cheapest on offer when none fits in `budget`.
        """
        rng = self.rng
        characteristic, values = rng.choice(sorted(_typed_characteristics(offering).items()))
        term = term if term in offering.terms else max(offering.terms)
        priced = {value: _catalogue_price(offering.id, characteristic, value, term) for value in values}
        sellable = {value: price for value, price in priced.items() if not price.icb}
        affordable = [value for value, price in sellable.items() if price.contract_value(term) <= budget]
        value = rng.choice(affordable) if affordable else min(sellable, key=lambda v: sellable[v].contract_value(term))
        price = sellable[value]
        site = self._site(bandwidth_mbps=value if characteristic == "bandwidth_mbps" else None)
        product: dict = {
            "productCharacteristic": [{"name": characteristic, "value": value}],
            "place": [{"role": "serviceLocation", **self._place(site, suite=rng.random() < 0.3)}],
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
                        "dutyFreeAmount": {"unit": "USD", "value": float(percent_off(price.mrc, self._discount()))}
                    },
                },
                {"priceType": "nonRecurring", "price": {"dutyFreeAmount": {"unit": "USD", "value": float(price.nrc)}}},
            ],
        }
        return item, price.contract_value(term) if action != "delete" else Decimal(0)

    def _discount(self) -> int:
        discount = self.rng.choice(DISCOUNTS)  # drawn in any case, so that a seed gives the same orders
        return self.rng.choice(MANAGER_DISCOUNTS) if self.discounted else discount

    def _site(self, *, bandwidth_mbps: int | None) -> _Building:
        rng = self.rng
        if self.in_grand_rapids:
            fits = [b for b in self.grand_rapids if bandwidth_mbps is None or b.max_bandwidth_mbps >= bandwidth_mbps]
            return rng.choice(fits or self.grand_rapids)
        if self.on_net_only:
            return rng.choice([b for b in self.lit if bandwidth_mbps is None or b.max_bandwidth_mbps >= bandwidth_mbps])
        return rng.choice(self.lit if rng.random() < LIT_SITE_SHARE else self.unlit)

    def _place(self, building: _Building, *, suite: bool = False) -> dict:
        """The building's address as a rep types it: mixed case, with a suite (the call's own number)."""
        number, street = building.street.split(" ", 1)
        if suite:
            self.rng.randint(100, 2400)  # drawn as before, so that a seed gives the same orders
        street += f" Suite {self.suites.randint(100, 9999)}"
        return {
            "streetNr": number,
            "streetName": street.title(),
            "city": building.city.title(),
            "stateOrProvince": building.state,
            "postcode": building.postcode,
        }


def _tax_id(name: str, billing_address: dict) -> str:
    """The company's tax id (an EIN, NN-NNNNNNN): one per name at a billing address, whichever order and run names it.
    Drawn at random, two runs' orders would give one company two tax ids now and then, and intake holds an order
    whose client has a namesake at its billing address with another tax id."""
    seen_as = f"{name}|{sorted(billing_address.items())}".encode()
    digest = int.from_bytes(hashlib.sha256(seen_as).digest()[:8], "big")
    return f"{10 + digest % 90}-{1000000 + digest // 90 % 9000000}"


def _typed_characteristics(offering: ProductOffering) -> dict[str, tuple[int | str, ...]]:
    """Each characteristic's values as the catalogue types them (a bandwidth is a number), as an order sends them."""
    return {
        use.name: tuple(choice.value for choice in use.product_spec_characteristic_value)
        for use in offering.prod_spec_char_value_use
    }
