"""Every service's operations API, for SREs only: its dead letters with their records, a replay that puts the record
back on its topic, a discard, each resolved once with who, when and why; and its consumer lag and outbox backlog."""

import json
import secrets

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from orderdesk_shared.auth import Role
from orderdesk_shared.events.intake import OrderValidated
from orderdesk_stack.stack import Stack
from tests.conftest import bearer, eventually

pytestmark = pytest.mark.e2e

SERVICE = "serviceability"


async def _poison(stack: Stack, order_id: str) -> str:
    """A record serviceability cannot read as a validated order (a bug in intake, the topic's owner); its event id."""
    event_id = secrets.token_hex(8)
    payload = json.dumps({"orderId": order_id, "orderVersion": 1, "order": {"items": "not a list"}}).encode()
    headers = {
        "ce_specversion": "1.0",
        "ce_id": event_id,
        "ce_type": OrderValidated.event_type,
        "ce_source": "intake",
        "content-type": "application/json",
    }
    producer = AIOKafkaProducer(**stack.kafka_connection_for("intake").client_options())
    await producer.start()
    try:
        await producer.send_and_wait(
            OrderValidated.topic, payload, key=order_id.encode(), headers=[(k, v.encode()) for k, v in headers.items()]
        )
    finally:
        await producer.stop()
    return event_id


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
    event_id = await _poison(stack, order_id)
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


async def test_a_replay_puts_the_same_record_back_on_its_topic(stack: Stack, api) -> None:
    order_id = f"PO-OPS-{secrets.token_hex(4).upper()}"
    event_id = await _poison(stack, order_id)
    sre = bearer(stack, "sre-7", Role.SRE)
    [letter] = await eventually(lambda: _dead_letters_of(api, sre, order_id), lambda found: len(found) == 1)

    replayed = await api.post(f"/ops/dead-letters/{letter['id']}/replay", json={"note": "fixed?"}, headers=sre)
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["resolution"]["action"] == "replayed"

    # Still unreadable, so serviceability dead-letters it again: the same record, read from a later offset.
    [again] = await eventually(lambda: _dead_letters_of(api, sre, order_id), lambda found: len(found) == 1)
    assert again["id"] != letter["id"]
    assert again["headers"]["ce_id"] == event_id
    assert again["payload"] == letter["payload"]
    assert again["offset"] > letter["offset"] or again["partition"] != letter["partition"]


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
