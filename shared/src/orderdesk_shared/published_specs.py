"""The published TM Forum specifications (docs/standards), as validators of their own definitions.

A /tmf-api route checks a request body against the published definition (e.g. TMF645's
`CheckServiceQualification_Create`), so that exactly what the specification allows is accepted, and
the tests check every answer against the published resource definition. The Swagger 2.0 schemas are
JSON Schema draft 4 with a few keywords more (ignored). Formats: `date-time` is checked (RFC 3339,
a time and an offset: what the specifications mean); `uri` is not, because the specifications' own
examples put "string" in `href`.
"""

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from orderdesk_shared.limits import nesting_depth

STANDARDS = Path(__file__).resolve().parents[3] / "docs" / "standards"
TMF622 = "TMF622-ProductOrdering-v4.0.0.swagger.json"
TMF645 = "TMF645-ServiceQualification-v4.0.1.swagger.json"
TMF620 = "TMF620-ProductCatalog-v4.1.0.swagger.json"

# Deeper documents are refused before validation: the schemas recurse (a service's supportingService
# is a service), and no real request nests anywhere near this.
MAX_DEPTH = 32
# A client learns enough from the first few reasons; a huge invalid body must not make a huge answer.
MAX_ERRORS = 20
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_SURROGATE = re.compile("[\ud800-\udfff]")
_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # the type keyword speaks for other types
    if not _RFC3339.match(value):
        return False
    datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # a 13th month or a 31st of June raises
    return True


@dataclass(frozen=True)
class SpecError:
    """One reason a document does not conform: where (its JSON path, as a tuple) and why."""

    path: tuple[str | int, ...]
    reason: str

    @property
    def field(self) -> str:
        return ".".join(map(str, self.path)) or "(document)"


class PublishedSpec:
    """One published specification; `errors(definition, document)` lists where a document breaks it."""

    def __init__(self, document: dict) -> None:
        self.document = document
        self.definitions: dict[str, dict] = document["definitions"]

    @classmethod
    @cache
    def named(cls, file_name: str) -> "PublishedSpec":
        return cls(json.loads((STANDARDS / file_name).read_text(encoding="utf-8")))

    @cache  # noqa: B019 - specifications are loaded once and live as long as the process
    def validator(self, definition: str) -> Draft4Validator:
        if definition not in self.definitions:
            raise KeyError(f"the specification has no definition {definition!r}")
        schema = {"$ref": f"#/definitions/{definition}", "definitions": self.definitions}
        return Draft4Validator(schema, format_checker=_FORMATS)

    def properties(self, definition: str) -> frozenset[str]:
        """The property names the definition lists."""
        return frozenset(self.definitions[definition].get("properties", {}))

    def errors(self, definition: str, document: object) -> list[SpecError]:
        """Where the document breaks the definition, at most MAX_ERRORS, shallowest first; [] when it conforms."""
        if nesting_depth(document) > MAX_DEPTH:
            return [SpecError((), f"nests deeper than {MAX_DEPTH} levels")]
        if not_json := _not_json(document):
            return not_json[:MAX_ERRORS]
        found: dict[tuple, SpecError] = {}
        for error in self.validator(definition).iter_errors(document):
            for spec_error in _explained(error):
                found.setdefault(spec_error.path, spec_error)
        return sorted(found.values(), key=lambda e: (len(e.path), e.field))[:MAX_ERRORS]


def _not_json(document: object) -> list[SpecError]:
    """Values Python's JSON reader lets through that are not JSON text (RFC 8259) nor storable as it: NaN and
    Infinity, strings with a NUL character or half a surrogate pair."""
    found, pending = [], [((), document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, float) and not math.isfinite(value):
            found.append(SpecError(path, "must be a finite number (NaN and Infinity are not JSON)"))
        elif isinstance(value, str) and not _storable(value):
            found.append(SpecError(path, "must be text without NUL characters or unpaired surrogates"))
        elif isinstance(value, dict):
            for key, child in value.items():
                if not _storable(key):
                    found.append(SpecError(path, "has a name with a NUL character or an unpaired surrogate"))
                pending.append(((*path, key), child))
        elif isinstance(value, list):
            pending += [((*path, index), child) for index, child in enumerate(value)]
    return sorted(found, key=lambda e: (len(e.path), e.field))


def _storable(text: str) -> bool:
    return "\x00" not in text and not _SURROGATE.search(text)


def _explained(error: ValidationError) -> list[SpecError]:
    path = tuple(error.absolute_path)
    if error.validator == "required":
        return [
            SpecError((*path, name), "is required")
            for name in error.validator_value
            if isinstance(error.instance, dict) and name not in error.instance
        ]
    reasons = {
        "type": lambda: f"must be of type {error.validator_value}",
        "format": lambda: f"must be a {error.validator_value} (RFC 3339, e.g. 2026-04-10T19:20:39Z)",
        "minItems": lambda: f"must have at least {error.validator_value} entries",
        "enum": lambda: "must be one of " + ", ".join(map(str, error.validator_value)),
    }
    explain = reasons.get(str(error.validator))
    return [SpecError(path, explain() if explain else error.message[:200])]
