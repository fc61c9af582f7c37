"""JSON columns' values as JSON text, written fast."""

import json
from typing import Any

import orjson


def json_text(value: Any) -> str:
    """A JSON column's value as JSON text: what `json.dumps` writes, about ten times faster.

    orjson refuses what the standard library accepts for JSON that orjson does not write natively (non-str
    keys, integers beyond 64 bits); those documents fall back to `json.dumps`, which also raises as before for
    what neither writes (datetime, Decimal, dataclasses are not written natively: orjson passes them through
    to the same refusal). The differences left: a UUID is written as its string, and NaN or infinity as null
    (which jsonb would refuse as NaN).
    """
    try:
        return orjson.dumps(value, option=_JSON_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


_JSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
