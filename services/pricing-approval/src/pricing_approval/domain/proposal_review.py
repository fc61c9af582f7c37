"""The desk's review of a proposal a sales rep wrote themselves: what its text states, per item and in its legal
terms, compared with the order's priced quote, the catalogue and the market policies; the differences listed, each
with where the document says it, what the order says instead and the rule it comes from.

How the text is read: an item is a line that starts "Item <id>:" (the order's item id), and on that line the
offering (by catalogue id or name), the MRC ("MRC $460.00" or "$460.00 a month"), the NRC ("NRC $350.00",
"activation $350.00" or "$350.00 one-time"), the term ("36 months", "36-month") and the promotion codes (a
catalogue code, or the codes after "promotion"). A required clause is present when its words appear in the text in
order, whatever the case, punctuation or line breaks.

The desk corrects a proposal by uploading the corrected version (reviewed afresh), or accepts a difference with a
reason; it approves a version with no difference left open. An approved rep proposal stands beside the one the
desk generates: the customer signs one of them, and the signature is recorded on the order's proposal as before.
"""

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from orderdesk_shared.events.pricing_approval import PricedItem, Pricing
from orderdesk_shared.money import dollars
from orderdesk_shared.product_catalogue import Catalogue
from pricing_approval.domain.markets import MarketPolicies

NOT_STATED = "not stated"

_ITEM_LINE = re.compile(r"^\s*item\s+(?P<id>[A-Za-z0-9][\w.-]*)\s*[:.)–-]", re.IGNORECASE)
_MONEY = r"\$\s*(?P<amount>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)"
_MRC = (
    re.compile(r"\bMRC\b[^$\d\n]{0,20}" + _MONEY, re.IGNORECASE),
    re.compile(_MONEY + r"\s*(?:(?:a|per|/)\s*(?:month|mo)\b|monthly)", re.IGNORECASE),
)
_NRC = (
    re.compile(r"\b(?:NRC|one-time|one time|installation|activation)\b[^$\d\n]{0,20}" + _MONEY, re.IGNORECASE),
    re.compile(_MONEY + r"\s*(?:one-time|one time|once)\b", re.IGNORECASE),
)
_TERM = re.compile(r"(?<![\d.,$])(?P<months>\d{1,3})\s*-?\s*months?\b", re.IGNORECASE)
_NAMED_PROMOTIONS = re.compile(
    r"\b[Pp]romo(?:tion)?s?(?:\s+codes?)?\s*[:#]?\s*(?P<codes>[A-Z0-9]{3,}(?:\s*(?:,|and|&)\s*[A-Z0-9]{3,})*)\b"
)
_CODE_LIKE = re.compile(r"\b[A-Z0-9]{4,}\b")


class DifferenceKind(StrEnum):
    MRC = "mrc"
    NRC = "nrc"
    TERM = "term"
    OFFERING = "offering"
    PROMOTION = "promotion"
    LEGAL_CLAUSE = "legal-clause"
    ITEM_MISSING = "item-missing"
    ITEM_NOT_ON_ORDER = "item-not-on-order"


@dataclass(frozen=True)
class StatedItem:
    """What the document states of one item, on its line."""

    item_id: str
    line_number: int
    offering_id: str | None
    mrc: Decimal | None
    nrc: Decimal | None
    term_months: int | None
    promotion_codes: tuple[str, ...]


@dataclass(frozen=True)
class Difference:
    """Where the document departs from the order: what, where it says it, what it should say, and why."""

    number: int
    kind: DifferenceKind
    where: str
    stated: str
    expected: str
    source: str
    item_id: str | None = None
    # The desk's note when it accepts the difference as it stands, rather than correcting the document.
    accepted_reason: str | None = None
    accepted_by: str | None = None
    accepted_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.accepted_reason is None


class RepProposalState(StrEnum):
    IN_REVIEW = "in-review"
    APPROVED = "approved"
    # A later version was uploaded before this one was approved.
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class RepProposal:
    """One uploaded version of a rep's proposal for an order version, its text and the differences found in it."""

    id: str
    order_id: str
    order_version: int
    version: int
    file_name: str
    media_type: str
    size_bytes: int
    text: str
    differences: tuple[Difference, ...]
    uploaded_by: str
    uploaded_at: datetime
    state: RepProposalState = RepProposalState.IN_REVIEW
    approved_by: str | None = None
    approved_at: datetime | None = None


class RepProposalRefused(Exception):
    """A step the proposal's state does not allow (a 409)."""


def new_rep_proposal_id() -> str:
    return f"RPP-{uuid.uuid4().hex[:12].upper()}"


def read_items(text: str, catalogue: Catalogue) -> list[StatedItem]:
    """The items the text states, each from its "Item <id>:" line, in the document's order."""
    stated = []
    for number, line in enumerate(text.splitlines(), start=1):
        if header := _ITEM_LINE.match(line):
            stated.append(
                StatedItem(
                    item_id=header["id"],
                    line_number=number,
                    offering_id=_offering(line, catalogue),
                    mrc=_amount(line, _MRC),
                    nrc=_amount(line, _NRC),
                    term_months=int(term["months"]) if (term := _TERM.search(line)) else None,
                    promotion_codes=_promotions(line, catalogue),
                )
            )
    return stated


def _offering(line: str, catalogue: Catalogue) -> str | None:
    """The offering the line names, by id or by name; the longest name wins ("over fiber" over "over copper")."""
    lowered = line.lower()
    named = [
        (len(offering.name), offering.id)
        for offering in catalogue.offerings.values()
        if re.search(rf"(?<![\w-]){re.escape(offering.id)}(?![\w-])", line) or offering.name.lower() in lowered
    ]
    return max(named)[1] if named else None


def _amount(line: str, patterns: Sequence[re.Pattern[str]]) -> Decimal | None:
    for pattern in patterns:
        if found := pattern.search(line):
            return Decimal(found["amount"].replace(",", ""))
    return None


def _promotions(line: str, catalogue: Catalogue) -> tuple[str, ...]:
    codes = [code for found in _NAMED_PROMOTIONS.finditer(line) for code in re.findall(r"[A-Z0-9]{3,}", found["codes"])]
    codes += [token for token in _CODE_LIKE.findall(line) if token in catalogue.promotions]
    return tuple(dict.fromkeys(codes))


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def review(
    text: str,
    *,
    pricing: Pricing,
    offerings_ordered: Mapping[str, str],
    item_markets: Mapping[str, str | None],
    catalogue: Catalogue,
    markets: MarketPolicies,
) -> list[Difference]:
    """The differences between what the text states and the order's priced quote (`offerings_ordered`: each item's
    offering as ordered), the catalogue and the clauses the items' markets require; numbered from 1."""
    priced = {item.item_id: item for item in pricing.items}
    stated = {}
    for item in read_items(text, catalogue):
        stated.setdefault(item.item_id, item)
    quote_source = f"the order's priced quote (catalogue {pricing.catalogue_version or catalogue.version})"
    found: list[tuple] = []
    for item in stated.values():
        where = f"line {item.line_number}, item {item.item_id}"
        line = priced.get(item.item_id)
        if line is None:
            found.append((DifferenceKind.ITEM_NOT_ON_ORDER, where, "an item", "no such item", quote_source, item))
            continue
        found += [
            (kind, where, stated_value, expected, source, item)
            for kind, stated_value, expected, source in _item_differences(
                item, line, offering=offerings_ordered.get(item.item_id), catalogue=catalogue, source=quote_source
            )
        ]
    for line in pricing.items:
        if line.item_id not in stated:
            where = f'no "Item {line.item_id}:" line'
            found.append((DifferenceKind.ITEM_MISSING, where, NOT_STATED, _priced(line), quote_source, line))
    words = _words(text)
    for rule in markets.clause_rules(pricing.items, item_markets):
        if _words(rule.text) not in words:
            names = ", ".join(sorted(markets.markets[market] for market in rule.markets))
            source = f"market policy {rule.policy} ({names})"
            found.append((DifferenceKind.LEGAL_CLAUSE, "the legal terms", "missing", rule.text, source, None))
    return [
        Difference(
            number=number,
            kind=kind,
            where=where,
            stated=stated_value,
            expected=expected,
            source=source,
            item_id=item.item_id if item else None,
        )
        for number, (kind, where, stated_value, expected, source, item) in enumerate(found, start=1)
    ]


def _item_differences(
    item: StatedItem, line: PricedItem, *, offering: str | None, catalogue: Catalogue, source: str
) -> list[tuple[DifferenceKind, str, str, str]]:
    differences = []
    ordered = line.offering_id or offering
    if item.offering_id != ordered:
        named = catalogue.offerings.get(ordered)
        expected = f"{named.name} ({ordered})" if named else str(ordered)
        differences.append((DifferenceKind.OFFERING, item.offering_id or NOT_STATED, expected, source))
    prices = ((DifferenceKind.MRC, item.mrc, line.net_mrc), (DifferenceKind.NRC, item.nrc, line.nrc))
    for kind, stated, priced in prices:
        # An item without a one-time charge need not say so.
        if stated != priced and not (stated is None and kind is DifferenceKind.NRC and priced == 0):
            differences.append((kind, dollars(stated) if stated is not None else NOT_STATED, dollars(priced), source))
    if item.term_months != line.term_months:
        stated_term = f"{item.term_months} months" if item.term_months else NOT_STATED
        differences.append((DifferenceKind.TERM, stated_term, f"{line.term_months} months", source))
    applied = {line.promotion_code} - {None}
    for code in item.promotion_codes:
        if code not in catalogue.promotions:
            differences.append(
                (DifferenceKind.PROMOTION, code, "a promotion of the catalogue", f"catalogue {catalogue.version}")
            )
        elif code not in applied:
            why = line.promotion_note or "the order does not carry it"
            differences.append((DifferenceKind.PROMOTION, code, _applied(applied), f"{source}: {why}"))
    for code in sorted(applied - set(item.promotion_codes)):
        differences.append((DifferenceKind.PROMOTION, NOT_STATED, code, source))
    return differences


def _applied(codes: set[str]) -> str:
    return ", ".join(sorted(codes)) or "no promotion"


def _priced(line: PricedItem) -> str:
    return f"{line.offering_id}: MRC {dollars(line.net_mrc)}, NRC {dollars(line.nrc)}, {line.term_months} months"


def accept_difference(proposal: RepProposal, number: int, *, reason: str, by: str, at: datetime) -> RepProposal:
    """The difference accepted as it stands, with the desk's reason; the document is not changed."""
    _ensure_in_review(proposal)
    difference = next((d for d in proposal.differences if d.number == number), None)
    if difference is None:
        raise RepProposalRefused(f"rep proposal {proposal.id} has no difference {number}")
    if not difference.open:
        raise RepProposalRefused(
            f"difference {number} of rep proposal {proposal.id} was accepted by {difference.accepted_by}"
        )
    accepted = replace(difference, accepted_reason=reason, accepted_by=by, accepted_at=at)
    return replace(proposal, differences=tuple(accepted if d.number == number else d for d in proposal.differences))


def approve(proposal: RepProposal, *, live_version: int, by: str, at: datetime) -> RepProposal:
    """The version approved as final: only with no difference open, and only for the order's version in force."""
    _ensure_in_review(proposal)
    if proposal.order_version != live_version:
        raise RepProposalRefused(
            f"rep proposal {proposal.id} is of order version {proposal.order_version}; the order is at version"
            f" {live_version}: upload the proposal again to review it against the corrected order"
        )
    if still_open := [d for d in proposal.differences if d.open]:
        numbers = ", ".join(str(d.number) for d in still_open)
        raise RepProposalRefused(
            f"rep proposal {proposal.id} has open differences ({numbers}): upload a corrected version, or accept"
            " each with a reason"
        )
    return replace(proposal, state=RepProposalState.APPROVED, approved_by=by, approved_at=at)


def _ensure_in_review(proposal: RepProposal) -> None:
    if proposal.state is not RepProposalState.IN_REVIEW:
        raise RepProposalRefused(f"rep proposal {proposal.id} (version {proposal.version}) is {proposal.state}")
