"""The published TM Forum specifications (docs/standards) as request checks.

A request is checked against the specification's own definition, not a model of ours: every property the
spec defines must have the spec's type (strings, numbers, booleans, arrays, enums, date-times, required
properties), while properties the spec does not define are the client's extensions and pass untouched. The
definitions become strict pydantic models once per process, so a check costs microseconds on the request
path (a general JSON Schema validator costs milliseconds there).

Where OrderDesk takes more than the specification (a party named only by its role, a date without a time),
the caller names each such property; nothing else is relaxed.
"""

import json
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

STANDARDS_DIR = Path(__file__).resolve().parents[3] / "docs" / "standards"
TMF622 = "TMF622-ProductOrdering-v4.0.0.swagger.json"
TMF645 = "TMF645-ServiceQualification-v4.0.1.swagger.json"
TMF620 = "TMF620-ProductCatalog-v4.1.0.swagger.json"

_STRICT_OPEN = ConfigDict(extra="allow", strict=True)


@cache
def published_definitions(spec_file: str) -> dict[str, dict]:
    """The definitions of a published specification in docs/standards."""
    return json.loads((STANDARDS_DIR / spec_file).read_text(encoding="utf-8"))["definitions"]


def _date_time(value: str) -> str:
    if "T" not in value.upper():
        raise ValueError("must be a date-time (RFC 3339, with a time)")
    datetime.fromisoformat(value)
    return value


def _date_or_date_time(value: str) -> str:
    if "T" in value.upper():
        datetime.fromisoformat(value)
    else:
        date.fromisoformat(value)
    return value


@cache
def spec_check(spec_file: str, definition: str, *, optional: Iterable[str] = (), plain_dates: Iterable[str] = ()):
    """The check of one definition (a pydantic model: `.model_validate(document)` raises ValidationError with
    field paths). `optional` names "Definition.property" the spec requires and OrderDesk does without;
    `plain_dates` names "Definition.property" date-times that may also be a plain date."""
    definitions = published_definitions(spec_file)
    optional, plain_dates = frozenset(optional), frozenset(plain_dates)
    models: dict[str, type[BaseModel]] = {}

    def annotation(schema: dict, where: str) -> Any:
        if ref := schema.get("$ref"):
            target = ref.rsplit("/", 1)[-1]
            if "enum" in definitions[target]:
                return Literal[tuple(definitions[target]["enum"])]
            return target  # a forward reference, resolved once every model exists
        kind = schema.get("type")
        if "enum" in schema:
            return Literal[tuple(schema["enum"])]
        if kind == "array":
            return list[annotation(schema.get("items", {}), where)]
        if kind == "string" and schema.get("format") == "date-time":
            check = _date_or_date_time if where in plain_dates else _date_time
            return Annotated[str, AfterValidator(check)]
        return {"string": str, "integer": int, "number": float, "boolean": bool, "object": dict}.get(kind, Any)

    for name, schema in definitions.items():
        if "properties" not in schema:
            continue
        required = set(schema.get("required", ())) - {p.split(".", 1)[1] for p in optional if p.startswith(f"{name}.")}
        fields = {
            f"property_{index}": (
                annotation(property_schema, f"{name}.{prop}"),
                Field(alias=prop) if prop in required else Field(default=None, alias=prop),
            )
            for index, (prop, property_schema) in enumerate(schema["properties"].items())
        }
        models[name] = create_model(name, __config__=_STRICT_OPEN, **fields)
    for model in models.values():
        model.model_rebuild(_types_namespace=models)
    return models[definition]
