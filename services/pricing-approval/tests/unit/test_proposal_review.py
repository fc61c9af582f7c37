"""The desk's review of a proposal a rep wrote: what its text states, and each difference from the order's priced
quote, the catalogue and the clauses the market requires, named where the document says it and by the rule it
breaks; a version is approved only once each difference is corrected or accepted with a reason."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orderdesk_shared.events.pricing_approval import PricedItem, Pricing
from pricing_approval.domain.proposal_review import (
    DifferenceKind,
    RepProposal,
    RepProposalRefused,
    RepProposalState,
    accept_difference,
    approve,
    read_items,
    review,
)

from .conftest import RULES

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
VOIP_CLAUSE = RULES.markets.legal_clauses[0].text
# SIP trunking, 23 channels for 36 months: $460.00 listed, $423.20 after the 8% term discount; $350.00 activation.
SIP_PRICING = Pricing(
    items=[
        PricedItem(
            item_id="1",
            offering_id="SIP-TRUNK",
            list_mrc=Decimal("423.20"),
            net_mrc=Decimal("423.20"),
            nrc=Decimal("350.00"),
            discount_percent=Decimal(0),
            term_months=36,
        )
    ],
    mrc_total=Decimal("423.20"),
    nrc_total=Decimal("350.00"),
    total_contract_value=Decimal("15585.20"),
    catalogue_version=RULES.catalogue.version,
)


def _review(text: str, market: str = "DET", pricing: Pricing = SIP_PRICING):
    return review(
        text,
        pricing=pricing,
        offerings_ordered={"1": "SIP-TRUNK"},
        item_markets={"1": market},
        catalogue=RULES.catalogue,
        markets=RULES.markets,
    )


def _proposal(text: str) -> RepProposal:
    return RepProposal(
        id="RPP-1",
        order_id="PO-1",
        order_version=1,
        version=1,
        file_name="proposal.pdf",
        media_type="application/pdf",
        size_bytes=len(text),
        text=text,
        differences=tuple(_review(text)),
        uploaded_by="rep-007",
        uploaded_at=NOW,
    )


def test_an_item_line_is_read_for_its_offering_prices_term_and_promotion():
    [item] = read_items(
        "Prepared for Lakeshore Logistics\n"
        "Item 1: SIP trunking, 23 channels, 36-month term, $1,423.20 a month, activation $350, promotion VOICESWITCH\n",
        RULES.catalogue,
    )

    assert (item.item_id, item.line_number, item.offering_id) == ("1", 2, "SIP-TRUNK")
    assert (item.mrc, item.nrc, item.term_months) == (Decimal("1423.20"), Decimal("350"), 36)
    assert item.promotion_codes == ("VOICESWITCH",)


def test_the_longest_catalogue_name_on_the_line_names_the_offering():
    [item] = read_items("Item 1: Dedicated Internet Access over fiber, MRC $1,665.00", RULES.catalogue)

    assert item.offering_id == "DIA-FIBER"


def test_a_proposal_saying_what_the_order_says_has_no_difference():
    text = f"Item 1: SIP-TRUNK, 36 months, MRC $423.20, NRC $350.00\n\nTerms\n{VOIP_CLAUSE}"

    assert _review(text) == []


def test_a_wrong_price_and_a_missing_clause_are_each_listed_with_where_what_and_why():
    text = "Our offer\nItem 1: SIP trunking, 36 months, MRC $399.00, NRC $350.00\nStandard terms apply."

    price, clause = _review(text)

    assert (price.kind, price.where, price.stated, price.expected) == (
        DifferenceKind.MRC,
        "line 2, item 1",
        "$399.00",
        "$423.20",
    )
    assert RULES.catalogue.version in price.source
    assert (clause.kind, clause.stated, clause.expected) == (DifferenceKind.LEGAL_CLAUSE, "missing", VOIP_CLAUSE)
    assert clause.source == "market policy MI-VOIP-911 (Detroit, Grand Rapids)"
    assert [price.number, clause.number] == [1, 2]


def test_a_clause_broken_over_lines_and_recased_still_counts():
    wrapped = VOIP_CLAUSE.upper().replace(" ", "\n", 5).replace(";", ",")
    text = f"Item 1: SIP-TRUNK, 36 months, MRC $423.20, NRC $350.00\n{wrapped}"

    assert _review(text) == []


def test_a_market_without_the_clause_asks_for_none():
    assert _review("Item 1: SIP-TRUNK, 36 months, MRC $423.20, NRC $350.00", market="CHI") == []


def test_term_offering_and_promotions_that_differ_are_listed():
    text = "Item 1: Hosted voice (cloud PBX), 24 months, MRC $423.20, NRC $350.00, promotion LOYAL5 and SUMMER99"

    differences = {(d.kind, d.stated): d for d in _review(text, market="CHI")}

    assert differences[DifferenceKind.OFFERING, "HOSTED-VOICE"].expected == "SIP trunking (SIP-TRUNK)"
    assert differences[DifferenceKind.TERM, "24 months"].expected == "36 months"
    assert differences[DifferenceKind.PROMOTION, "LOYAL5"].expected == "no promotion"
    assert differences[DifferenceKind.PROMOTION, "SUMMER99"].source == f"catalogue {RULES.catalogue.version}"


def test_an_item_left_out_and_one_the_order_lacks_are_listed():
    differences = _review(f"Item 2: SIP-TRUNK, 36 months, MRC $423.20\n{VOIP_CLAUSE}")

    assert [(d.kind, d.item_id) for d in differences] == [
        (DifferenceKind.ITEM_NOT_ON_ORDER, "2"),
        (DifferenceKind.ITEM_MISSING, "1"),
    ]
    assert differences[1].expected == "SIP-TRUNK: MRC $423.20, NRC $350.00, 36 months"


def test_a_version_with_an_open_difference_is_not_approved_until_it_is_accepted_with_a_reason():
    proposal = _proposal(f"Item 1: SIP-TRUNK, 36 months, MRC $399.00, NRC $350.00\n{VOIP_CLAUSE}")

    with pytest.raises(RepProposalRefused, match=r"open differences \(1\)"):
        approve(proposal, live_version=1, by="dana", at=NOW)
    accepted = accept_difference(proposal, 1, reason="the VP agreed $399 on the call", by="dana", at=NOW)
    approved = approve(accepted, live_version=1, by="dana", at=NOW)

    assert (approved.state, approved.approved_by) == (RepProposalState.APPROVED, "dana")
    assert approved.differences[0].accepted_reason == "the VP agreed $399 on the call"
    with pytest.raises(RepProposalRefused, match="is approved"):
        accept_difference(approved, 1, reason="again", by="dana", at=NOW)


def test_a_version_of_a_corrected_order_is_not_approved():
    proposal = _proposal(f"Item 1: SIP-TRUNK, 36 months, MRC $423.20, NRC $350.00\n{VOIP_CLAUSE}")

    with pytest.raises(RepProposalRefused, match="the order is at version 2"):
        approve(proposal, live_version=2, by="dana", at=NOW)
