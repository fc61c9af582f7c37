"""The seed billing-code map covers every code generated orders (demo, bench, e2e) can need, whether
pricing sends catalogue price components or not; its deliberate gaps are where generated orders never go."""

import json
from pathlib import Path

from fulfillment_handoff.domain.billing import CodeKey
from fulfillment_handoff.reference import load_seed_billing_codes
from fulfillment_handoff.rules_in_force import load_rules
from fulfillment_handoff.settings import Settings
from intake.reference import load_reference_data
from orderdesk_shared.events.order import Address
from orderdesk_stack.order_generator import generate_orders

ROOT = Path(__file__).resolve().parents[2]
MARKETS = load_rules(Settings.model_construct()).markets
SEEDED = {code.key for code in load_seed_billing_codes(MARKETS)}


def _generated_markets() -> set[str]:
    markets = set()
    for generated in generate_orders(300, invalid_share=0.0):
        for item in generated.body["productOrderItem"]:
            for place in item["product"]["place"]:
                address = Address(street="x", city=place["city"], state_or_province=place["stateOrProvince"],
                                  postcode=place["postcode"])  # fmt: skip
                markets.add(MARKETS.market_for(address).code)
    return markets


def _components(offering: dict) -> list[str]:
    return [offering["id"]] + [p["id"] for p in offering["productOfferingPrice"] if p["priceType"] != "discount"]


def test_every_component_of_every_offering_sold_has_a_code_in_every_market_generated_orders_use():
    catalogue = json.loads((ROOT / "services/pricing-approval/catalogue/catalogue.v1.json").read_text())
    sold = {offering.id for offering in load_reference_data().offerings.values() if offering.active}
    markets = _generated_markets()
    assert markets and "GRR" not in markets
    missing = [
        key
        for offering in catalogue["productOffering"]
        if offering["id"] in sold
        for component in _components(offering)
        for market in sorted(markets)
        if (key := CodeKey(component, MARKETS.named(market).billing_system, market)) not in SEEDED
    ]
    assert missing == []
