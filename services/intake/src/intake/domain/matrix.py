"""The order entry matrix, held as data: which item actions and fields each order type needs."""

import re
from functools import cache
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_snake

from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import ItemAction, OrderType, ProductOrder

_SEGMENT = re.compile(r"^(?P<name>[A-Za-z]+)(?:\[(?P<selector>[a-z]*)\])?$")


class OrderTypeRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    item_actions: frozenset[ItemAction]
    # A move deletes at the old site and adds at the new one: both actions must be on the order.
    every_action_required: bool = False
    required: tuple[str, ...]


class EntryMatrix(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    likely_duplicate_window_days: int = Field(ge=1)
    order_types: dict[OrderType, OrderTypeRule]
    fixes: dict[str, str]

    @model_validator(mode="after")
    def _complete_and_coached(self) -> "EntryMatrix":
        if missing := set(OrderType) - set(self.order_types):
            raise ValueError(f"no rule for order types {sorted(missing)}")
        for order_type, rule in self.order_types.items():
            for path in rule.required:
                _parse(path)
                if path not in self.fixes:
                    raise ValueError(f"{order_type}: required field {path!r} has no fix text")
        return self


def entry_findings(order: ProductOrder, matrix: EntryMatrix) -> list[Finding]:
    """Missing fields (INCOMPLETE_DATA) and item actions the order type does not allow (INVALID_VALUE)."""
    rule = matrix.order_types[order.order_type]
    findings = [
        Finding(
            reason_code="INCOMPLETE_DATA",
            field_path=concrete,
            message=f"{concrete} is required on a {order.order_type} order",
            fix=matrix.fixes[path],
        )
        for path in rule.required
        for concrete in _missing(order, _parse(path), "")
    ]
    return findings + _action_findings(order, rule)


def _action_findings(order: ProductOrder, rule: OrderTypeRule) -> list[Finding]:
    allowed = " or ".join(sorted(rule.item_actions))
    findings = [
        Finding(
            reason_code="INVALID_VALUE",
            field_path=f"items[{index}].action",
            message=f"a {order.order_type} order cannot {item.action} a product",
            fix=f"Use the action {allowed} on a {order.order_type} order, or change the order type.",
        )
        for index, item in enumerate(order.items)
        if item.action not in rule.item_actions
    ]
    present = {item.action for item in order.items}
    if rule.every_action_required and not findings and (absent := rule.item_actions - present):
        findings.append(
            Finding(
                reason_code="INCOMPLETE_DATA",
                field_path="items",
                message=f"a {order.order_type} order needs items with the action(s) {', '.join(sorted(absent))}",
                fix="A move needs the item deleted at the old site and the item added at the new one.",
            )
        )
    return findings


class _Segment(NamedTuple):
    name: str  # as written in the matrix and in findings (camelCase)
    attribute: str  # the model attribute it reads (snake_case)
    selector: str | None  # None: a plain field; "": every element; "x": the element whose role is x


@cache  # every order checks the same few paths
def _parse(path: str) -> tuple[_Segment, ...]:
    """`items[].price.mrc` -> items (every element), price, mrc."""
    segments = []
    for segment in path.split("."):
        match = _SEGMENT.match(segment)
        if not match:
            raise ValueError(f"not a field path: {path!r}")
        segments.append(_Segment(match["name"], to_snake(match["name"]), match["selector"]))
    return tuple(segments)


def _absent(value: Any) -> bool:
    # Not `value in (None, "", [], {})`: comparing a Decimal with a list looks the list up in the numbers ABCs, a
    # few microseconds each, and every required amount of every order went through it.
    return value is None or (isinstance(value, str | list | dict) and not value)


def _missing(value: Any, segments: tuple[_Segment, ...], at: str) -> list[str]:
    """The concrete paths under `value` where the field the segments name is absent or empty."""
    if not segments:
        return [at] if _absent(value) else []
    (name, attribute, selector), rest = segments[0], segments[1:]
    here = f"{at}.{name}" if at else name
    child = getattr(value, attribute, None) if value is not None else None
    if selector is None:
        return _missing(child, rest, here)
    if not child:
        return [".".join([f"{here}[{selector}]" if selector else here, *(segment.name for segment in rest)])]
    if selector == "":
        return [path for index, element in enumerate(child) for path in _missing(element, rest, f"{here}[{index}]")]
    chosen = next((element for element in child if element.role == selector), child[0])
    return _missing(chosen, rest, f"{here}[{selector}]")
