"""The console and intake's TMF622 API never disagree: the console's fold of an order's timeline gives the state,
stage, findings and item states `order_state` gives for the same facts, after every fact of every journey."""

from datetime import UTC, datetime, timedelta

import pytest

from console.domain.timeline import Recorded, entry_for, fold
from orderdesk_shared.events.base import Event
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.fulfillment import HandOffCancelled
from orderdesk_shared.events.operations import OpsStatus
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.order_state import fact_of
from orderdesk_shared.order_state import fold as fold_facts
from services.console.tests.conftest import Journeys

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
JOURNEYS = Journeys()


ops = JOURNEYS.operations


def fallout(kind: FalloutKind, stage: Stage, code: str, message: str, version: int = 1) -> OrderFallout:
    return JOURNEYS.fallout(kind, stage, code, message, version=version)


def straight() -> list[Event]:
    return [*JOURNEYS.every_stage(), ops(OpsStatus.ACCEPTED), ops(OpsStatus.SCHEDULED), ops(OpsStatus.INSTALLED)]


def failed_rescheduled_installed() -> list[Event]:
    return [
        *JOURNEYS.every_stage(),
        ops(OpsStatus.SCHEDULED),
        ops(OpsStatus.FAILED, reason="no access to the riser"),
        fallout(FalloutKind.JEOPARDY, Stage.RATIFIED, "TIMEOUT", "half the SLA is used"),
        ops(OpsStatus.RESCHEDULED),
        ops(OpsStatus.INSTALLED),
    ]


def cancelled_before_hand_off() -> list[Event]:
    received, validated, qualified, priced, approved, handed_off, _ = JOURNEYS.every_stage()
    return [
        received,
        validated,
        qualified,
        fallout(FalloutKind.PENDING, Stage.PRICED, "PRICING_APPROVAL_REQUIRED", "sales_director approval required"),
        priced,
        fallout(FalloutKind.CANCELLED, Stage.PRICED, "CANCELLED", "the customer withdrew"),
        approved,  # a late approval, and what would follow it, change nothing
        handed_off,
        ops(OpsStatus.INSTALLED),
    ]


def cancelled_after_hand_off(answer: OpsStatus) -> list[Event]:
    return [
        *JOURNEYS.every_stage(),
        ops(OpsStatus.SCHEDULED),
        fallout(FalloutKind.CANCELLATION_REQUESTED, Stage.RATIFIED, "CANCELLED", "the customer withdrew"),
        HandOffCancelled(order_id="PO-1", order_version=1, reason="the customer withdrew", requested_by="dana"),
        ops(OpsStatus.RESCHEDULED),
        ops(answer, reason="as asked"),
    ]


def partial() -> list[Event]:
    return [
        *JOURNEYS.every_stage(),
        ops(OpsStatus.FAILED, "2", reason="vendor loop down"),
        ops(OpsStatus.INSTALLED, "1"),
        ops(OpsStatus.RESCHEDULED, "2"),
        ops(OpsStatus.CANCELLED, "2"),
    ]


def corrected() -> list[Event]:
    first_version = JOURNEYS.every_stage(version=1)
    return [
        first_version[0],
        JOURNEYS.rejection(version=1),
        *JOURNEYS.every_stage(version=2)[:3],
        first_version[2],  # late news of the version the correction replaced
        fallout(FalloutKind.HELD, Stage.QUALIFIED, "SITE_SURVEY_REQUIRED", "a site survey is needed", version=2),
        fallout(FalloutKind.RELEASED, Stage.QUALIFIED, "SITE_SURVEY_REQUIRED", "surveyed", version=2),
        *JOURNEYS.every_stage(version=2)[3:],
        ops(OpsStatus.INSTALLED, version=1),
    ]


JOURNEY_OUTCOMES = {
    "straight": (straight(), OrderState.COMPLETED),
    "failed, rescheduled, installed": (failed_rescheduled_installed(), OrderState.COMPLETED),
    "cancelled before the hand-off": (cancelled_before_hand_off(), OrderState.CANCELLED),
    "cancelled after the hand-off": (cancelled_after_hand_off(OpsStatus.CANCELLED), OrderState.CANCELLED),
    "cancelled too late": (cancelled_after_hand_off(OpsStatus.INSTALLED), OrderState.COMPLETED),
    "partial": (partial(), OrderState.PARTIAL),
    "corrected": (corrected(), OrderState.IN_PROGRESS),
}


@pytest.mark.parametrize(("events", "outcome"), JOURNEY_OUTCOMES.values(), ids=JOURNEY_OUTCOMES.keys())
def test_the_console_shows_every_step_of_a_journey_as_the_tmf622_mapping_does(events, outcome):
    lines = [
        entry_for(event, Recorded(f"m{n}", "test", START + timedelta(minutes=n), event.topic, None))
        for n, event in enumerate(events)
    ]
    facts = [fact for event in events if (fact := fact_of(event)) is not None]
    for seen in range(1, len(events) + 1):
        row = fold(lines[:seen])
        status = fold_facts(fact_of(event) for event in events[:seen] if fact_of(event) is not None)
        shown = (row.order_version, row.stage, row.state, row.findings, row.item_states)
        mapped = (
            status.version,
            status.stage,
            status.state,
            list(status.findings),
            {item: str(status.item_state(item)) for item in status.item_ids},
        )
        assert shown == mapped, f"after {events[seen - 1].event_type} ({seen} of {len(events)})"
    assert fold_facts(facts).state is outcome
