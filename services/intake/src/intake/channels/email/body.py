"""The email text's `Field: value` lines: header fields, sales reps and `Item N <Column>` lines."""

import re

from intake.channels.email.form import COLUMNS, FIELDS, key
from intake.channels.email.reading import RawItem, Reading, Value

_ITEM_KEY = re.compile(r"^item (\d{1,3}) (.+)$")
_LINE = re.compile(r"^\s*(?P<name>[^:]{1,60}?)\s*:\s*(?P<value>.*?)\s*$")
# The signature delimiter, or the start of a quoted reply (Outlook's rule, its original message, "On ... wrote:").
_STOP = re.compile(
    r"^(--\s?|_{5,}|-{3,}\s*original message\s*-{3,}|on\s.{0,200}\swrote:)$",
    re.IGNORECASE,
)


def read_body(text: str, reading: Reading) -> None:
    for line in text.splitlines():
        stripped = line.strip()
        if _STOP.match(line.rstrip("\r")) or _STOP.match(stripped):
            break
        if stripped.startswith(">"):
            continue
        match = _LINE.match(line)
        if not match:
            continue
        name_key, value = key(match["name"]), " ".join(match["value"].split())
        if not value:
            continue
        if item := _ITEM_KEY.match(name_key):
            column = COLUMNS.get(item[2])
            if column:
                number = int(item[1])
                raw = reading.body_items.setdefault(number, RawItem(at=f"body.item[{number}]"))
                raw.add(column, value, f"body.item[{number}].{column}")
            continue
        name = FIELDS.get(name_key)
        if name == "Sales Rep":
            reading.reps.extend(Value(rep, "body.Sales Rep") for rep in re.split(r"\s*[;,]\s*|\s+and\s+", value) if rep)
        elif name and name not in reading.fields:
            reading.fields[name] = Value(value, f"body.{name}")
