"""What the email gave, as read: header fields, items as written, and a finding for each part that could not be read."""

import re
from dataclasses import dataclass, field

from orderdesk_shared.events.fallout import Finding

INCOMPLETE = "INCOMPLETE_DATA"
RESEND = "Send the order again: the form in the email text, or attached as a CSV or XLSX file."
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Refused(Exception):
    """The email is not an order email but a load on the reader: it is refused whole, with this reason."""


@dataclass
class Value:
    text: str
    path: str


@dataclass
class RawItem:
    """One item as written: each form column with its values (Characteristic may repeat) and where each was."""

    at: str
    cells: dict[str, list[Value]] = field(default_factory=dict)

    def add(self, column: str, text: str, path: str) -> None:
        if text:
            self.cells.setdefault(column, []).append(Value(text, path))

    def first(self, column: str) -> Value | None:
        values = self.cells.get(column)
        return values[0] if values else None


@dataclass
class Reading:
    fields: dict[str, Value] = field(default_factory=dict)
    reps: list[Value] = field(default_factory=list)
    body_items: dict[int, RawItem] = field(default_factory=dict)
    sheet_items: list[RawItem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def add(self, path: str, message: str, fix: str) -> None:
        self.findings.append(Finding(reason_code=INCOMPLETE, field_path=clean(path), message=clean(message), fix=fix))


def clean(value):
    """The value with its strings made storable: no control characters, undecodable characters as U+FFFD."""
    if isinstance(value, dict):
        return {key: clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean(item) for item in value]
    if not isinstance(value, str):
        return value
    try:
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeError:  # a surrogate that no undecodable byte stands for
        data = value.encode("utf-8", "surrogatepass")
    return _CONTROL.sub("", data.decode("utf-8", "replace"))


def quoted(text: str | None) -> str:
    """A value as quoted in a finding's message, shortened when long."""
    text = text or ""
    return repr(text if len(text) <= 60 else text[:57] + "...")
