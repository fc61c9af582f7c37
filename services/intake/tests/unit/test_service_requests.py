"""Service requests the desk opens for other departments: when each kind is due in business days, the changes a
request takes and who may make them, and the handlers on the in-memory unit of work."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.domain.service_requests import (
    Change,
    ChangeRefused,
    InvalidRequest,
    Opening,
    change_request,
    is_overdue,
    may_change,
    open_request,
)
from intake.handlers import change_service_request, open_service_request
from orderdesk_shared.auth import Role
from orderdesk_shared.events.intake import ServiceRequestChanged, ServiceRequestStatus

from ..builders import SEED_RULES, generated_order
from .test_desk_and_pipeline_handlers import _submitted

KINDS = SEED_RULES.service_requests
CHICAGO = ZoneInfo("America/Chicago")
# A Wednesday morning at the office, two days before Christmas.
WEDNESDAY = datetime(2026, 12, 23, 10, 0, tzinfo=CHICAGO)


def _opened(kind: str = "engineering-review", *, now: datetime = WEDNESDAY, **asked):
    return open_request(
        KINDS,
        Opening(kind, "check the fibre route to the second site", **asked),
        request_id="SR-1",
        order_id="PO-1",
        order_version=2,
        opened_by="spec-ana",
        now=now,
    )


def test_a_request_is_due_its_kinds_business_days_later_skipping_weekends_and_holidays() -> None:
    # Thursday, then (Christmas Friday and the weekend closed) Monday: two business days.
    assert _opened("billing-fix").kept.request.due_at == datetime(2026, 12, 28, 10, 0, tzinfo=CHICAGO)
    # Three business days from a Saturday count from Monday's start: Thursday midnight.
    saturday = datetime(2026, 12, 5, 9, 0, tzinfo=CHICAGO)
    assert _opened(now=saturday).kept.request.due_at == datetime(2026, 12, 10, 0, 0, tzinfo=CHICAGO)


def test_a_request_goes_to_its_kinds_team_unless_the_desk_names_an_owner_and_due_time() -> None:
    opened = _opened("construction").kept.request
    assert (opened.department, opened.owner, opened.status) == ("operations", "construction", "open")
    due = WEDNESDAY + timedelta(hours=4)
    named = _opened("construction", owner="crew-7", due_at=due).kept.request
    assert (named.owner, named.due_at) == ("crew-7", due)


def test_opening_tells_the_order_of_the_new_request() -> None:
    event = _opened().event
    assert isinstance(event, ServiceRequestChanged)
    assert (event.order_id, event.order_version, event.previous_status) == ("PO-1", 2, None)
    assert event.request.opened_by == event.request.changed_by == "spec-ana"


def test_an_unknown_kind_or_a_due_time_passed_is_refused_at_its_field() -> None:
    with pytest.raises(InvalidRequest) as unknown:
        _opened("plumbing")
    assert unknown.value.field == "kind"
    assert "engineering-review" in str(unknown.value)
    with pytest.raises(InvalidRequest) as passed:
        _opened(due_at=WEDNESDAY - timedelta(minutes=1))
    assert passed.value.field == "dueAt"


def test_a_request_is_started_then_done_with_who_when_and_the_note() -> None:
    opened = _opened().kept
    later = WEDNESDAY + timedelta(hours=2)
    started = change_request(opened, Change(status=ServiceRequestStatus.IN_PROGRESS), by="eng-bo", now=later)
    done = change_request(
        started.kept, Change(status=ServiceRequestStatus.DONE, note="route fine"), by="eng-bo", now=later
    )
    request = done.kept.request
    assert (request.status, request.changed_by, request.changed_at, request.note) == (
        "done",
        "eng-bo",
        later,
        "route fine",
    )
    assert done.event.previous_status == ServiceRequestStatus.IN_PROGRESS
    assert done.event.previous_owner is None


def test_reassigning_names_the_previous_owner() -> None:
    moved = change_request(_opened().kept, Change(owner="eng-cy"), by="spec-ana", now=WEDNESDAY)
    assert (moved.kept.request.owner, moved.event.previous_owner) == ("eng-cy", "network-engineering")
    assert moved.kept.request.status == ServiceRequestStatus.OPEN


@pytest.mark.parametrize("ended", [ServiceRequestStatus.DONE, ServiceRequestStatus.CANCELLED])
def test_an_ended_request_takes_no_change(ended: ServiceRequestStatus) -> None:
    closed = change_request(_opened().kept, Change(status=ended), by="spec-ana", now=WEDNESDAY).kept
    for change in (Change(status=ServiceRequestStatus.OPEN), Change(owner="eng-cy")):
        with pytest.raises(ChangeRefused, match=f"is {ended}"):
            change_request(closed, change, by="spec-ana", now=WEDNESDAY)


def test_a_change_that_changes_nothing_is_refused() -> None:
    with pytest.raises(InvalidRequest):
        change_request(_opened().kept, Change(status=ServiceRequestStatus.OPEN), by="spec-ana", now=WEDNESDAY)


def test_the_department_of_a_kind_changes_its_requests_and_a_specialist_any() -> None:
    construction = _opened("construction").kept.request
    engineering = _opened().kept.request
    assert may_change(KINDS, construction, {Role.OPERATIONS})
    assert not may_change(KINDS, engineering, {Role.OPERATIONS})
    assert not may_change(KINDS, construction, {Role.FINANCE})
    assert may_change(KINDS, engineering, {Role.SPECIALIST})


def test_an_open_request_past_its_due_time_is_overdue_until_it_ends() -> None:
    opened = _opened().kept
    after = opened.request.due_at + timedelta(seconds=1)
    assert not is_overdue(opened.request, now=opened.request.due_at)
    assert is_overdue(opened.request, now=after)
    done = change_request(opened, Change(status=ServiceRequestStatus.DONE), by="eng-bo", now=after).kept
    assert not is_overdue(done.request, now=after)


async def test_the_handlers_keep_the_request_and_emit_each_change(uow, context) -> None:
    stored = await _submitted(uow, generated_order("PO-SR1"))
    now = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    opened = await open_service_request(
        stored, Opening("engineering-review", "check the route"), uow, kinds=KINDS, by="spec-ana", now=now
    )
    done = await change_service_request(
        opened, Change(status=ServiceRequestStatus.DONE), uow, by="spec-ana", now=now + timedelta(hours=1)
    )
    assert uow.service_requests.kept[opened.request.id] == done
    told = [event for event in uow.events if isinstance(event, ServiceRequestChanged)]
    assert [(event.order_id, event.request.status) for event in told] == [("PO-SR1", "open"), ("PO-SR1", "done")]
