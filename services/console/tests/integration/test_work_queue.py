"""The desk's work queue and dashboard from orders' real timelines: what waits for the desk, and what has ended."""

import uuid
from datetime import UTC, datetime

import pytest

from console import repository
from orderdesk_shared.auth import Role
from orderdesk_shared.events.fallout import FalloutKind
from orderdesk_shared.events.fulfillment import HandOffCancelled
from orderdesk_shared.events.operations import OpsStatus
from orderdesk_shared.events.order import Stage
from services.console.tests.builders import keep_events
from services.console.tests.integration.conftest import browse_as, row_text

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


@pytest.fixture
async def desk(console):
    """A specialist's browser on the console's pages."""
    app, _ = console
    async with await browse_as(app, "dana", Role.SPECIALIST) as browser:
        yield browser


def _queued(page: str) -> set[str]:
    return {chunk.split('"', 1)[0] for chunk in page.split('<tr data-order-id="')[1:]}


async def test_a_failed_install_waits_in_the_queue_with_its_reason_until_operations_gives_a_new_date(
    database, desk, journeys
):
    order_id = f"PO-{uuid.uuid4().hex[:8]}"
    failed = journeys.operations(OpsStatus.FAILED, "2", reason="no access to the riser", order_id=order_id)
    await keep_events(database, *journeys.every_stage(order_id), failed, start=START)

    queue = (await desk.get("/queue")).text
    assert row_text(queue, "data-order-id", order_id).startswith(
        f"{order_id} Acme Corp ratified failed Operations failed the installation: no access to the riser specialist"
    )
    page = (await desk.get(f"/orders/{order_id}")).text
    assert '<dd id="items">item 1: inProgress; item 2: failed</dd>' in page

    rescheduled = journeys.operations(OpsStatus.RESCHEDULED, "2", order_id=order_id)
    await keep_events(database, rescheduled, start=START.replace(hour=18))
    assert order_id not in _queued((await desk.get("/queue")).text)
    await keep_events(
        database, journeys.operations(OpsStatus.INSTALLED, order_id=order_id), start=START.replace(hour=19)
    )
    async with database.engine.connect() as connection:
        row = await repository.Orders(connection).get(order_id)
    assert (row["state"], row["blocker"]) == ("completed", None)


async def test_cancels_being_assessed_wait_in_the_queue_and_ended_orders_do_not(database, desk, journeys):
    assessed, sent_on, cancelled, completed = (f"PO-{uuid.uuid4().hex[:8]}" for _ in range(4))
    for order_id in (assessed, sent_on, cancelled, completed):
        await keep_events(database, *journeys.every_stage(order_id), start=START)
    for order_id in (assessed, sent_on):
        requested = journeys.fallout(
            FalloutKind.CANCELLATION_REQUESTED, Stage.RATIFIED, "CANCELLED", "the customer moved", order_id=order_id
        )
        await keep_events(database, requested, start=START.replace(hour=16))
    stop = HandOffCancelled(order_id=sent_on, order_version=1, reason="the customer moved", requested_by="dana")
    await keep_events(database, stop, start=START.replace(hour=17))
    await keep_events(
        database, journeys.operations(OpsStatus.CANCELLED, order_id=cancelled), start=START.replace(hour=17)
    )
    await keep_events(
        database, journeys.operations(OpsStatus.INSTALLED, order_id=completed), start=START.replace(hour=17)
    )

    queue = (await desk.get("/queue")).text
    assert {assessed, sent_on} <= _queued(queue)
    assert not {cancelled, completed} & _queued(queue)
    assert " assessingCancellation the customer moved operations " in row_text(queue, "data-order-id", assessed)
    assert " pendingCancellation the customer moved operations " in row_text(queue, "data-order-id", sent_on)
    timeline = (await desk.get(f"/orders/{sent_on}")).text
    assert "Operations asked to stop the work: the customer moved" in timeline

    async with database.engine.connect() as connection:
        figures = await repository.Orders(connection).figures(now=START.replace(hour=20))
    per_state = {state["state"]: state["orders"] for state in figures["perState"]}
    assert {name: per_state[name] for name in ("assessingCancellation", "pendingCancellation", "partial")} == {
        "assessingCancellation": 1,
        "pendingCancellation": 1,
        "partial": 0,
    }
    aging = {row["stage"]: sum(row["orders"]) for row in figures["agingByStage"]["perStage"]}
    assert aging["ratified"] == 2  # the two cancels under way are open; the cancelled and completed orders ended
