"""Market policies as the desk meets them: an item a market does not sell is rejected naming the policy, the proposal
carries the market's taxes, fees and clauses, and a policy file that names what does not exist stops the service."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.order import ItemAction, OrderItem
from orderdesk_shared.events.serviceability import NetworkReach, QualificationResult, SiteQualification
from pricing_approval.domain.decisions import price_version
from pricing_approval.domain.workflow import QuoteStatus
from pricing_approval.proposal import proposal_of, render_html
from pricing_approval.rules_in_force import RulesError, load_rules
from pricing_approval.settings import Settings

from ..builders import qualified
from .conftest import RULES, new_order

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
SHIPPED = Settings.model_construct().market_policies


def _tv(item_id: str = "1", action: ItemAction = ItemAction.ADD) -> OrderItem:
    """Business TV, 6 outlets: $349.50 a month before the term discount."""
    return OrderItem(id=item_id, action=action, product_offering_id="BUSINESS-TV", characteristics={"outlets": 6})


def _hosting(item_id: str = "1", action: ItemAction = ItemAction.ADD) -> OrderItem:
    return OrderItem(id=item_id, action=action, product_offering_id="MANAGED-HOSTING", characteristics={"servers": 3})


def _sip(item_id: str = "2", *, quantity: int = 1) -> OrderItem:
    return OrderItem(id=item_id, product_offering_id="SIP-TRUNK", quantity=quantity, characteristics={"channels": 23})


def _priced_in(market: str, *items: OrderItem):
    order = new_order(*items).model_copy(update={"id": f"PO-{market}"})
    event = qualified(order).model_copy(
        update={
            "sites": [
                SiteQualification(
                    item_id=item.id, reach=NetworkReach.ON_NET, result=QualificationResult.QUALIFIED, market=market
                )
                for item in items
            ]
        }
    )
    return price_version(event, rules=RULES, now=NOW, earlier=[])


def test_an_item_its_market_does_not_sell_rejects_the_order_naming_the_market_policy() -> None:
    priced = _priced_in("GRR", _sip("1"), _hosting("2"))

    assert priced.quote.status is QuoteStatus.REJECTED and priced.requests == []
    [rejected] = priced.events
    assert isinstance(rejected, OrderFallout) and rejected.kind is FalloutKind.REJECTED
    [finding] = rejected.findings
    assert finding.reason_code == "NOT_SOLD_IN_MARKET"
    assert finding.field_path == "items[1].productOffering.id"
    assert finding.message == (
        "item 2: MANAGED-HOSTING is not sold in Grand Rapids (GRR): the Grand Rapids network, acquired in 2026, has"
        " no data center for managed hosting yet (market policy GRR-NO-HOSTING-SITE)"
    )


def test_the_same_item_sells_elsewhere_and_may_be_removed_where_it_is_not_sold() -> None:
    # (new_order carries no signed agreement: the order waits for the customer's signature, not rejected.)
    assert _priced_in("CHI", _hosting()).quote.status is QuoteStatus.AWAITING_SIGNATURE
    assert _priced_in("GRR", _hosting(action=ItemAction.DELETE)).quote.status is not QuoteStatus.REJECTED


def test_the_proposal_shows_the_markets_taxes_and_fees_apart_from_the_charges_and_its_clauses() -> None:
    in_chicago = _priced_in("CHI", _tv("1"))
    in_detroit = _priced_in("DET", _sip("1", quantity=4))

    chicago = proposal_of(in_chicago.quote, rules=RULES, approvals=[], record=in_chicago.proposal)
    detroit = proposal_of(in_detroit.quote, rules=RULES, approvals=[], record=in_detroit.proposal)

    tv_mrc = in_chicago.quote.pricing.items[0].net_mrc
    assert chicago.fees == (
        (
            "Chicago amusement tax (9% of MRC; item 1; market policy CHI-AMUSEMENT-TAX)",
            f"${(tv_mrc * Decimal('0.09')).quantize(Decimal('0.01')):,.2f}",
        ),
    )
    assert detroit.fees == (
        ("Michigan 911 surcharge ($0.25 a month per unit; item 1; market policy MI-911-SURCHARGE)", "$1.00"),
    )
    # Taxes and fees are billed beside the price: the totals and the TCV do not include them.
    assert chicago.totals[0] == ("Monthly recurring charges", f"${tv_mrc:,.2f}")
    [clause] = detroit.market_clauses
    assert clause.startswith("Voice service over IP may not reach emergency services")
    assert clause.endswith("(market policy MI-VOIP-911)")
    page = render_html(detroit)
    assert "Michigan 911 surcharge" in page and "Terms of the service&#x27;s market" in page


def test_a_market_without_a_policy_adds_nothing() -> None:
    priced = _priced_in("MSP", _tv("1"), _sip("2"))
    proposal = proposal_of(priced.quote, rules=RULES, approvals=[], record=priced.proposal)

    assert (proposal.fees, proposal.market_clauses) == ((), ())
    assert "Taxes and fees" not in render_html(proposal)


@pytest.mark.parametrize(
    ("shipped", "changed", "message"),
    [
        ('offerings = ["MANAGED-HOSTING"]\nwhy', 'offerings = ["BUSINESS-RADIO"]\nwhy', "offerings not in catalogue"),
        (
            'up_to_percent = 30, role = "sales_director"',
            'up_to_percent = 30, role = "finance"',
            "DET-DISCOUNT-2026 names finance, who approve no discount tier",
        ),
        (
            'markets = ["CHI"]\nofferings = ["BUSINESS-TV"]\nname',
            'markets = ["LAN"]\nofferings = ["BUSINESS-TV"]\nname',
            "markets not named under [markets]: LAN",
        ),
        (
            'policy = "CHI-AMUSEMENT-TAX"\n',
            'policy = "MI-911-SURCHARGE"\n',
            "policy names used twice: MI-911-SURCHARGE",
        ),
        ("percent_of_mrc = 9", "percent_of_mrc = 9\nmonthly_per_unit = 1.00", "exactly one of percent_of_mrc"),
    ],
)
def test_a_policy_file_naming_what_does_not_exist_stops_the_service_with_the_reason(
    tmp_path: Path, shipped: str, changed: str, message: str
) -> None:
    text = SHIPPED.read_text()
    assert text.count(shipped) == 1
    broken = tmp_path / "market_policies.v1.toml"
    broken.write_text(text.replace(shipped, changed))

    with pytest.raises(RulesError, match=r"market_policies\.v1\.toml") as refused:
        load_rules(Settings.model_construct(market_policies=broken))
    assert message in str(refused.value)
