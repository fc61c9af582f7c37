"""The JSON text the engine writes into JSON columns."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

import pytest

from orderdesk_shared.db import json_text


class Colour(StrEnum):
    RED = "red"


@pytest.mark.parametrize(
    "value",
    [
        {"id": "ORD-1", "items": [{"quantity": 2, "price": 12.5, "note": None, "ok": True}], "name": "Zoë\u2028"},
        {Colour.RED: 1, "state": Colour.RED},
        {1: "a number as key"},
        2**70,
        [],
    ],
)
def test_writes_what_the_standard_library_writes(value: object) -> None:
    assert json.loads(json_text(value)) == json.loads(json.dumps(value))


@pytest.mark.parametrize("value", [datetime(2026, 1, 1, tzinfo=UTC), Decimal("1.50"), {"at": Decimal(1)}])
def test_refuses_what_the_standard_library_refuses(value: object) -> None:
    with pytest.raises(TypeError):
        json_text(value)
