"""The hand-off contract for Operations: the recorded example is a valid v1 package, and the documented
example consumer reads it."""

import importlib.util
import json
from pathlib import Path

from orderdesk_shared.events.fulfillment import OrderHandedOff

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLE = DOCS / "examples" / "handed-off.v1.example.json"


def _example_consumer():
    spec = importlib.util.spec_from_file_location("handoff_consumer", DOCS / "examples" / "handoff_consumer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_recorded_example_is_a_valid_package():
    package = OrderHandedOff.model_validate_json(EXAMPLE.read_text())
    assert package.billing_lines and package.engineering_notes


def test_the_example_consumer_turns_the_recorded_package_into_a_work_order():
    consumer = _example_consumer()
    assert (OrderHandedOff.topic, OrderHandedOff.event_type) == (consumer.TOPIC, consumer.EVENT_TYPE)
    work_order = consumer.work_order(json.loads(EXAMPLE.read_text()))
    assert "path: complex-engineering" in work_order
    assert "item 1 add EVPL: CSG R1122 (EVPL-MRC-500M)" in work_order
    assert "[managed-router-config]" in work_order
    assert work_order.splitlines()[:3] == [
        line
        for line in (DOCS / "handoff-contract.md").read_text().splitlines()
        if line.startswith(("order ", "  path", "  item 1"))
    ]


def test_the_example_consumer_ignores_fields_it_does_not_know():
    package = json.loads(EXAMPLE.read_text()) | {"somethingNew": {"added": "in a later v1"}}
    assert _example_consumer().work_order(package)
