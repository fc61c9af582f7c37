"""The AsyncAPI document of the topics: generated from the current catalogue, valid by the official AsyncAPI parser,
and saying what the code does: every topic the stack creates, the event types on each, their schemas and headers,
and who writes and reads each topic as the Kafka ACLs allow."""

import json
from pathlib import Path

import pytest
import yaml

from orderdesk_shared.codec import encode
from orderdesk_shared.events.catalogue import EVENT_MODELS, dead_letter_headers, dead_letter_topic, replay_topic
from orderdesk_shared.events.commission import RosterPublished
from orderdesk_shared.events.compatibility import event_schema, snapshot_path
from orderdesk_shared.events.intake import OrderValidated
from orderdesk_shared.events.order import Account, Channel, OrderItem, OrderType, ProductOrder
from orderdesk_stack.asyncapi import asyncapi_path, render_asyncapi
from orderdesk_stack.catalogue import subscriptions_of
from orderdesk_stack.kafka_access import principals
from orderdesk_stack.node_tools import ASYNCAPI_VALIDATOR
from orderdesk_stack.services import SERVICES
from orderdesk_stack.topics import catalogue_topics

SNAPSHOTS = Path(__file__).parent / "schemas"
DOCUMENT = yaml.safe_load(asyncapi_path().read_text())
MESSAGES = DOCUMENT["components"]["messages"]


def _resolve(node: dict) -> dict:
    """What a reference points at, through references to references."""
    while "$ref" in node:
        path, node = node["$ref"], DOCUMENT
        for part in path.removeprefix("#/").split("/"):
            node = node[part]
    return node


def _event_type(message: dict) -> str | None:
    """The `ce_type` a message's headers fix (None for a dead letter, which keeps whatever it was)."""
    for part in message["headers"].get("allOf", []):
        if "ce_type" in part.get("properties", {}):
            return part["properties"]["ce_type"]["const"]
    return None


def _types_on(channel: dict) -> set[str | None]:
    return {_event_type(_resolve(reference)) for reference in channel["messages"].values()}


def _operations_of(principal: str, action: str) -> dict[str, dict]:
    return {
        name: operation
        for name, operation in DOCUMENT["operations"].items()
        if operation["action"] == action and [tag["name"] for tag in operation["tags"]] == [principal]
    }


def test_the_committed_asyncapi_document_is_generated_from_the_current_catalogue():
    assert asyncapi_path().read_text() == render_asyncapi(), (
        "the AsyncAPI document is stale: run `uv run orderdesk events catalogue`"
    )


def test_the_official_asyncapi_parser_accepts_the_document():
    if not ASYNCAPI_VALIDATOR.is_installed():
        pytest.fail(ASYNCAPI_VALIDATOR.skipped)
    result = ASYNCAPI_VALIDATOR.run(asyncapi_path())
    assert result.returncode == 0, f"the AsyncAPI parser refuses the document:\n{result.stdout}{result.stderr}"
    assert DOCUMENT["asyncapi"] == "3.0.0"


def test_the_parser_check_fails_on_a_document_that_breaks_the_specification(tmp_path):
    if not ASYNCAPI_VALIDATOR.is_installed():
        pytest.fail(ASYNCAPI_VALIDATOR.skipped)
    broken = dict(DOCUMENT, operations={"intake.send.nowhere": {"action": "send", "channel": {"$ref": "#/channels/x"}}})
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken, sort_keys=False))
    result = ASYNCAPI_VALIDATOR.run(path)
    assert result.returncode == 1
    assert "#/channels/x" in result.stdout


def test_every_topic_the_stack_creates_is_a_channel_at_its_address():
    channels = DOCUMENT["channels"]
    assert sorted(channel["address"] for channel in channels.values()) == sorted(catalogue_topics())
    assert all(name == channel["address"] for name, channel in channels.items())


@pytest.mark.parametrize("topic", sorted({model.topic for model in EVENT_MODELS}))
def test_an_event_topics_channel_carries_exactly_the_event_types_recorded_on_it(topic):
    recorded = {model.event_type for model in EVENT_MODELS if model.topic == topic}
    assert _types_on(DOCUMENT["channels"][topic]) == recorded
    assert _types_on(DOCUMENT["channels"][dead_letter_topic(topic)]) == {None}


@pytest.mark.parametrize("service", [s for s in SERVICES if subscriptions_of(s).HANDLERS], ids=lambda s: s.name)
def test_a_replay_topic_carries_the_event_types_its_service_handles(service):
    handled = {model.event_type for model in subscriptions_of(service).HANDLERS}
    assert _types_on(DOCUMENT["channels"][replay_topic(service.name)]) == handled


@pytest.mark.parametrize("model", EVENT_MODELS, ids=lambda model: model.event_type)
def test_each_payload_schema_is_the_event_models_json_schema_and_its_snapshot(model):
    [message] = [message for message in MESSAGES.values() if message.get("name") == model.__name__]
    payload = _resolve(message["payload"])
    local = json.loads(json.dumps(payload).replace(f'"#/components/schemas/{model.__name__}/$defs/', '"#/$defs/'))
    assert local == event_schema(model)
    assert local == json.loads(snapshot_path(SNAPSHOTS, model).read_text())


@pytest.mark.parametrize(
    "event",
    [
        OrderValidated(
            order_id="PO-1",
            order_version=1,
            order=ProductOrder(
                id="PO-1",
                channel=Channel.API,
                order_type=OrderType.NEW,
                account=Account(id="ACC-10001"),
                items=[OrderItem(id="1", product_offering_id="fiber-internet")],
            ),
        ),
        RosterPublished(version="2026-12", reps=[]),
    ],
    ids=lambda event: event.event_type,
)
def test_the_headers_and_key_are_those_a_service_writes(event):
    record = encode(event, source="intake")
    message = MESSAGES[type(event).__name__]
    headers = _resolve(message["headers"]["allOf"][0])
    assert set(headers["required"]) <= set(record.headers) <= set(headers["properties"])
    assert {"traceparent", "tracestate"} <= set(headers["properties"])
    assert _event_type(message) == record.headers["ce_type"] == event.event_type
    assert headers["properties"]["content-type"]["const"] == record.headers["content-type"]
    assert record.key == record.headers["ce_subject"]
    assert message["bindings"]["kafka"]["key"]["type"] == "string"


@pytest.mark.parametrize("replayed_from", [None, "intake.replay"])
def test_a_dead_letters_headers_are_those_a_consumer_adds(replayed_from):
    written = dead_letter_headers(
        consumer="intake",
        topic="orders.qualified",
        partition=0,
        offset=7,
        error_class="ValidationError",
        reason="not an order",
        replay_topic=replayed_from,
    )
    declared = _resolve(MESSAGES["DeadLetter"]["headers"])
    assert set(declared["required"]) <= set(written) <= set(declared["properties"])


@pytest.mark.parametrize("principal", principals(), ids=lambda principal: principal.name)
def test_each_principal_sends_and_receives_on_exactly_the_topics_its_acls_allow(principal):
    sent = {_resolve(op["channel"])["address"] for op in _operations_of(principal.name, "send").values()}
    received = {_resolve(op["channel"])["address"] for op in _operations_of(principal.name, "receive").values()}
    assert sent == set(principal.writes)
    assert received == set(principal.reads)


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_each_service_sends_what_it_emits_and_receives_what_it_handles(service):
    subscriptions = subscriptions_of(service)
    event_topics = {model.topic for model in EVENT_MODELS}

    def types(action: str) -> set[str]:
        return {
            _event_type(_resolve(reference))
            for operation in _operations_of(service.name, action).values()
            if _resolve(operation["channel"])["address"] in event_topics
            for reference in operation["messages"]
        }

    assert types("send") == {model.event_type for model in subscriptions.EMITS}
    assert types("receive") == {model.event_type for model in subscriptions.HANDLERS}
    if subscriptions.HANDLERS:
        receiving = _operations_of(service.name, "receive").values()
        groups = {operation["bindings"]["kafka"]["groupId"]["const"] for operation in receiving}
        assert groups == {service.name}
