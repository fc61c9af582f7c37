"""What a decision on an order version changes: the decision to store, the site surveys to open and the events that
tell the rest of OrderDesk (qualified, released, held, pending, rejected); and a survey's jeopardy. Pure: the
handlers fetch, call these, store and emit."""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from orderdesk_shared.events.base import Fact
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.order import ProductOrder, Stage
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from serviceability.domain.qualification import SITE_SURVEY_REQUIRED, OrderDecision, Outcome, SurveyFindings
from serviceability.domain.rules import Rules

_FALLOUT_KIND = {
    Outcome.HELD: FalloutKind.HELD,
    Outcome.PENDING: FalloutKind.PENDING,
    Outcome.REJECTED: FalloutKind.REJECTED,
}


class Survey(Protocol):
    """A site survey as stored."""

    survey_id: str
    order_id: str
    order_version: int
    item_id: str
    site: str
    state: str
    due_at: datetime
    distance_to_fiber_ft: int | None


@dataclass(frozen=True)
class SurveyToOpen:
    """A survey task for a site of a held order."""

    item_id: str
    location_id: str | None
    site: str
    reach: str
    opened_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class SurveyReport:
    """What a surveyor found on site."""

    surveyor: str
    distance_to_fiber_ft: int
    notes: str | None
    photos: list[str]


@dataclass(frozen=True)
class Verdict:
    """A decision on an order version: `decision` to store, `surveys_to_open`, whether it `supersedes_older_surveys`
    (a new version decided afresh no longer needs the open surveys of the versions before it), and the `events` to
    emit (none when the outcome is as it was)."""

    order_id: str
    order_version: int
    decision: OrderDecision
    surveys_to_open: tuple[SurveyToOpen, ...]
    supersedes_older_surveys: bool
    events: tuple[Fact, ...]

    @property
    def sites(self) -> list[dict]:
        return [site.summary() for site in self.decision.sites]

    @property
    def findings(self) -> list[dict]:
        return [finding.model_dump(mode="json", by_alias=True, exclude_none=True) for finding in self.decision.findings]


def verdict_on(
    order: ProductOrder,
    *,
    order_id: str,
    order_version: int,
    decision: OrderDecision,
    before: Outcome | None,
    rules: Rules,
    now: datetime,
    surveys_open_for: Collection[str] = (),
) -> Verdict:
    """The verdict of `decision` on an order version decided `before` (None: decided for the first time); a held
    order gets a survey for every site that needs one and has none open (`surveys_open_for`: item ids)."""
    surveys = tuple(
        SurveyToOpen(
            item_id=site.request.item_id,
            location_id=site.location.location_id if site.location else None,
            site=site.request.place,
            reach=site.reach,
            opened_at=now,
            due_at=rules.policy.site_survey.due(now),
        )
        for site in decision.sites
        if decision.outcome is Outcome.HELD and site.survey_required and site.request.item_id not in surveys_open_for
    )
    events = _announced(order, order_id, order_version, decision, before=before)
    return Verdict(order_id, order_version, decision, surveys, before is None and order_version > 1, events)


def _announced(
    order: ProductOrder, order_id: str, order_version: int, decision: OrderDecision, *, before: Outcome | None
) -> tuple[Fact, ...]:
    """What changed for the order: qualified (released first if it was held), or held, pending, rejected."""
    outcome = decision.outcome
    if outcome is before:
        return ()

    def fallout(kind: FalloutKind, findings: list[Finding]) -> OrderFallout:
        return OrderFallout(
            order_id=order_id, order_version=order_version, stage=Stage.QUALIFIED, kind=kind, findings=findings
        )

    if outcome is not Outcome.QUALIFIED:
        return (fallout(_FALLOUT_KIND[outcome], decision.findings),)
    qualified = ServiceabilityQualified(
        order_id=order_id,
        order_version=order_version,
        order=order,
        sites=[site.to_event() for site in decision.sites],
    )
    if before is None:
        return (qualified,)
    return fallout(FalloutKind.RELEASED, _survey_results(decision)), qualified


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


def completed_findings(surveys: Iterable[Survey]) -> dict[str, SurveyFindings]:
    """What completed surveys confirmed, by item id."""
    return {
        survey.item_id: SurveyFindings(survey_id=survey.survey_id, distance_to_fiber_ft=survey.distance_to_fiber_ft)
        for survey in surveys
        if survey.state == "completed"
    }


def survey_jeopardy(survey: Survey) -> OrderFallout:
    """The jeopardy of an order whose site survey is open past its SLA."""
    return OrderFallout(
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
