"""A service started while Kafka or Postgres is down is alive at once, says what it waits for, answers requests
that need the database with 503 and Retry-After, and becomes ready when its dependency returns."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from orderdesk_shared.auth import Role
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from tests.conftest import bearer

pytestmark = pytest.mark.e2e


async def test_a_service_started_while_kafka_is_down_is_alive_and_ready_once_kafka_is_back(stack):
    async with _started_while_down(stack, "kafka", "commission") as commission:
        readiness = await commission.get("/readyz")
        assert readiness.status_code == 503
        assert readiness.json()["checks"]["kafka"] in ("starting", "down")
        assert readiness.json()["checks"]["database"] == "ok"


async def test_a_service_started_while_postgres_is_down_is_alive_and_answers_503_until_it_is_back(stack):
    async with _started_while_down(stack, "postgres", "intake") as intake:
        readiness = await intake.get("/readyz")
        assert readiness.status_code == 503
        assert readiness.json()["checks"]["database"] == "down"
        order = await intake.get(f"{PRODUCT_ORDER_PATH}/PO-NOT-THERE", headers=bearer(stack, "sre-1", Role.SRE))
        assert order.status_code == 503
        assert order.headers["content-type"] == "application/json"
        assert order.headers["retry-after"] == "5"


@contextlib.asynccontextmanager
async def _started_while_down(stack, dependency: str, service: str) -> AsyncIterator[httpx.AsyncClient]:
    """Stop `dependency`, start `service` without waiting and yield a client once it is alive; then bring the
    dependency back and wait until the service is ready on its own (no restart)."""
    await asyncio.to_thread(stack.stop, dependency)
    await asyncio.to_thread(stack.stop, service)
    await asyncio.to_thread(stack.start, service)
    recovered = False
    try:
        async with httpx.AsyncClient(base_url=stack.service_url(service), timeout=5.0) as client:
            await eventually(lambda: _status(client, "/healthz"), lambda status: status == 200, timeout=60)
            yield client
            await asyncio.to_thread(stack.restart, dependency)
            await eventually(lambda: _status(client, "/readyz"), lambda status: status == 200, timeout=90)
            recovered = True
    finally:
        # Whatever failed, the rest of the session gets its stack back.
        if not stack.supervisor.is_alive(dependency):
            await asyncio.to_thread(stack.restart, dependency)
        if not recovered:
            await asyncio.to_thread(stack.restart, service)


async def _status(client: httpx.AsyncClient, path: str) -> int | None:
    try:
        return (await client.get(path)).status_code
    except httpx.TransportError:
        return None
