"""Serviceability's handlers: decide a validated order's sites, complete a site survey, raise survey jeopardy."""

from collections.abc import Sequence
from datetime import datetime

from orderdesk_shared.context import ServiceContext, with_context
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.intake import OrderCorrected, OrderValidated
from orderdesk_shared.events.order import ProductOrder
from orderdesk_shared.events.pricing_approval import CataloguePublished
from orderdesk_shared.logs import get_logger
from orderdesk_shared.reference import CATALOGUE, ReferenceBook
from orderdesk_shared.telemetry import Traced, order_step
from serviceability.domain.qualification import OrderDecision, Outcome, decide_order, site_requests
from serviceability.domain.rules import Rules
from serviceability.domain.verdict import SurveyReport, Verdict, completed_findings, survey_jeopardy, verdict_on
from serviceability.repository import NewDecision
from serviceability.unit_of_work import ServiceabilityUnitOfWork

log = get_logger(__name__)

RulesContext = ServiceContext[ReferenceBook[Rules]]


async def qualify_sites(event: OrderValidated, uow: ServiceabilityUnitOfWork, context: RulesContext) -> None:
    """Decide every site of a validated order: it goes on qualified, or is held, pending or rejected with findings
    (with the other orders of the transaction, before it commits: see qualify_orders)."""
    uow.before_commit(with_context(qualify_orders, context), event)


async def qualify_orders(
    uow: ServiceabilityUnitOfWork, validated: Sequence[Traced[OrderValidated]], context: RulesContext
) -> None:
    """Decide the validated orders of a transaction: their locations read in one statement and their decisions
    stored in one. A version that a later one in the same transaction replaces is left, as when it comes late."""
    rules, now = await uow.reference.rules(context.rules), context.clock()
    live = _latest_versions(validated)
    requests = [site_requests(traced.item.order, rules) for traced in live]
    matched = await uow.locations.match_of_orders(requests)
    verdicts = [
        _first_verdict(traced.item, decide_order(*decided, rules), rules, now)
        for traced, *decided in zip(live, requests, matched, strict=True)
    ]
    recorded = await uow.decisions.record(
        [_new_decision(traced.item, verdict) for traced, verdict in zip(live, verdicts, strict=True)]
    )
    for traced, verdict in zip(live, verdicts, strict=True):
        event = traced.item
        if (event.order_id, event.order_version) not in recorded:
            log.info("decided before, or a later version was", order_id=event.order_id, version=event.order_version)
            continue
        await _keep_surveys(uow, verdict)
        for announced in verdict.events:
            # The order's trace: the decision is taken for the whole batch, outside it.
            uow.emit(announced, trace_context=traced.trace_context)


def _latest_versions(validated: Sequence[Traced[OrderValidated]]) -> list[Traced[OrderValidated]]:
    """The validated orders at their latest version in the batch, each version once (a resend under a new event id
    is decided once)."""
    latest: dict[str, int] = {}
    for traced in validated:
        latest[traced.item.order_id] = max(latest.get(traced.item.order_id, 0), traced.item.order_version)
    live: dict[tuple[str, int], Traced[OrderValidated]] = {}
    for traced in validated:
        if traced.item.order_version == latest[traced.item.order_id]:
            live.setdefault((traced.item.order_id, traced.item.order_version), traced)
    return list(live.values())


def _first_verdict(event: OrderValidated, decision: OrderDecision, rules: Rules, now: datetime) -> Verdict:
    return verdict_on(
        event.order,
        order_id=event.order_id,
        order_version=event.order_version,
        decision=decision,
        before=None,
        rules=rules,
        now=now,
    )


def _new_decision(event: OrderValidated, verdict: Verdict) -> NewDecision:
    return NewDecision(
        order_id=event.order_id,
        order_version=event.order_version,
        outcome=verdict.decision.outcome,
        order_document=event.order.model_dump(mode="json", by_alias=True, exclude_none=True),
        sites=verdict.sites,
        findings=verdict.findings,
    )


async def _keep_surveys(uow: ServiceabilityUnitOfWork, verdict: Verdict) -> None:
    if verdict.supersedes_older_surveys:
        await uow.surveys.close_open(verdict.order_id, state="superseded", before_version=verdict.order_version)
    for survey in verdict.surveys_to_open:
        await uow.surveys.open(verdict.order_id, verdict.order_version, survey)


async def close_surveys_of_cancelled_order(
    event: OrderFallout, uow: ServiceabilityUnitOfWork, context: ServiceContext
) -> None:
    """A cancelled order needs no site survey any more: its open surveys are closed (other fallout changes nothing)."""
    if event.kind in (FalloutKind.CANCELLED, FalloutKind.CANCELLATION_REQUESTED):
        await uow.surveys.close_open(event.order_id, state="cancelled")


async def close_surveys_of_corrected_versions(
    event: OrderCorrected, uow: ServiceabilityUnitOfWork, context: ServiceContext
) -> None:
    """A version corrected since needs no site survey, even when the correction is not valid and never comes here."""
    await uow.surveys.close_open(event.order_id, state="superseded", before_version=event.order_version)


class SurveyNotOpen(Exception):
    """The survey was completed already, its order version superseded, or the order cancelled."""


async def complete_site_survey(
    survey_id: str, report: SurveyReport, uow: ServiceabilityUnitOfWork, context: RulesContext
) -> OrderDecision | None:
    """Record a survey's findings and decide the order again with the confirmed distance; None if no such survey.

    The order is released (and qualified) once its last open survey is completed and every site can be served.
    """
    now = context.clock()
    survey = await uow.surveys.get(survey_id, for_update=True)
    if survey is None:
        return None
    if survey.state != "open":
        raise SurveyNotOpen(f"survey {survey_id} is {survey.state}")
    order_id, version = survey.order_id, survey.order_version
    async with order_step(uow, order_id, "complete site survey", version=version):
        await uow.surveys.complete(survey_id, report, completed_at=now)
        stored = await uow.decisions.get(order_id, version, for_update=True)
        verdict = await _decide_again(uow, stored, await uow.reference.rules(context.rules), now)
        await uow.decisions.update(verdict)
        await _keep_surveys(uow, verdict)
        for announced in verdict.events:
            uow.emit(announced)
        return verdict.decision


async def _decide_again(uow: ServiceabilityUnitOfWork, stored, rules: Rules, now: datetime) -> Verdict:
    """The verdict on a stored decision's order version with what its completed surveys confirmed."""
    order = ProductOrder.model_validate(stored.order_document)
    surveys = await uow.surveys.of_version(stored.order_id, stored.order_version)
    requests = site_requests(order, rules)
    decision = decide_order(requests, await uow.locations.match(requests), rules, surveys=completed_findings(surveys))
    return verdict_on(
        order,
        order_id=stored.order_id,
        order_version=stored.order_version,
        decision=decision,
        before=Outcome(stored.outcome),
        rules=rules,
        now=now,
        surveys_open_for={survey.item_id for survey in surveys if survey.state == "open"},
    )


async def raise_survey_jeopardy(uow: ServiceabilityUnitOfWork, *, now: datetime) -> int:
    """Put in jeopardy, once each, the orders whose site survey is open past its SLA; how many were raised."""
    overdue = await uow.surveys.claim_overdue(now=now)
    for survey in overdue:
        async with order_step(uow, survey.order_id, "site survey past due", version=survey.order_version):
            uow.emit(survey_jeopardy(survey))
    return len(overdue)


async def follow_catalogue(published: CataloguePublished, uow: ServiceabilityUnitOfWork, context: RulesContext) -> None:
    """Decide sites for the offerings of the catalogue pricing-approval announced, from now on."""
    document = published.model_dump(mode="json", by_alias=True)
    await uow.reference.keep(context.rules, kind=CATALOGUE, version=published.version, document=document)
    log.info("catalogue in force", version=published.version)
