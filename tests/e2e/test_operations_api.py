"""Every service's operations API, for SREs only: its dead letters with their records, a replay through the service's
own replay topic, a discard, each resolved once with who, when and why; and its consumer lag and outbox backlog."""

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import pytest

from orderdesk_shared.auth import Role
from orderdesk_shared.events.catalogue import REPLAY_SOURCE_TOPIC_HEADER, replay_topic
from orderdesk_shared.events.intake import OrderValidated
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.provision import asyncpg_dsn
from orderdesk_stack.stack import Stack
from orderdesk_stack.testing import eventually
from tests.conftest import bearer, first_record_for, publish_poison_record

pytestmark = pytest.mark.e2e

SERVICE = "serviceability"


async def order_serviceability_dead_lettered(
    stack: Stack,
    intake: httpx.AsyncClient,
    *,
    seed: int,
    while_serviceability_is_down: Callable[[], Awaitable[None]] | None = None,
) -> str:
    """A new order whose validated record serviceability dead-lettered: a row it must write to decide was held from
    outside, so the record timed out on every attempt. The row is let go before this returns the order's id."""
    [generated] = generate_orders(1, seed=seed, invalid_share=0.0)
    holder = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database="orderdesk"))
    held = holder.transaction()
    try:
        # Serviceability must not decide the order before the row is held.
        await asyncio.to_thread(stack.stop, SERVICE)
        rep = bearer(stack, generated.submitted_by, Role.SALES_REP)
        created = await intake.post(PRODUCT_ORDER_PATH, json=generated.body, headers=rep)
        assert created.status_code == 201, created.text
        order_id = created.json()["id"]
        await held.start()
        await holder.execute(
            "INSERT INTO serviceability.qualifications (order_id, order_version, outcome, order_document, sites,"
            " findings) VALUES ($1, 1, 'qualified', '{}', '[]', '[]')",
            order_id,
        )
        if while_serviceability_is_down is not None:
            await while_serviceability_is_down()
        await asyncio.to_thread(stack.restart, SERVICE)
        sre = bearer(stack, "sre-1", Role.SRE)
        async with httpx.AsyncClient(base_url=stack.service_url(SERVICE), timeout=10.0) as api:
            await eventually(lambda: _dead_letters_of(api, sre, order_id), lambda found: len(found) == 1, timeout=120)
        await held.rollback()
    finally:
        await holder.close()
        if not stack.supervisor.is_alive(SERVICE):
            await asyncio.to_thread(stack.restart, SERVICE)
    return order_id


async def _dead_letters_of(api: httpx.AsyncClient, sre: dict, order_id: str, state: str = "open") -> list[dict]:
    response = await api.get("/ops/dead-letters", params={"topic": OrderValidated.topic, "state": state}, headers=sre)
    assert response.status_code == 200, response.text
    return [letter for letter in response.json() if letter["key"] == order_id]


@pytest.fixture
async def api(stack: Stack):
    async with httpx.AsyncClient(base_url=stack.service_url(SERVICE), timeout=30.0) as client:
        yield client


async def test_an_sre_finds_a_dead_letter_with_its_record_and_discards_it_once(stack: Stack, api) -> None:
    order_id = f"PO-OPS-{secrets.token_hex(4).upper()}"
    event_id = (await publish_poison_record(stack, order_id)).headers["ce_id"]
    sre = bearer(stack, "sre-7", Role.SRE)

    [letter] = await eventually(lambda: _dead_letters_of(api, sre, order_id), lambda found: len(found) == 1)
    assert letter["consumer"] == SERVICE
    assert letter["headers"]["ce_id"] == event_id
    assert letter["payloadFormat"] == "json"
    assert letter["payload"]["order"] == {"items": "not a list"}
    assert letter["errorClass"] == "ValidationError"
    assert letter["reason"].startswith("invalid payload")
    assert letter["resolution"] is None
    by_reason = await api.get("/ops/dead-letters", params={"reason": "INVALID PAYLOAD"}, headers=sre)
    assert letter["id"] in [found["id"] for found in by_reason.json()]
    assert int(by_reason.headers["X-Total-Count"]) >= 1

    async def status_read():
        return (await api.get("/ops/status", headers=sre)).json()

    def past_the_dead_letter(status: dict) -> bool:
        """The consumer's position on the dead letter's partition, as of its last lag check, is past it."""
        return any(
            (partition["topic"], partition["partition"]) == (OrderValidated.topic, letter["partition"])
            and partition["position"] > letter["offset"]
            and partition["lag"] == partition["end"] - partition["position"]
            for partition in status["consumer"]["partitions"]
        )

    status = await eventually(status_read, past_the_dead_letter, timeout=30)
    assert status["consumer"]["group"] == SERVICE
    assert OrderValidated.topic in status["consumer"]["topics"]
    assert status["outbox"]["backlog"] >= 0
    assert status["deadLetters"]["open"] >= 1

    discarded = await api.post(
        f"/ops/dead-letters/{letter['id']}/discard", json={"note": "a forged record: nothing to do"}, headers=sre
    )
    assert discarded.status_code == 200, discarded.text
    resolution = discarded.json()["resolution"]
    assert (resolution["action"], resolution["by"], resolution["note"]) == (
        "discarded",
        "sre-7",
        "a forged record: nothing to do",
    )
    assert await _dead_letters_of(api, sre, order_id) == []
    [audited] = await _dead_letters_of(api, sre, order_id, state="resolved")
    assert audited["resolution"] == resolution

    for action in ("discard", "replay"):
        again = await api.post(f"/ops/dead-letters/{letter['id']}/{action}", json={"note": ""}, headers=sre)
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        assert "discarded by sre-7" in again.json()["detail"]


async def test_a_replay_goes_through_the_services_replay_topic_and_the_order_moves_on(
    stack: Stack, intake, api
) -> None:
    order_id = await order_serviceability_dead_lettered(stack, intake, seed=1718)
    sre = bearer(stack, "sre-7", Role.SRE)
    [letter] = await _dead_letters_of(api, sre, order_id)
    assert (letter["errorClass"], letter["readFrom"]) == ("HandlerTimeout", OrderValidated.topic)

    replayed = await api.post(f"/ops/dead-letters/{letter['id']}/replay", json={"note": "row let go"}, headers=sre)
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["resolution"]["action"] == "replayed"

    # The record as it was, on serviceability's own replay topic (it writes no topic intake owns), naming its topic.
    replay = await first_record_for(stack.kafka_admin, replay_topic(SERVICE), order_id)
    headers = {name: value.decode() for name, value in replay.headers}
    assert json.loads(replay.value) == letter["payload"]
    assert (headers["ce_id"], headers["ce_type"]) == (letter["headers"]["ce_id"], OrderValidated.event_type)
    assert headers["traceparent"].split("-")[1] == letter["headers"]["traceparent"].split("-")[1]
    assert headers[REPLAY_SOURCE_TOPIC_HEADER] == OrderValidated.topic

    qualified = await first_record_for(stack.kafka_admin, ServiceabilityQualified.topic, order_id, timeout=60)
    assert dict(qualified.headers)["ce_type"].decode() == ServiceabilityQualified.event_type
    assert await _dead_letters_of(api, sre, order_id) == []


async def test_a_replay_that_fails_again_is_a_dead_letter_of_its_topic_read_from_the_replay_topic(
    stack: Stack, api
) -> None:
    order_id = f"PO-OPS-{secrets.token_hex(4).upper()}"
    event_id = (await publish_poison_record(stack, order_id)).headers["ce_id"]
    sre = bearer(stack, "sre-7", Role.SRE)
    [letter] = await eventually(lambda: _dead_letters_of(api, sre, order_id), lambda found: len(found) == 1)

    replayed = await api.post(f"/ops/dead-letters/{letter['id']}/replay", json={"note": "fixed?"}, headers=sre)
    assert replayed.status_code == 200, replayed.text

    # Still unreadable, so serviceability dead-letters it again: the same record, of the same topic.
    [again] = await eventually(lambda: _dead_letters_of(api, sre, order_id), lambda found: len(found) == 1)
    assert again["id"] != letter["id"]
    assert (again["topic"], again["readFrom"]) == (OrderValidated.topic, replay_topic(SERVICE))
    assert again["headers"]["ce_id"] == event_id
    assert again["payload"] == letter["payload"]


async def test_only_an_sre_may_use_the_operations_api_and_an_unknown_dead_letter_is_not_found(
    stack: Stack, api
) -> None:
    specialist = bearer(stack, "dana", Role.SPECIALIST)
    for method, path in (
        ("GET", "/ops/dead-letters"),
        ("GET", "/ops/status"),
        ("POST", "/ops/dead-letters/1/replay"),
        ("POST", "/ops/dead-letters/1/discard"),
    ):
        body = {"note": ""} if method == "POST" else None
        assert (await api.request(method, path, json=body, headers=specialist)).status_code == 403
        assert (await api.request(method, path, json=body)).status_code == 401

    sre = bearer(stack, "sre-7", Role.SRE)
    unknown = 2**62
    for method, path in (
        ("GET", f"/ops/dead-letters/{unknown}"),
        ("POST", f"/ops/dead-letters/{unknown}/replay"),
        ("POST", f"/ops/dead-letters/{unknown}/discard"),
    ):
        response = await api.request(method, path, json={"note": ""} if method == "POST" else None, headers=sre)
        assert response.status_code == 404
        assert response.json()["detail"] == f"no dead letter {unknown}"
    too_long = await api.post(f"/ops/dead-letters/{unknown}/discard", json={"note": "x" * 5000}, headers=sre)
    assert too_long.status_code == 422
    assert too_long.json()["invalid_params"][0]["field"] == "note"
