"""The hand-off contract for Operations: the recorded examples are a valid v1 package and cancel request, and the
documented example consumer reads them as the contract shows."""

import importlib.util
import json
from pathlib import Path

from orderdesk_shared.events.fulfillment import HandOffCancelled, OrderHandedOff

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLE = DOCS / "examples" / "handed-off.v1.example.json"
CANCEL_EXAMPLE = DOCS / "examples" / "hand-off-cancelled.v1.example.json"


def _example_consumer():
    spec = importlib.util.spec_from_file_location("handoff_consumer", DOCS / "examples" / "handoff_consumer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_recorded_example_is_a_valid_package():
    package = OrderHandedOff.model_validate_json(EXAMPLE.read_text())
    assert package.billing_lines and package.engineering_notes


def _contract_lines(*starts: str) -> list[str]:
    return [line for line in (DOCS / "handoff-contract.md").read_text().splitlines() if line.startswith(starts)]


def test_the_example_consumer_turns_the_recorded_package_into_a_work_order():
    consumer = _example_consumer()
    assert (OrderHandedOff.topic, OrderHandedOff.event_type) == (consumer.TOPIC, consumer.EVENT_TYPE)
    work_order = consumer.work_order(json.loads(EXAMPLE.read_text()))
    assert "path: complex-engineering" in work_order
    assert "item 1 add EVPL: CSG R1122 (EVPL-MRC-500M)" in work_order
    assert "[managed-router-config]" in work_order
    assert work_order.splitlines()[:3] == _contract_lines("order ", "  path", "  item 1")
    assert "changes v" not in work_order  # a first hand-off replaces nothing


def test_the_example_consumer_prints_a_change_with_the_version_it_replaces():
    change = json.loads(EXAMPLE.read_text()) | {"orderVersion": 2, "replacesVersion": 1}
    OrderHandedOff.model_validate(change)
    lines = _example_consumer().work_order(change).splitlines()
    assert lines[2] == "  changes v1: work to this version from now on"
    assert "`changes v1: work to this version from now on`" in (DOCS / "handoff-contract.md").read_text()


def test_the_recorded_cancel_request_is_valid_and_the_example_consumer_prints_what_to_stop():
    consumer = _example_consumer()
    cancel = HandOffCancelled.model_validate_json(CANCEL_EXAMPLE.read_text())
    assert (HandOffCancelled.topic, HandOffCancelled.event_type) == (consumer.TOPIC, consumer.CANCEL_EVENT_TYPE)
    request = consumer.stop_request(json.loads(CANCEL_EXAMPLE.read_text()))
    assert request.splitlines() == _contract_lines("STOP ", "  answer cancelled")
    assert cancel.reason in request
    assert consumer.READERS[HandOffCancelled.event_type] is consumer.stop_request


def test_the_example_consumer_ignores_fields_it_does_not_know():
    package = json.loads(EXAMPLE.read_text()) | {"somethingNew": {"added": "in a later v1"}}
    assert _example_consumer().work_order(package)
