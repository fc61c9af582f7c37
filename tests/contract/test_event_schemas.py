"""Each event model's wire schema against its committed snapshot: additive changes only."""

import json
from pathlib import Path

import pytest

from orderdesk_shared.events.catalogue import EVENT_MODELS
from orderdesk_shared.events.compatibility import breaking_changes, event_schema, snapshot_path

SNAPSHOTS = Path(__file__).parent / "schemas"
REFRESH_HINT = "after an additive change, refresh the snapshots with `uv run orderdesk events snapshot`"


@pytest.mark.parametrize("model", EVENT_MODELS, ids=lambda model: model.event_type)
def test_event_schema_keeps_every_promise_of_its_snapshot(model):
    path = snapshot_path(SNAPSHOTS, model)
    assert path.exists(), f"no schema snapshot for {model.event_type}; {REFRESH_HINT}"
    problems = breaking_changes(json.loads(path.read_text()), event_schema(model))
    assert not problems, f"breaking change to {model.event_type} (publish a new .v2 type instead):\n" + "\n".join(
        problems
    )


def test_snapshot_matches_the_model_exactly():
    stale = [
        model.event_type
        for model in EVENT_MODELS
        if json.loads(snapshot_path(SNAPSHOTS, model).read_text()) != event_schema(model)
    ]
    assert not stale, f"snapshots differ from the models for {stale}; {REFRESH_HINT}"


def test_no_event_type_disappeared():
    published = {path.stem for path in SNAPSHOTS.glob("*.json")}
    current = {model.event_type for model in EVENT_MODELS}
    assert published <= current, f"event types removed without a successor: {sorted(published - current)}"
