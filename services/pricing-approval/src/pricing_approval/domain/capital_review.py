"""The desk's review of an order's capital, site by site: a specialist confirms the inputs of the capital view or
flags one (a site's distance, bandwidth, term, MRC or construction estimate) with a reason and the team that owns
it; an open flag holds the order at pricing until it is resolved with what the team found.

A specialist flags and confirms. A flag is resolved by a specialist, who records the owning team's answer (the
engineering, construction and sales teams have no role of their own here), or by finance for a flag sent to
finance; never by the order's own people, whose prices and terms are what is being checked. A correction of the
order drops its flags (its capital is recomputed); a cancel closes them.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from orderdesk_shared.auth import Role
from orderdesk_shared.events.fallout import Finding
from pricing_approval.domain.records import StoredQuote
from pricing_approval.domain.workflow import QuoteStatus

CAPITAL_REVIEW_FLAGGED = "CAPITAL_REVIEW_FLAGGED"
# The quotes whose capital is still under review: priced, not yet approved, rejected or ended.
REVIEWABLE_QUOTES = frozenset({QuoteStatus.PENDING_APPROVAL, QuoteStatus.AWAITING_SIGNATURE})


class CapitalInput(StrEnum):
    """An input of a site's capital line a reviewer may doubt."""

    DISTANCE = "distance"
    BANDWIDTH = "bandwidth"
    TERM = "term"
    MRC = "mrc"
    CONSTRUCTION = "construction"


class Team(StrEnum):
    """The department a flag is sent to: the one that owns the input."""

    ENGINEERING = "engineering"
    CONSTRUCTION = "construction"
    SALES = "sales"
    FINANCE = "finance"


# Who resolves a flag sent to a team, besides a specialist: the team's own role, where the desk has one.
TEAM_ROLES = {Team.FINANCE: Role.FINANCE}


class Verdict(StrEnum):
    CONFIRMED = "confirmed"
    FLAGGED = "flagged"


class FlagStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    # No longer under review: the order was corrected (its capital recomputed) or cancelled.
    CLOSED = "closed"


@dataclass(frozen=True)
class CapitalReview:
    """One review of a version's capital: a confirmation of its inputs, or a flag on one site's input."""

    id: str
    order_id: str
    order_version: int
    verdict: Verdict
    reviewed_by: str
    reviewed_at: datetime
    item_id: str | None = None
    doubted_input: CapitalInput | None = None
    reason: str | None = None
    team: Team | None = None
    status: FlagStatus | None = None  # a flag's; None for a confirmation
    resolution: str | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    closed_because: str | None = None


class ReviewRefused(Exception):
    """A review the capital view or the quote's standing does not allow (a 409)."""


def new_review_id() -> str:
    return f"CRV-{uuid.uuid4().hex[:12].upper()}"


def refusal_to_review(quote: StoredQuote) -> str | None:
    """Why the quote's capital cannot be reviewed now; None when it can."""
    capital = quote.pricing.capital if quote.pricing else None
    if capital is None:
        return f"order {quote.order_id} needs no construction: it has no capital to review"
    if quote.status not in REVIEWABLE_QUOTES:
        return f"order {quote.order_id} is {quote.status}: its capital is no longer under review"
    return None


def flag(
    quote: StoredQuote, *, item_id: str, doubted: CapitalInput, reason: str, team: Team, by: str, at: datetime, id: str
) -> CapitalReview:
    """A flag on one site's input of the quote's capital view, open until the team's answer resolves it."""
    _ensure_reviewable(quote)
    sites = [site.item_id for site in quote.pricing.capital.sites]
    if item_id not in sites:
        raise ReviewRefused(
            f"item {item_id} is not among the sites driving the capital of order {quote.order_id}: "
            f"{', '.join(sites) or 'none listed'}"
        )
    return _review(
        quote,
        Verdict.FLAGGED,
        by=by,
        at=at,
        id=id,
        item_id=item_id,
        doubted_input=doubted,
        reason=reason,
        team=team,
        status=FlagStatus.OPEN,
    )


def confirm(quote: StoredQuote, *, open_flags: list[CapitalReview], by: str, at: datetime, id: str) -> CapitalReview:
    """The quote's capital inputs confirmed as they stand; not while a flag on them is open."""
    _ensure_reviewable(quote)
    if open_flags:
        flags = ", ".join(flag.id for flag in open_flags)
        raise ReviewRefused(f"order {quote.order_id} has open capital flags ({flags}): resolve them first")
    return _review(quote, Verdict.CONFIRMED, by=by, at=at, id=id)


def _ensure_reviewable(quote: StoredQuote) -> None:
    if refused := refusal_to_review(quote):
        raise ReviewRefused(refused)


def _review(quote: StoredQuote, verdict: Verdict, *, by: str, at: datetime, id: str, **flagged) -> CapitalReview:
    return CapitalReview(
        id=id,
        order_id=quote.order_id,
        order_version=quote.order_version,
        verdict=verdict,
        reviewed_by=by,
        reviewed_at=at,
        **flagged,
    )


def refusal_to_resolve(review: CapitalReview, *, roles: frozenset[Role]) -> str | None:
    """Why a person with these roles cannot resolve the review; None when they can."""
    if review.status is not FlagStatus.OPEN:
        because = f": {review.closed_because}" if review.closed_because else ""
        return f"capital review {review.id} is {review.status or review.verdict}{because}: nothing to resolve"
    allowed = {Role.SPECIALIST} | ({TEAM_ROLES[review.team]} if review.team in TEAM_ROLES else set())
    if not roles & allowed:
        return f"a flag sent to {review.team} is resolved by {' or '.join(sorted(allowed))}"
    return None


def held(review: CapitalReview, quote: StoredQuote) -> Finding:
    """What holds the order while the flag is open: the site, the input, the reason and the team."""
    return Finding(
        reason_code=CAPITAL_REVIEW_FLAGGED,
        field_path=f"items[{review.item_id}]",
        message=(
            f"{review.reviewed_by} flagged the {review.doubted_input} of {_site(review, quote)} for {review.team}:"
            f" {review.reason} (flag {review.id})"
        ),
        fix=f"{review.team.capitalize()} answers; the desk resolves flag {review.id} with it, or corrects the order.",
    )


def released(review: CapitalReview, quote: StoredQuote) -> Finding:
    """What released the order from the flag: the team's answer as recorded."""
    return Finding(
        reason_code=CAPITAL_REVIEW_FLAGGED,
        field_path=f"items[{review.item_id}]",
        message=(
            f"{review.resolved_by} resolved the {review.doubted_input} flag on {_site(review, quote)} ({review.team}):"
            f" {review.resolution}"
        ),
    )


def _site(review: CapitalReview, quote: StoredQuote) -> str:
    location = next((s.location_id for s in quote.sites if s.item_id == review.item_id and s.location_id), None)
    return f"item {review.item_id}" + (f" at {location}" if location else "")
