"""Serviceability's handlers against its real, migrated schema and the shipped seed inventory."""

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.fallout import FalloutKind, Finding, OrderFallout
from orderdesk_shared.events.intake import OrderCorrected, OrderValidated
from orderdesk_shared.events.order import Stage
from orderdesk_shared.events.serviceability import NetworkReach, ServiceabilityQualified
from serviceability.domain.verdict import SurveyReport
from serviceability.handlers import (
    SurveyNotOpen,
    close_surveys_of_cancelled_order,
    close_surveys_of_corrected_versions,
    complete_site_survey,
    qualify_sites,
    raise_survey_jeopardy,
)
from services.serviceability.tests.builders import NEAR_NET_950_FT, NOT_IN_INVENTORY, OFF_NET, ON_NET, validated
from services.serviceability.tests.integration.conftest import CONTEXT, emitted

pytestmark = pytest.mark.integration


async def test_an_on_net_order_is_qualified_once(database, order_id):
    event = validated(order_id, ("DIA-FIBER", ON_NET), ("SIP-TRUNK", ON_NET))
    for _ in range(2):
        await _qualify(database, event)

    [qualified] = await emitted(database, ServiceabilityQualified, order_id)
    assert [(site.item_id, site.location_id, site.reach) for site in qualified.sites] == [
        ("1", "LOC-CHI-0001", NetworkReach.ON_NET),
        ("2", "LOC-CHI-0001", NetworkReach.ON_NET),
    ]
    assert qualified.order == event.order
    assert await emitted(database, OrderFallout, order_id) == []


async def test_a_near_net_order_is_held_until_its_survey_completes_then_released_with_the_new_estimate(
    database, order_id
):
    monday_before_christmas = datetime(2026, 12, 21, 16, 30, tzinfo=UTC)
    await _qualify(
        database,
        validated(order_id, ("DIA-FIBER", NEAR_NET_950_FT)),
        dataclasses.replace(CONTEXT, clock=lambda: monday_before_christmas),
    )
    [survey] = await surveys_of(database, order_id, 1)
    [held] = await emitted(database, OrderFallout, order_id)
    assert (held.kind, [f.reason_code for f in held.findings]) == (FalloutKind.HELD, ["SITE_SURVEY_REQUIRED"])
    assert "$57,750.00" in held.findings[0].message  # 15,000 + 45 x 950 ft
    assert (survey.state, survey.location_id) == ("open", "LOC-CHI-0003")
    # Five business days: the weekend and Christmas Day (a Friday) are skipped.
    assert (survey.opened_at, survey.due_at) == (monday_before_christmas, datetime(2026, 12, 29, 16, 30, tzinfo=UTC))

    await _survey_finds(database, survey, 640, notes="conduit on 106th", photos=("p1",))
    _, released = await emitted(database, OrderFallout, order_id)
    assert (released.order_id, released.order_version, released.kind) == (order_id, 1, FalloutKind.RELEASED)
    [qualified] = await emitted(database, ServiceabilityQualified, order_id)
    [site] = qualified.sites
    assert (site.reach, site.distance_to_fiber_ft, site.construction_estimate, site.site_survey_id) == (
        NetworkReach.NEAR_NET,
        640,
        Decimal("43800.00"),
        survey.survey_id,
    )


async def test_an_order_with_two_surveys_is_released_only_after_the_second(database, order_id):
    await _qualify(database, validated(order_id, ("DIA-FIBER", NEAR_NET_950_FT), ("EPL", NOT_IN_INVENTORY)))
    first, second = await surveys_of(database, order_id, 1)
    for survey in (first, second):
        await _survey_finds(database, survey, 300)
        kinds = [fallout.kind for fallout in await emitted(database, OrderFallout, order_id)]
        if survey is first:
            assert kinds == [FalloutKind.HELD]
            assert await emitted(database, ServiceabilityQualified, order_id) == []
    assert kinds == [FalloutKind.HELD, FalloutKind.RELEASED]
    [qualified] = await emitted(database, ServiceabilityQualified, order_id)
    assert [site.construction_estimate for site in qualified.sites] == [Decimal("28500.00"), Decimal("28500.00")]


async def test_a_survey_finding_the_plant_too_far_for_voice_rejects_the_held_order(database, order_id):
    await _qualify(database, validated(order_id, ("SIP-TRUNK", NEAR_NET_950_FT)))
    [survey] = await surveys_of(database, order_id, 1)
    await _survey_finds(database, survey, 1400)
    assert [fallout.kind for fallout in await emitted(database, OrderFallout, order_id)] == [
        FalloutKind.HELD,
        FalloutKind.REJECTED,
    ]


async def test_one_off_net_voice_site_rejects_a_multi_site_order_naming_that_site(database, order_id):
    await _qualify(database, validated(order_id, ("DIA-FIBER", OFF_NET), ("HOSTED-VOICE", OFF_NET), ("EPL", ON_NET)))
    assert await surveys_of(database, order_id, 1) == []
    [rejected] = await emitted(database, OrderFallout, order_id)
    assert rejected.kind is FalloutKind.REJECTED
    [finding] = rejected.findings
    assert (finding.reason_code, finding.field_path) == ("NOT_SERVICEABLE", "items[1].location")
    assert "293 W Adams St" in finding.message


async def test_an_off_net_internet_site_is_qualified_with_the_vendor_cost(database, order_id):
    await _qualify(database, validated(order_id, ("DIA-FIBER", OFF_NET)))
    [qualified] = await emitted(database, ServiceabilityQualified, order_id)
    assert [(site.reach, site.vendor_mrc_cost) for site in qualified.sites] == [
        (NetworkReach.OFF_NET, Decimal("550.00"))
    ]


async def test_a_corrected_order_version_is_decided_afresh_and_supersedes_the_open_survey(database, order_id):
    await _qualify(database, validated(order_id, ("DIA-FIBER", NOT_IN_INVENTORY)))
    await _qualify(database, validated(order_id, ("DIA-FIBER", ON_NET), version=2))
    await _qualify(database, validated(order_id, ("DIA-FIBER", NOT_IN_INVENTORY), version=1))  # late news
    [old_survey] = await surveys_of(database, order_id, 1)
    assert old_survey.state == "superseded"
    [qualified] = await emitted(database, ServiceabilityQualified, order_id)
    assert qualified.order_version == 2


async def test_of_two_versions_in_one_transaction_only_the_later_is_decided(database, order_id):
    async with database.unit_of_work() as uow:
        await qualify_sites(validated(order_id, ("DIA-FIBER", NOT_IN_INVENTORY)), uow, CONTEXT)
        await qualify_sites(validated(order_id, ("DIA-FIBER", ON_NET), version=2), uow, CONTEXT)
    assert await surveys_of(database, order_id, 1) == []
    assert await emitted(database, OrderFallout, order_id) == []
    [qualified] = await emitted(database, ServiceabilityQualified, order_id)
    assert qualified.order_version == 2


async def test_the_orders_of_one_transaction_are_decided_each_on_its_own_sites(database):
    on_net, off_net = f"ORD-{uuid.uuid4().hex[:8]}", f"ORD-{uuid.uuid4().hex[:8]}"
    async with database.unit_of_work() as uow:
        await qualify_sites(validated(on_net, ("DIA-FIBER", ON_NET)), uow, CONTEXT)
        await qualify_sites(validated(off_net, ("DIA-FIBER", OFF_NET)), uow, CONTEXT)
    [first] = await emitted(database, ServiceabilityQualified, on_net)
    [second] = await emitted(database, ServiceabilityQualified, off_net)
    assert [site.reach for site in first.sites + second.sites] == [NetworkReach.ON_NET, NetworkReach.OFF_NET]


async def _qualify(database, event: OrderValidated, context: ServiceContext = CONTEXT) -> None:
    """Qualifies the order's sites in a transaction of its own, as the consumer handles each event."""
    async with database.unit_of_work() as uow:
        await qualify_sites(event, uow, context)


async def _survey_finds(
    database, survey, distance_to_fiber_ft: int, *, notes: str | None = None, photos: tuple[str, ...] = ()
) -> None:
    """Sam completes the survey, finding the fiber `distance_to_fiber_ft` away."""
    report = SurveyReport(surveyor="sam", distance_to_fiber_ft=distance_to_fiber_ft, notes=notes, photos=list(photos))
    async with database.unit_of_work() as uow:
        await complete_site_survey(survey.survey_id, report, uow, CONTEXT)


async def surveys_of(database, order_id: str, version: int) -> list:
    async with database.unit_of_work() as uow:
        return await uow.surveys.of_version(order_id, version)


async def test_a_survey_past_its_sla_raises_jeopardy_once(database, order_id):
    await _qualify(database, validated(order_id, ("DIA-FIBER", NEAR_NET_950_FT)))
    [survey] = await surveys_of(database, order_id, 1)

    async def jeopardy_after_a_check_at(now: datetime) -> list[OrderFallout]:
        async with database.unit_of_work() as uow:
            await raise_survey_jeopardy(uow, now=now)
        return [f for f in await emitted(database, OrderFallout, order_id) if f.kind is FalloutKind.JEOPARDY]

    assert await jeopardy_after_a_check_at(survey.due_at - timedelta(seconds=1)) == []
    [jeopardy] = await jeopardy_after_a_check_at(survey.due_at)
    assert await jeopardy_after_a_check_at(survey.due_at + timedelta(days=3)) == [jeopardy]
    [finding] = jeopardy.findings
    assert finding.reason_code == "TIMEOUT"
    assert survey.survey_id in finding.message


async def test_cancelling_a_held_order_closes_its_survey(database, order_id):
    await _qualify(database, validated(order_id, ("DIA-FIBER", NEAR_NET_950_FT)))
    [survey] = await surveys_of(database, order_id, 1)
    for kind in (FalloutKind.HELD, FalloutKind.CANCELLED):
        fallout = OrderFallout(
            order_id=order_id,
            order_version=1,
            stage=Stage.VALIDATED,
            kind=kind,
            findings=[Finding(reason_code=kind.upper(), message="the customer withdrew")],
        )
        async with database.unit_of_work() as uow:
            await close_surveys_of_cancelled_order(fallout, uow, CONTEXT)
            [survey] = await uow.surveys.of_version(order_id, 1)
        assert survey.state == ("cancelled" if kind is FalloutKind.CANCELLED else "open")

    with pytest.raises(SurveyNotOpen):
        await _survey_finds(database, survey, 10)
    async with database.unit_of_work() as uow:
        await raise_survey_jeopardy(uow, now=survey.due_at + timedelta(days=1))
    assert [fallout.kind for fallout in await emitted(database, OrderFallout, order_id)] == [FalloutKind.HELD]


async def test_a_correction_rejected_by_intake_closes_the_survey_of_the_version_it_replaces(database, order_id):
    await _qualify(database, validated(order_id, ("DIA-FIBER", NEAR_NET_950_FT)))
    # Version 2 fails validation, so it never reaches serviceability: the correction itself is the news.
    async with database.unit_of_work() as uow:
        await close_surveys_of_corrected_versions(
            OrderCorrected(order_id=order_id, order_version=2, corrected_by="dana"), uow, CONTEXT
        )
        [survey] = await uow.surveys.of_version(order_id, 1)
    assert survey.state == "superseded"
