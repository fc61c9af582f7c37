"""What is wrong with a value, field by field: the one rendering of a pydantic ValidationError that the HTTP
problem details (`invalid_params`), dead letters and the messages of malformed data files all use.

A field path joins the location's parts with dots, list positions too (`plans.0.cap_per_order`); the value as a
whole has the empty path. The reason quotes the value refused only when asked: a data file's author is helped by
it, while an order's values (people's names and addresses) stay out of answers, dead letters and logs.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True)
class FieldProblem:
    field: str  # "" for the value as a whole
    reason: str

    def __str__(self) -> str:
        return f"field '{self.field}': {self.reason}" if self.field else self.reason


def field_path(location: Sequence[str | int], document: object = None) -> str:
    """The dotted path to a location; given the `document` validated, a list item that has a string `id` is named
    by it as well (`productOffering.3 (EVPL).price`), so that a reader finds it without counting."""
    parts, node = [], document
    for key in location:
        try:
            node = node[key]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            node = None
        named = isinstance(key, int) and isinstance(node, Mapping) and isinstance(node.get("id"), str)
        parts.append(f"{key} ({node['id']})" if named else str(key))
    return ".".join(parts)


def field_problems(error: ValidationError, document: object = None, *, quoting: bool = False) -> list[FieldProblem]:
    """Each problem of a failed validation at its field path (see `field_path` for `document`); `quoting`: each
    reason ends with the single value refused, `(got '12')`."""
    return [
        FieldProblem(field_path(item["loc"], document), reason_of(item) + (_quoted(item) if quoting else ""))
        for item in error.errors()
    ]


def reason_of(item: Mapping) -> str:
    """Pydantic's message, save that a validator's ValueError says it in its own words (without "Value error, ")."""
    # Routes raise RequestValidationError with items of their own, which may carry no type or context.
    if item.get("type") == "value_error" and "error" in (item.get("ctx") or {}):
        return str(item["ctx"]["error"])
    return item["msg"]


def _quoted(item: Mapping) -> str:
    value = item.get("input")
    return "" if value is None or isinstance(value, Mapping | list) else f" (got {value!r})"


def described(problems: Iterable[FieldProblem]) -> str:
    """The problems on one line: `field 'a.b': reason; field 'c': reason`."""
    return "; ".join(map(str, problems))
