"""Pricing-approval's capital review actions: a specialist confirms an order's capital inputs or flags one site's
input for the team that owns it (the order is held while the flag is open), and the flag is resolved with the team's
answer (the order goes on once nothing else holds it)."""

from datetime import datetime

from orderdesk_shared import access
from orderdesk_shared.auth import Principal
from orderdesk_shared.events.fallout import FalloutKind
from orderdesk_shared.telemetry import ORDER_VERSION, order_step
from pricing_approval.domain.capital_review import (
    CapitalInput,
    CapitalReview,
    FlagStatus,
    ReviewRefused,
    Team,
    confirm,
    flag,
    new_review_id,
    refusal_to_resolve,
    released,
)
from pricing_approval.domain.decisions import fallout
from pricing_approval.domain.records import StoredQuote
from pricing_approval.handlers import CONFLICT, FORBIDDEN, MISSING, Refused, ensure_may, go_on_when_ready, not_priced
from pricing_approval.unit_of_work import PricingUnitOfWork


async def review_capital(
    uow: PricingUnitOfWork,
    *,
    order_id: str,
    reviewer: Principal,
    item_id: str | None,
    doubted: CapitalInput | None,
    reason: str | None,
    team: Team | None,
    now: datetime,
) -> CapitalReview:
    """Flag one site's input (with `doubted`) and hold the order until it is resolved; without one, confirm the
    capital inputs of the order's latest version as they stand."""
    async with order_step(uow, order_id, "review capital") as step:
        quote = await _quote_to_review(uow, order_id, reviewer)
        step.set_attribute(ORDER_VERSION, quote.order_version)
        reviews = await uow.capital_reviews.of_version(order_id, quote.order_version)
        try:
            if doubted is None:
                open_flags = [review for review in reviews if review.status is FlagStatus.OPEN]
                review = confirm(quote, open_flags=open_flags, by=reviewer.subject, at=now, id=new_review_id())
            else:
                review = flag(
                    quote,
                    item_id=item_id,
                    doubted=doubted,
                    reason=reason,
                    team=team,
                    by=reviewer.subject,
                    at=now,
                    id=new_review_id(),
                )
        except ReviewRefused as refused:
            raise Refused(CONFLICT, str(refused)) from refused
        await uow.capital_reviews.add(review)
        if review.status is FlagStatus.OPEN:
            await go_on_when_ready(uow, quote, now=now)
        return review


async def resolve_capital_flag(
    uow: PricingUnitOfWork, *, order_id: str, flag_id: str, resolver: Principal, resolution: str, now: datetime
) -> CapitalReview:
    """Resolve an open flag with the team's answer: the order is released from it, and approved when nothing else
    holds it."""
    async with order_step(uow, order_id, "resolve capital flag") as step:
        quote = await _quote_to_review(uow, order_id, resolver)
        step.set_attribute(ORDER_VERSION, quote.order_version)
        review = await uow.capital_reviews.get(flag_id, for_update=True)
        if review is None or review.order_id != order_id:
            raise Refused(MISSING, f"order {order_id} has no capital flag {flag_id}")
        if refused := refusal_to_resolve(review, roles=resolver.roles):
            raise Refused(CONFLICT if review.status is not FlagStatus.OPEN else FORBIDDEN, refused)
        await uow.capital_reviews.resolve(flag_id, resolution=resolution, by=resolver.subject, at=now)
        resolved = await uow.capital_reviews.get(flag_id)
        uow.emit(fallout(quote, FalloutKind.RELEASED, [released(resolved, quote)]))
        await go_on_when_ready(uow, quote, now=now)
        return resolved


async def _quote_to_review(uow: PricingUnitOfWork, order_id: str, person: Principal) -> StoredQuote:
    """The order's latest quote, locked as decisions lock it, when the person may decide on the order (nobody reviews
    the capital of an order they submitted, corrected or are named on) and the version is live."""
    quote = await uow.quotes.get(order_id, for_update=True)
    if quote is None:
        raise Refused(MISSING, not_priced(order_id))
    await ensure_may(uow, person, quote, access.OrderAction.DECIDE)
    if dead := await uow.orders.refusal(order_id, version=quote.order_version):
        raise Refused(CONFLICT, dead)
    return quote
