"""The work queue's open service requests, kept from intake's orders.service-requests on the real schema: each with
its owner and due time, the overdue marked, a request's latest change winning whatever the order of delivery, and
a done one off the queue; a sales rep sees only their own orders' requests."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from console.handlers import keep_service_requests
from orderdesk_shared.auth import Role
from orderdesk_shared.events.intake import ServiceRequest, ServiceRequestChanged, ServiceRequestStatus
from orderdesk_shared.telemetry import Traced
from services.console.tests.builders import keep_events
from services.console.tests.integration.conftest import browse_as, row_text

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def _change(order_id: str, request_id: str, status: ServiceRequestStatus, *, due_at: datetime, minutes: int):
    request = ServiceRequest(
        id=request_id,
        kind="construction",
        title="Construction",
        department="operations",
        owner="crew-7",
        description="lay the lateral",
        due_at=due_at,
        status=status,
        opened_by="dana",
        opened_at=START,
        changed_by="dana",
        changed_at=START + timedelta(minutes=minutes),
    )
    previous = None if status == ServiceRequestStatus.OPEN else ServiceRequestStatus.OPEN
    return ServiceRequestChanged(order_id=order_id, order_version=1, request=request, previous_status=previous)


async def _kept(database, *changes: ServiceRequestChanged) -> None:
    async with database.unit_of_work() as uow:
        await keep_service_requests(uow, [Traced.here(change) for change in changes])


async def test_open_requests_are_queued_with_owner_and_due_time_until_done(database, console, journeys):
    app, _ = console
    order_id = f"PO-{uuid.uuid4().hex[:8]}"
    late, later = f"SR-{uuid.uuid4().hex[:8]}", f"SR-{uuid.uuid4().hex[:8]}"
    received, validated, *_ = journeys.every_stage(order_id)
    await keep_events(database, received, validated, start=START)
    past, future = START + timedelta(days=2), datetime(2099, 1, 4, 16, 0, tzinfo=UTC)
    await _kept(
        database,
        _change(order_id, late, ServiceRequestStatus.OPEN, due_at=past, minutes=1),
        _change(order_id, later, ServiceRequestStatus.OPEN, due_at=future, minutes=2),
    )

    async with await browse_as(app, "dana", Role.SPECIALIST) as desk:
        queue = (await desk.get("/queue")).text
        assert row_text(queue, "id", f"service-request-{late}") == (
            f"Construction {late} {order_id} operations crew-7 2026-12-02 15:00 UTC overdue open lay the lateral"
        )
        assert row_text(queue, "id", f"service-request-{later}").endswith("2099-01-04 16:00 UTC open lay the lateral")

        # Done, then the opening delivered again late: it stays done, off the queue.
        await _kept(database, _change(order_id, late, ServiceRequestStatus.DONE, due_at=past, minutes=3))
        await _kept(database, _change(order_id, late, ServiceRequestStatus.OPEN, due_at=past, minutes=1))
        queue = (await desk.get("/queue")).text
        assert f"service-request-{late}" not in queue and f"service-request-{later}" in queue

    async with await browse_as(app, "rep-999", Role.SALES_REP) as stranger:
        assert f"service-request-{later}" not in (await stranger.get("/queue")).text
