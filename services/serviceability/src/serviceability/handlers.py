"""Serviceability's handlers: decide a validated order's sites, complete a site survey, raise survey jeopardy."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from opentelemetry.context import Context

from orderdesk_shared.context import ServiceContext, with_context
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.intake import OrderCorrected, OrderValidated
from orderdesk_shared.events.order import ProductOrder, Stage
from orderdesk_shared.events.pricing_approval import CataloguePublished
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from orderdesk_shared.logs import get_logger
from orderdesk_shared.reference import CATALOGUE, ReferenceBook
from orderdesk_shared.telemetry import Traced, order_step
from serviceability import repository
from serviceability.domain.qualification import (
    SITE_SURVEY_REQUIRED,
    OrderDecision,
    Outcome,
    decide_order,
    site_requests,
)
from serviceability.domain.rules import Rules

log = get_logger(__name__)

_FALLOUT_KIND = {
    Outcome.HELD: FalloutKind.HELD,
    Outcome.PENDING: FalloutKind.PENDING,
    Outcome.REJECTED: FalloutKind.REJECTED,
}


async def qualify_sites(event: OrderValidated, uow: UnitOfWork, context: ServiceContext[ReferenceBook[Rules]]) -> None:
    """Decide every site of a validated order: it goes on qualified, or is held, pending or rejected with findings
    (with the other orders of the transaction, before it commits: see qualify_orders)."""
    uow.before_commit(with_context(qualify_orders, context), event)


async def qualify_orders(
    uow: UnitOfWork, validated: Sequence[Traced[OrderValidated]], context: ServiceContext[ReferenceBook[Rules]]
) -> None:
    """Decide the validated orders of a transaction: their locations read in one statement and their decisions
    stored in one. A version that a later one in the same transaction replaces is left, as when it comes late."""
    rules, now = await context.rules.within(uow.connection), context.clock()
    latest: dict[str, int] = {}
    for traced in validated:
        latest[traced.item.order_id] = max(latest.get(traced.item.order_id, 0), traced.item.order_version)
    live: dict[tuple[str, int], Traced[OrderValidated]] = {}
    for traced in validated:
        if traced.item.order_version == latest[traced.item.order_id]:
            # A version told twice (a resend under a new event id) is decided once.
            live.setdefault((traced.item.order_id, traced.item.order_version), traced)
    events = [traced.item for traced in live.values()]
    requests = [site_requests(event.order, rules) for event in events]
    matched = await repository.match_locations_of_orders(uow.connection, requests)
    decisions = [decide_order(*decided, rules) for decided in zip(requests, matched, strict=True)]
    recorded = await repository.record_decisions(
        uow.connection,
        [
            repository.NewDecision(
                order_id=event.order_id,
                order_version=event.order_version,
                outcome=decision.outcome,
                order_document=event.order.model_dump(mode="json", by_alias=True, exclude_none=True),
                sites=[site.summary() for site in decision.sites],
                findings=_dumped(decision.findings),
            )
            for event, decision in zip(events, decisions, strict=True)
        ],
    )
    for traced, event, decision in zip(live.values(), events, decisions, strict=True):
        if (event.order_id, event.order_version) not in recorded:
            log.info("decided before, or a later version was", order_id=event.order_id, version=event.order_version)
            continue
        if event.order_version > 1:
            # A new version is decided afresh: the surveys of older ones are not needed any more.
            await repository.close_open_surveys(
                uow.connection, event.order_id, state="superseded", before_version=event.order_version
            )
        if decision.outcome is Outcome.HELD:
            await _open_surveys(uow, event.order_id, event.order_version, decision, rules=rules, now=now)
        _announce(
            uow, event.order_id, event.order_version, event.order, decision, before=None, trace=traced.trace_context
        )


async def close_surveys_of_cancelled_order(event: OrderFallout, uow: UnitOfWork, context: ServiceContext) -> None:
    """A cancelled order needs no site survey any more: its open surveys are closed (other fallout changes nothing)."""
    if event.kind in (FalloutKind.CANCELLED, FalloutKind.CANCELLATION_REQUESTED):
        await repository.close_open_surveys(uow.connection, event.order_id, state="cancelled")


async def close_surveys_of_corrected_versions(event: OrderCorrected, uow: UnitOfWork, context: ServiceContext) -> None:
    """A version corrected since needs no site survey, even when the correction is not valid and never comes here."""
    await repository.close_open_surveys(
        uow.connection, event.order_id, state="superseded", before_version=event.order_version
    )


class SurveyNotOpen(Exception):
    """The survey was completed already, its order version superseded, or the order cancelled."""


async def complete_site_survey(
    survey_id: str,
    uow: UnitOfWork,
    context: ServiceContext[ReferenceBook[Rules]],
    *,
    surveyor: str,
    distance_to_fiber_ft: int,
    notes: str | None,
    photos: list[str],
) -> OrderDecision | None:
    """Record a survey's findings and decide the order again with the confirmed distance; None if no such survey.

    The order is released (and qualified) once its last open survey is completed and every site can be served.
    """
    now = context.clock()
    survey = await repository.get_survey(uow.connection, survey_id, for_update=True)
    if survey is None:
        return None
    if survey.state != "open":
        raise SurveyNotOpen(f"survey {survey_id} is {survey.state}")
    async with order_step(uow, survey.order_id, "complete site survey", version=survey.order_version):
        await repository.complete_survey(
            uow.connection,
            survey_id,
            surveyor=surveyor,
            distance_to_fiber_ft=distance_to_fiber_ft,
            notes=notes,
            photos=photos,
            completed_at=now,
        )
        stored = await repository.get_decision(uow.connection, survey.order_id, survey.order_version, for_update=True)
        order = ProductOrder.model_validate(stored.order_document)
        rules = await context.rules.within(uow.connection)
        surveys = await repository.surveys_of(uow.connection, survey.order_id, survey.order_version)
        decision = await _decide(uow, order, rules, surveys=surveys)
        await repository.update_decision(
            uow.connection,
            order_id=survey.order_id,
            order_version=survey.order_version,
            outcome=decision.outcome,
            sites=[site.summary() for site in decision.sites],
            findings=_dumped(decision.findings),
        )
        if decision.outcome is Outcome.HELD:
            await _open_surveys(
                uow, survey.order_id, survey.order_version, decision, rules=rules, now=now, open_before=surveys
            )
        _announce(uow, survey.order_id, survey.order_version, order, decision, before=Outcome(stored.outcome))
        return decision


async def raise_survey_jeopardy(uow: UnitOfWork, *, now: datetime) -> int:
    """Put in jeopardy, once each, the orders whose site survey is open past its SLA; how many were raised."""
    overdue = await repository.claim_overdue_surveys(uow.connection, now=now)
    for survey in overdue:
        async with order_step(uow, survey.order_id, "site survey past due", version=survey.order_version):
            uow.emit(
                OrderFallout(
                    order_id=survey.order_id,
                    order_version=survey.order_version,
                    stage=Stage.QUALIFIED,
                    kind=FalloutKind.JEOPARDY,
                    findings=[
                        Finding(
                            reason_code="TIMEOUT",
                            message=(
                                f"site survey {survey.survey_id} of item {survey.item_id} at {survey.site} is open "
                                f"past its SLA (due {survey.due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"
                            ),
                            fix="Operations: complete the survey, or escalate it to the survey team's lead.",
                        )
                    ],
                )
            )
    return len(overdue)


async def _decide(uow: UnitOfWork, order: ProductOrder, rules: Rules, *, surveys: list[sa.Row]) -> OrderDecision:
    requests = site_requests(order, rules)
    matched = await repository.match_locations(uow.connection, requests)
    return decide_order(requests, matched, rules, surveys=repository.completed_findings(surveys))


async def _open_surveys(
    uow: UnitOfWork,
    order_id: str,
    order_version: int,
    decision: OrderDecision,
    *,
    rules: Rules,
    now: datetime,
    open_before: Sequence[sa.Row] = (),
) -> None:
    """A survey task for every site of a held order that needs one and has none open."""
    already = {survey.item_id for survey in open_before if survey.state == "open"}
    for site in decision.sites:
        if site.survey_required and site.request.item_id not in already:
            await repository.open_survey(
                uow.connection,
                survey_id=f"SRV-{uuid.uuid4().hex[:10].upper()}",
                order_id=order_id,
                order_version=order_version,
                item_id=site.request.item_id,
                location_id=site.location.location_id if site.location else None,
                site=site.request.place,
                reach=site.reach,
                opened_at=now,
                due_at=rules.policy.site_survey.due(now),
            )


def _announce(
    uow: UnitOfWork,
    order_id: str,
    order_version: int,
    order: ProductOrder,
    decision: OrderDecision,
    *,
    before: Outcome | None,
    trace: Context | None = None,
) -> None:
    """Record what changed for the order: qualified (released first if it was held), or held, pending, rejected.

    `trace`: the order's trace context, when the decision is taken outside it (for a batch)."""
    outcome = decision.outcome
    if outcome is before:
        return

    def fallout(kind: FalloutKind, findings: list[Finding]) -> OrderFallout:
        return OrderFallout(
            order_id=order_id, order_version=order_version, stage=Stage.QUALIFIED, kind=kind, findings=findings
        )

    if outcome is not Outcome.QUALIFIED:
        uow.emit(fallout(_FALLOUT_KIND[outcome], decision.findings), trace_context=trace)
        return
    if before is not None:
        uow.emit(fallout(FalloutKind.RELEASED, _survey_results(decision)), trace_context=trace)
    uow.emit(
        ServiceabilityQualified(
            order_id=order_id,
            order_version=order_version,
            order=order,
            sites=[site.to_event() for site in decision.sites],
        ),
        trace_context=trace,
    )


def _survey_results(decision: OrderDecision) -> list[Finding]:
    return [
        Finding(
            reason_code=SITE_SURVEY_REQUIRED,
            field_path=site.request.field_path,
            message=(
                f"site survey {site.survey.survey_id} confirmed {site.distance_to_fiber_ft:,} ft to our plant at "
                f"{site.request.place}: {site.reach}"
                + (f", construction estimated at ${site.construction_estimate:,}" if site.construction_estimate else "")
            ),
        )
        for site in decision.sites
        if site.survey is not None
    ]


def _dumped(findings: list[Finding]) -> list[dict]:
    return [finding.model_dump(mode="json", by_alias=True, exclude_none=True) for finding in findings]


async def follow_catalogue(
    published: CataloguePublished, uow: UnitOfWork, context: ServiceContext[ReferenceBook[Rules]]
) -> None:
    """Decide sites for the offerings of the catalogue pricing-approval announced, from now on."""
    document = published.model_dump(mode="json", by_alias=True)
    await context.rules.keep(uow.connection, kind=CATALOGUE, version=published.version, document=document)
    log.info("catalogue in force", version=published.version)
