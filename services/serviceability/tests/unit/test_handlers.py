"""Serviceability's handlers on its unit of work in memory, with the shipped rules and seed inventory and a fixed
clock: the events the rest of OrderDesk hears, the decisions and site surveys operations see, the refusals."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.intake import OrderCorrected, OrderValidated
from orderdesk_shared.events.order import (
    Stage,
)
from orderdesk_shared.events.serviceability import NetworkReach, ServiceabilityQualified
from pricing_approval.publication import catalogue_published
from pricing_approval.rules_in_force import load_rules as load_pricing_rules
from pricing_approval.settings import Settings as PricingSettings
from serviceability.domain.verdict import SurveyReport
from serviceability.handlers import (
    SurveyNotOpen,
    close_surveys_of_cancelled_order,
    close_surveys_of_corrected_versions,
    complete_site_survey,
    follow_catalogue,
    qualify_sites,
    raise_survey_jeopardy,
)
from serviceability.rules_in_force import load_rules
from serviceability.settings import Settings
from services.serviceability.tests.builders import NEAR_NET_950_FT, NOT_IN_INVENTORY, OFF_NET, ON_NET, validated
from services.serviceability.tests.unit.fakes import FakeServiceabilityUnitOfWork

# A Monday: a survey opened then is due five business days later, Christmas Day (a Friday) skipped.
NOW = datetime(2026, 12, 21, 16, 30, tzinfo=UTC)
CONTEXT = ServiceContext(rules=load_rules(Settings.model_construct()), clock=lambda: NOW)


async def qualified(uow: FakeServiceabilityUnitOfWork, *events: OrderValidated) -> None:
    """The events delivered in one transaction, decided as it commits."""
    for event in events:
        await qualify_sites(event, uow, CONTEXT)
    await uow.commit()


def surveyed(distance: int) -> SurveyReport:
    return SurveyReport(surveyor="sam", distance_to_fiber_ft=distance, notes="conduit on 106th", photos=["p1"])


async def test_an_on_net_order_is_qualified_once_however_often_it_is_delivered():
    uow = FakeServiceabilityUnitOfWork()
    event = validated("PO-1", ("DIA-FIBER", ON_NET), ("SIP-TRUNK", ON_NET))
    await qualified(uow, event, event)
    await qualified(uow, event)

    [announced] = uow.events
    assert isinstance(announced, ServiceabilityQualified)
    assert [(site.item_id, site.location_id, site.reach) for site in announced.sites] == [
        ("1", "LOC-CHI-0001", NetworkReach.ON_NET),
        ("2", "LOC-CHI-0001", NetworkReach.ON_NET),
    ]
    assert announced.order == event.order
    assert (await uow.decisions.get("PO-1")).outcome == "qualified"


async def test_a_near_net_order_is_held_with_a_survey_due_in_five_business_days():
    uow = FakeServiceabilityUnitOfWork()
    await qualified(uow, validated("PO-1", ("DIA-FIBER", NEAR_NET_950_FT)))

    [held] = uow.events
    assert (held.kind, [finding.reason_code for finding in held.findings]) == (
        FalloutKind.HELD,
        ["SITE_SURVEY_REQUIRED"],
    )
    assert "$57,750.00" in held.findings[0].message  # 15,000 + 45 x 950 ft
    [survey] = await uow.surveys.of_version("PO-1", 1)
    assert (survey.state, survey.location_id, survey.item_id) == ("open", "LOC-CHI-0003", "1")
    assert (survey.opened_at, survey.due_at) == (NOW, datetime(2026, 12, 29, 16, 30, tzinfo=UTC))


async def test_a_completed_survey_releases_the_held_order_with_the_confirmed_estimate():
    uow = FakeServiceabilityUnitOfWork()
    await qualified(uow, validated("PO-1", ("DIA-FIBER", NEAR_NET_950_FT)))
    [survey] = await uow.surveys.of_version("PO-1", 1)

    decision = await complete_site_survey(survey.survey_id, surveyed(640), uow, CONTEXT)

    _, released, announced = uow.events
    assert (released.kind, released.stage) == (FalloutKind.RELEASED, Stage.QUALIFIED)
    assert "confirmed 640 ft" in released.findings[0].message
    [site] = announced.sites
    assert (site.reach, site.distance_to_fiber_ft, site.construction_estimate, site.site_survey_id) == (
        NetworkReach.NEAR_NET,
        640,
        Decimal("43800.00"),
        survey.survey_id,
    )
    assert decision.outcome == (await uow.decisions.get("PO-1", 1)).outcome == "qualified"
    assert (survey.state, survey.surveyor, survey.completed_at) == ("completed", "sam", NOW)


async def test_an_order_with_two_surveys_stays_held_until_the_second_completes():
    uow = FakeServiceabilityUnitOfWork()
    await qualified(uow, validated("PO-1", ("DIA-FIBER", NEAR_NET_950_FT), ("EPL", NOT_IN_INVENTORY)))
    first, second = await uow.surveys.of_version("PO-1", 1)

    await complete_site_survey(first.survey_id, surveyed(300), uow, CONTEXT)
    assert [event.kind for event in uow.events] == [FalloutKind.HELD]
    assert len(await uow.surveys.of_version("PO-1", 1)) == 2  # no survey opened again for the site still open

    await complete_site_survey(second.survey_id, surveyed(300), uow, CONTEXT)
    *_, announced = uow.events
    assert [site.construction_estimate for site in announced.sites] == [Decimal("28500.00"), Decimal("28500.00")]


async def test_a_survey_finding_the_plant_too_far_for_voice_rejects_the_held_order():
    uow = FakeServiceabilityUnitOfWork()
    await qualified(uow, validated("PO-1", ("SIP-TRUNK", NEAR_NET_950_FT)))
    [survey] = await uow.surveys.of_version("PO-1", 1)

    await complete_site_survey(survey.survey_id, surveyed(1400), uow, CONTEXT)

    assert [event.kind for event in uow.events] == [FalloutKind.HELD, FalloutKind.REJECTED]
    assert (await uow.decisions.get("PO-1")).outcome == "rejected"


async def test_a_survey_not_open_is_refused_and_an_unknown_one_is_not_found():
    uow = FakeServiceabilityUnitOfWork()
    await qualified(uow, validated("PO-1", ("DIA-FIBER", NEAR_NET_950_FT)))
    [survey] = await uow.surveys.of_version("PO-1", 1)
    await complete_site_survey(survey.survey_id, surveyed(640), uow, CONTEXT)

    with pytest.raises(SurveyNotOpen, match="is completed"):
        await complete_site_survey(survey.survey_id, surveyed(10), uow, CONTEXT)
    assert await complete_site_survey("SRV-NONE", surveyed(10), uow, CONTEXT) is None
    assert len(uow.events) == 3


async def test_an_order_with_a_site_nobody_can_serve_is_rejected_naming_the_site():
    uow = FakeServiceabilityUnitOfWork()
    await qualified(uow, validated("PO-1", ("DIA-FIBER", OFF_NET), ("HOSTED-VOICE", OFF_NET), ("EPL", ON_NET)))

    [rejected] = uow.events
    assert rejected.kind is FalloutKind.REJECTED
    [finding] = rejected.findings
    assert (finding.reason_code, finding.field_path) == ("NOT_SERVICEABLE", "items[1].location")
    assert await uow.surveys.of_version("PO-1", 1) == []


async def test_of_two_versions_in_one_transaction_only_the_later_is_decided_and_late_news_is_left():
    uow = FakeServiceabilityUnitOfWork()
    await qualified(
        uow, validated("PO-1", ("DIA-FIBER", NOT_IN_INVENTORY)), validated("PO-1", ("DIA-FIBER", ON_NET), version=2)
    )
    await qualified(uow, validated("PO-1", ("DIA-FIBER", NOT_IN_INVENTORY)))

    [announced] = uow.events
    assert (type(announced), announced.order_version) == (ServiceabilityQualified, 2)
    assert await uow.surveys.of_version("PO-1", 1) == []


async def test_a_new_version_supersedes_the_open_surveys_of_the_older_one():
    uow = FakeServiceabilityUnitOfWork()
    await qualified(uow, validated("PO-1", ("DIA-FIBER", NOT_IN_INVENTORY)))
    await qualified(uow, validated("PO-1", ("DIA-FIBER", ON_NET), version=2))

    [old_survey] = await uow.surveys.of_version("PO-1", 1)
    assert old_survey.state == "superseded"
    assert [event.order_version for event in uow.events if isinstance(event, ServiceabilityQualified)] == [2]


@pytest.mark.parametrize(("kind", "state"), [(FalloutKind.CANCELLED, "cancelled"), (FalloutKind.JEOPARDY, "open")])
async def test_only_a_cancelled_order_closes_its_open_surveys(kind, state):
    uow = FakeServiceabilityUnitOfWork()
    await qualified(uow, validated("PO-1", ("DIA-FIBER", NEAR_NET_950_FT)))
    fallout = OrderFallout(
        order_id="PO-1",
        order_version=1,
        stage=Stage.VALIDATED,
        kind=kind,
        findings=[Finding(reason_code=kind.upper(), message="the customer withdrew")],
    )

    await close_surveys_of_cancelled_order(fallout, uow, CONTEXT)

    [survey] = await uow.surveys.of_version("PO-1", 1)
    assert survey.state == state


async def test_a_correction_supersedes_the_surveys_of_the_versions_before_it():
    uow = FakeServiceabilityUnitOfWork()
    await qualified(uow, validated("PO-1", ("DIA-FIBER", NEAR_NET_950_FT)))

    await close_surveys_of_corrected_versions(
        OrderCorrected(order_id="PO-1", order_version=1, corrected_by="dana"), uow, CONTEXT
    )
    [survey] = await uow.surveys.of_version("PO-1", 1)
    assert survey.state == "open"  # the version itself is not before the correction

    await close_surveys_of_corrected_versions(
        OrderCorrected(order_id="PO-1", order_version=2, corrected_by="dana"), uow, CONTEXT
    )
    assert survey.state == "superseded"


async def test_a_survey_past_its_sla_puts_the_order_in_jeopardy_once():
    uow = FakeServiceabilityUnitOfWork()
    await qualified(uow, validated("PO-1", ("DIA-FIBER", NEAR_NET_950_FT)))
    [survey] = await uow.surveys.of_version("PO-1", 1)

    assert await raise_survey_jeopardy(uow, now=survey.due_at - timedelta(seconds=1)) == 0
    assert await raise_survey_jeopardy(uow, now=survey.due_at) == 1
    assert await raise_survey_jeopardy(uow, now=survey.due_at + timedelta(days=3)) == 0

    _, jeopardy = uow.events
    assert (jeopardy.kind, jeopardy.stage) == (FalloutKind.JEOPARDY, Stage.QUALIFIED)
    [finding] = jeopardy.findings
    assert finding.reason_code == "TIMEOUT"
    assert f"site survey {survey.survey_id} of item 1" in finding.message
    assert "due 2026-12-29 16:30 UTC" in finding.message


async def test_an_offering_dropped_from_the_announced_catalogue_no_longer_needs_its_site_decided():
    uow = FakeServiceabilityUnitOfWork()
    published = catalogue_published(load_pricing_rules(PricingSettings.model_construct()).catalogue)
    without_epl = [offering for offering in published.offerings if offering.id != "EPL"]
    await qualified(uow, validated("PO-1", ("EPL", NOT_IN_INVENTORY)))

    await follow_catalogue(
        published.model_copy(update={"version": "catalogue/2", "offerings": without_epl}), uow, CONTEXT
    )
    await qualified(uow, validated("PO-1", ("EPL", NOT_IN_INVENTORY), version=2))

    held, announced = uow.events
    assert (held.order_version, held.kind) == (1, FalloutKind.HELD)
    assert (type(announced), announced.order_version, announced.sites) == (ServiceabilityQualified, 2, [])
