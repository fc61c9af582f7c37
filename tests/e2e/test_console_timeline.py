"""The console's timeline of an order that crossed every service, and a rebuild from the topics giving the same."""

import asyncio
import os
import secrets
import sys
from pathlib import Path

import httpx
import pytest

from orderdesk_shared.auth import Role
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from tests.conftest import bearer

pytestmark = pytest.mark.e2e

STAGES = ["received", "validated", "qualified", "priced", "approved", "handed-off", "ratified"]


@pytest.fixture
async def console(stack):
    async with httpx.AsyncClient(base_url=stack.service_url("console"), timeout=30.0) as client:
        client.headers.update(bearer(stack, "sre-1", Role.SRE))
        yield client


async def _read_model(console: httpx.AsyncClient) -> dict:
    """Every order's row, each with its timeline, as the console's API shows them."""
    rows = (await console.get("/console/orders", params={"limit": 500})).json()
    return {row["id"]: (await console.get(f"/console/orders/{row['id']}")).json() for row in rows}


async def _settled(console: httpx.AsyncClient) -> dict:
    """The read model once two looks a second apart agree (what is in flight has landed)."""
    previous = await _read_model(console)
    while True:
        await asyncio.sleep(1.0)
        current = await _read_model(console)
        if current == previous:
            return current
        previous = current


async def test_an_orders_timeline_shows_every_stage_in_its_trace_and_a_rebuild_gives_the_same(stack, intake, console):
    trace_id = secrets.token_hex(16)
    [generated] = generate_orders(1, seed=4242, invalid_share=0.0)
    created = await intake.post(
        PRODUCT_ORDER_PATH,
        json=generated.body,
        headers=bearer(stack, "rep-001", Role.SALES_REP) | {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
    )
    order_id = created.json()["id"]

    async def console_row() -> dict | None:
        response = await console.get(f"/console/orders/{order_id}")
        return response.json() if response.status_code == 200 else None

    order = await eventually(
        console_row,
        lambda row: row is not None and row["stage"] == "ratified",
        what=f"{order_id} ratified in the console",
    )
    assert (order["state"], order["traceId"], order["submittedBy"]) == ("inProgress", trace_id, "rep-001")
    timeline = order["timeline"]
    assert [line["kind"] for line in timeline] == STAGES
    assert [line["at"] for line in timeline] == sorted(line["at"] for line in timeline)
    assert {line["traceId"] for line in timeline} == {trace_id}
    assert [line["who"] for line in timeline][:1] == ["rep-001"]

    before = await _settled(console)
    rebuild = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "console-rebuild"),
        env=os.environ
        | {
            "CONSOLE_DATABASE_URL": stack.service_database_url("console"),
            **stack.kafka_connection_for("console").env("CONSOLE_KAFKA_"),
        },
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await rebuild.communicate()
    assert rebuild.returncode == 0
    assert output.decode().startswith("rebuilt the console's timelines from ")
    assert await _read_model(console) == before
    assert before[order_id]["timeline"] == timeline
