"""People on the desk take orders and hand them on, through the console's pages on its real schema."""

from datetime import UTC, datetime

import httpx
import pytest

from console.pages import TOKEN_COOKIE
from orderdesk_shared.auth import Role
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_stack.testing import session_token_signer
from services.console.tests.builders import order_row, save_rows

pytestmark = pytest.mark.integration

RECEIVED = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def _as(console, name: str, role: Role) -> httpx.AsyncClient:
    app, _ = console
    token = session_token_signer().mint(name, [role])
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://console",
        cookies={TOKEN_COOKIE: token},
        headers={"Authorization": f"Bearer {token}"},
    )


async def _rejected_order(database, order_id: str) -> None:
    row = order_row(
        order_id,
        stage=Stage.VALIDATED,
        state=OrderState.REJECTED,
        since=RECEIVED,
        blocker="splits add up to 90",
        assignee="rep-001",
    )
    await save_rows(database, row)


def _queue_ids(page: httpx.Response) -> list[str]:
    return [chunk.split('"', 1)[0] for chunk in page.text.split('data-order-id="')[1:]]


async def test_a_specialist_takes_an_order_hands_it_on_and_the_timeline_says_so(console, database):
    await _rejected_order(database, "PO-A1")
    await _rejected_order(database, "PO-A2")
    async with _as(console, "dana", Role.SPECIALIST) as dana, _as(console, "eve", Role.SPECIALIST) as eve:
        assert _queue_ids(await dana.get("/queue?mine=true")) == []

        taken = await dana.post("/orders/PO-A1/assign", data={"back": "/queue"})
        assert taken.headers["location"].startswith("/queue?notice=PO-A1%20is%20assigned%20to%20dana")
        assert _queue_ids(await dana.get("/queue?mine=true")) == ["PO-A1"]
        assert sorted(_queue_ids(await dana.get("/queue"))) == ["PO-A1", "PO-A2"]

        await dana.post("/orders/PO-A1/assign", data={"assignee": "eve"})
        assert _queue_ids(await dana.get("/queue?mine=true")) == []
        assert _queue_ids(await eve.get("/queue?mine=true")) == ["PO-A1"]

        order = (await eve.get("/console/orders/PO-A1")).json()
    assert (order["assignedTo"], order["assignee"]) == ("eve", "rep-001")
    assert [(line["who"], line["what"]) for line in order["timeline"] if line["kind"] == "assigned"] == [
        ("dana", "took the order"),
        ("dana", "assigned to eve"),
    ]


async def test_only_the_desk_assigns_and_a_rebuild_of_the_read_model_keeps_assignments(console, database):
    await _rejected_order(database, "PO-B1")
    async with _as(console, "rita", Role.SALES_REP) as rita:
        refused = await rita.post("/orders/PO-B1/assign", data={"back": "https://elsewhere.example/"})
    assert refused.headers["location"] == "/orders/PO-B1?notice=Only%20the%20desk%27s%20specialists%20assign%20orders."
    async with _as(console, "dana", Role.SPECIALIST) as dana:
        await dana.post("/orders/PO-B1/assign")
    async with database.unit_of_work() as uow:
        await uow.orders.reset()
        assert [a["assignee"] for a in await uow.assignments.history("PO-B1")] == ["dana"]
