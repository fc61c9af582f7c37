"""The console's live pages against a real console process under uvicorn: a change reaches an open page's stream,
and streams end when the page closes and when the console shuts down."""

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from console.pages import TOKEN_COOKIE
from orderdesk_shared.auth import Role
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_stack.processes import free_ports
from orderdesk_stack.testing import eventually, session_token_signer
from services.console.tests.builders import order_row, save_rows

pytestmark = pytest.mark.integration

HELD = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


@pytest.fixture
async def console_process(
    database, kafka_admin, tmp_path
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str, Path]]:
    """The console served by uvicorn as the stack serves it, but with no graceful-shutdown timeout: a stream that
    outlived the shutdown would keep the process up for good. Its log goes to a file."""
    [port] = free_ports(1)
    log_path = tmp_path / "console.log"
    env = os.environ | {
        "CONSOLE_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        **kafka_admin.env("CONSOLE_KAFKA_"),
    }
    command = ["-m", "uvicorn", "--factory", "console.main:create_app", "--port", str(port), "--no-access-log"]
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(sys.executable, *command, env=env, stdout=log, stderr=log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base_url) as client:

            async def health() -> int | None:
                try:
                    return (await client.get("/healthz")).status_code
                except httpx.TransportError:  # not listening yet
                    return None

            await eventually(health, lambda status: status == 200, what="the console to answer /healthz", pause=0.2)
        yield process, base_url, log_path
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def _signed_in(base_url: str, name: str) -> httpx.AsyncClient:
    token = session_token_signer().mint(name, [Role.SPECIALIST])
    return httpx.AsyncClient(base_url=base_url, cookies={TOKEN_COOKIE: token}, timeout=httpx.Timeout(10, read=None))


async def _events(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """The (event, data) pairs of a server-sent event stream, as a browser's EventSource reads them."""
    name, data = "message", []
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data.append(line.removeprefix("data: "))
        elif not line and data:
            yield name, "\n".join(data)
            name, data = "message", []


async def _live_pages(client: httpx.AsyncClient) -> float:
    metrics = (await client.get("/metrics/")).text
    return float(next(line for line in metrics.splitlines() if line.startswith("console_live_pages ")).split()[1])


async def _held_order(database, order_id: str) -> None:
    row = order_row(
        order_id,
        stage=Stage.QUALIFIED,
        state=OrderState.HELD,
        since=HELD,
        blocker="a site survey is needed",
        assignee="specialist",
    )
    await save_rows(database, row)


async def test_an_open_order_page_hears_of_an_assignment_and_its_stream_ends_when_it_closes(console_process, database):
    _, base_url, _ = console_process
    await _held_order(database, "PO-L1")
    async with _signed_in(base_url, "dana") as dana, _signed_in(base_url, "eve") as eve:
        async with dana.stream("GET", "/orders/PO-L1/live") as stream:
            events = _events(stream)
            first = [await anext(events), await anext(events)]
            assert [name for name, _ in first] == ["facts", "timeline"]
            assert '<dd id="assigned-to">nobody</dd>' in first[0][1]
            assert await _live_pages(dana) == 1

            await eve.post("/orders/PO-L1/assign", data={"assignee": "dana"})
            facts, timeline = await anext(events), await anext(events)
            assert '<dd id="assigned-to">dana</dd>' in facts[1]
            assert "assigned to dana" in timeline[1]

        # the server hears the page close in its own time
        await eventually(lambda: _live_pages(dana), lambda open_pages: open_pages == 0, what="no live page", pause=0.1)


async def test_the_console_shuts_down_with_live_pages_open_and_their_streams_end(console_process):
    process, base_url, log_path = console_process
    async with (
        _signed_in(base_url, "sam") as sam,
        sam.stream("GET", "/dashboard/live") as dashboard,
        sam.stream("GET", "/queue/live") as queue,
    ):
        dashboard_events, queue_events = _events(dashboard), _events(queue)
        assert (await anext(dashboard_events))[0] == "figures"
        assert (await anext(queue_events))[0] == "rows"
        process.send_signal(signal.SIGTERM)
        # Each stream comes to a proper end of its response rather than hanging open or breaking off.
        assert [name async for name, _ in dashboard_events] == ["tables"]
        assert [name async for name, _ in queue_events] == ["total"]
    # uvicorn shuts down (the lifespan too), then ends itself by the signal it was sent.
    assert await process.wait() == -signal.SIGTERM
    assert "Application shutdown complete." in log_path.read_text()
