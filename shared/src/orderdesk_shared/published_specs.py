"""The published TM Forum specifications (docs/standards), as validators of their own definitions.

A /tmf-api route checks a request body against the published definition (e.g. TMF645's
`CheckServiceQualification_Create`), so that exactly what the specification allows is accepted, and
the tests check every answer against the published resource definition. The Swagger 2.0 schemas are
JSON Schema draft 4 with a few keywords more (ignored). Formats: `date-time` is checked (RFC 3339,
a time and an offset: what the specifications mean); `uri` is not, because the specifications' own
examples put "string" in `href`. So that an answer conforms all the same, `conforming` leaves out of a
document every value that breaks a format its definition declares (a strict RFC 3986 URI for `uri`): a
client's `href: "string"`, echoed back, is not.

`strict_errors(definition, document)` is the same check for a route's hot path, by `strict_validator(definition)`
(the definition as a strict pydantic validator): the same types, enums, minItems, required properties, date-times
and unstorable values in about a tenth of a millisecond where the JSON Schema validator takes milliseconds (an
order with a few items); its caller names where OrderDesk takes more than the specification (a required property
it does without, a plain date where a date-time is due).
"""

import copy
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from itertools import accumulate
from pathlib import Path

from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from pydantic_core import SchemaValidator, core_schema
from pydantic_core import ValidationError as PydanticValidationError

from orderdesk_shared.field_problems import field_path
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
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_SURROGATE = re.compile("[\ud800-\udfff]")
# RFC 3986 URI (absolute, a fragment allowed): a scheme, then only the characters the RFC allows where it does.
_UNRESERVED_OR_SUB_DELIMS = r"A-Za-z0-9\-._~!$&'()*+,;="
_PCT_ENCODED = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_UNRESERVED_OR_SUB_DELIMS}:@]|{_PCT_ENCODED})"
_AUTHORITY = (
    rf"(?:(?:[{_UNRESERVED_OR_SUB_DELIMS}:]|{_PCT_ENCODED})*@)?"
    rf"(?:\[[0-9A-Fa-fvV:.{_UNRESERVED_OR_SUB_DELIMS}]+\]|(?:[{_UNRESERVED_OR_SUB_DELIMS}]|{_PCT_ENCODED})*)"
    r"(?::[0-9]*)?"
)
_HIER_PART = rf"(?://{_AUTHORITY}(?:/{_PCHAR}*)*|/?(?:{_PCHAR}+(?:/{_PCHAR}*)*)?)"
_URI = re.compile(rf"[A-Za-z][A-Za-z0-9+.\-]*:{_HIER_PART}(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?")


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # the type keyword speaks for other types
    if not _RFC3339.match(value):
        return False
    datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # a 13th month or a 31st of June raises
    return True


def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or _URI.fullmatch(value) is not None


# What a request must meet, and what an answer must meet (the uri format too).
_REQUEST_FORMATS = FormatChecker(formats=())
_REQUEST_FORMATS.checks("date-time", raises=ValueError)(_is_date_time)
_ANSWER_FORMATS = FormatChecker(formats=())
_ANSWER_FORMATS.checks("date-time", raises=ValueError)(_is_date_time)
_ANSWER_FORMATS.checks("uri")(_is_uri)


@dataclass(frozen=True)
class SpecError:
    """One reason a document does not conform: where (its JSON path, as a tuple) and why."""

    path: tuple[str | int, ...]
    reason: str

    @property
    def field(self) -> str:
        return field_path(self.path) or "(document)"


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
    def validator(self, definition: str, *, answer: bool = False) -> Draft4Validator:
        """The definition's validator for a request, or (`answer`) for an answer, where `uri` is checked too."""
        if definition not in self.definitions:
            raise KeyError(f"the specification has no definition {definition!r}")
        schema = {"$ref": f"#/definitions/{definition}", "definitions": self.definitions}
        return Draft4Validator(schema, format_checker=_ANSWER_FORMATS if answer else _REQUEST_FORMATS)

    def strict_errors(
        self,
        definition: str,
        document: object,
        *,
        optional: frozenset[str] = frozenset(),
        plain_dates: frozenset[str] = frozenset(),
        json_text: bytes | None = None,
    ) -> list[SpecError]:
        """As errors(), by the strict validator of the definition (see strict_validator: `optional`, `plain_dates`).

        `json_text`: the JSON text the document was read from (json_text_of), when the caller has it; the check then
        reads that, which takes a fraction of the time it takes to walk the parsed document, and decides the same."""
        if (json_text is None or not _fit_text(json_text)) and (unfit := _unfit(document)):
            return unfit
        validator = self.strict_validator(definition, optional=optional, plain_dates=plain_dates)
        try:
            if json_text is None:
                validator.validate_python(document)
            else:
                validator.validate_json(json_text)
        except PydanticValidationError as error:
            found = [SpecError(tuple(e["loc"]), e["msg"]) for e in error.errors(include_url=False)]
            return sorted(found, key=lambda e: (len(e.path), e.field))[:MAX_ERRORS]
        return []

    @cache  # noqa: B019 - as validator(): built once per process
    def strict_validator(
        self, definition: str, *, optional: frozenset[str] = frozenset(), plain_dates: frozenset[str] = frozenset()
    ) -> SchemaValidator:
        """The definition as a strict pydantic validator (`.validate_python(document)` and `.validate_json(text)`
        raise a ValidationError with field paths); properties it does not define pass untouched. `optional` names
        "Definition.property" the spec requires and the caller does without; `plain_dates` names
        "Definition.property" date-times that may also be a plain date (YYYY-MM-DD)."""
        return _strict_validator(self.definitions, definition, optional, plain_dates)

    def properties(self, definition: str) -> frozenset[str]:
        """The property names the definition lists."""
        return frozenset(self.definitions[definition].get("properties", {}))

    def errors(self, definition: str, document: object, *, answer: bool = False) -> list[SpecError]:
        """Where the document (a request, or an `answer`) breaks the definition, at most MAX_ERRORS, shallowest
        first; [] when it conforms."""
        if unfit := _unfit(document):
            return unfit
        found: dict[tuple, SpecError] = {}
        for error in self.validator(definition, answer=answer).iter_errors(document):
            for spec_error in _explained(error):
                found.setdefault(spec_error.path, spec_error)
        return sorted(found.values(), key=lambda e: (len(e.path), e.field))[:MAX_ERRORS]

    def conforming(self, definition: str, document: dict) -> dict:
        """A copy of the document without the values that break a format the definition declares: a client's
        `href: "string"` accepted in a request is left out of the answer that echoes it."""
        kept = copy.deepcopy(document)
        malformed = [
            tuple(error.absolute_path)
            for error in self.validator(definition, answer=True).iter_errors(kept)
            if error.validator == "format" and error.absolute_path
        ]
        for path in sorted(malformed, reverse=True):  # later list entries first, so earlier indexes hold
            parent = kept
            for step in path[:-1]:
                parent = parent[step]
            del parent[path[-1]]
        return kept


def _unfit(document: object) -> list[SpecError]:
    """What no definition is checked on: a document nested too deep, or values that are not JSON."""
    if nesting_depth(document) > MAX_DEPTH:
        return [SpecError((), f"nests deeper than {MAX_DEPTH} levels")]
    return _not_json(document)[:MAX_ERRORS]


# Outside the strings of JSON text, what can make a value _not_json finds: a non-finite number (NaN, Infinity, or one
# too large for a float). Within them, only an escape can (of a NUL character or half a surrogate pair). NaN and
# Infinity are the only words outside strings with a capital N or I (true, false and null have none); a number with
# an exponent or of 300 digits might be too large. Searched for apart: one pattern of them all takes several times
# as long, as it has no fixed first character for the search to skip to.
_NON_FINITE_WORDS = (b"N", b"I")
_MAYBE_TOO_LARGE = re.compile(rb"[0-9](?:[eE]|[0-9]{299})")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
# A bracket as a step in depth, read as a signed byte: one deeper for an opening one, one shallower for a closing one.
_DEPTH_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def json_text_of(body: bytes) -> bytes | None:
    """A request body as JSON text the strict checks can read (`json_text`): UTF-8 without a byte order mark. None
    for a body in another encoding (or with bytes UTF-8 does not allow), which Python's JSON reader takes too."""
    if json.detect_encoding(body) != "utf-8":
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return body


def _fit_text(json_text: bytes) -> bool:
    """Whether JSON text (json_text_of) holds a document _unfit passes, as the text shows at a glance: nothing that
    could be a value _not_json finds, no nesting deeper than MAX_DEPTH. False when in doubt (then the document is
    walked): an escape in a string, a number with an exponent."""
    if b"\\" in json_text:
        return False
    # Without escapes, every other quote mark opens a string.
    outside_strings = b"".join(json_text.split(b'"')[::2])
    if any(word in outside_strings for word in _NON_FINITE_WORDS) or _MAYBE_TOO_LARGE.search(outside_strings):
        return False
    steps = memoryview(outside_strings.translate(_DEPTH_STEPS, _NOT_BRACKETS)).cast("b")
    return max(accumulate(steps), default=0) <= MAX_DEPTH


def _not_json(document: object) -> list[SpecError]:
    """Values Python's JSON reader lets through that are not JSON text (RFC 8259) nor storable as it: NaN and
    Infinity, strings with a NUL character or half a surrogate pair."""
    found, pending = [], [((), document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, float) and not math.isfinite(value):
            found.append(SpecError(path, "must be a finite number (NaN and Infinity are not JSON)"))
        elif isinstance(value, str) and not _storable(value):
            found.append(SpecError(path, "must be text without NUL characters (U+0000) or unpaired surrogates"))
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


def _date_time(value: str) -> str:
    if not _is_date_time(value):
        raise ValueError("must be a date-time (RFC 3339, e.g. 2026-04-10T19:20:39Z)")
    return value


@lru_cache(maxsize=1024)  # orders ask for the same few days: reading a date is slow
def _date_or_date_time(value: str) -> str:
    if _RFC3339.match(value):
        return _date_time(value)
    datetime.strptime(value, "%Y-%m-%d")  # raises ValueError for anything but a plain date
    return value


_JSON_TYPES = {
    "string": core_schema.str_schema(strict=True),
    "integer": core_schema.int_schema(strict=True),
    "number": core_schema.float_schema(strict=True),
    "boolean": core_schema.bool_schema(strict=True),
    "object": core_schema.dict_schema(strict=True),
}


def _strict_validator(
    definitions: dict[str, dict], definition: str, optional: frozenset[str], plain_dates: frozenset[str]
) -> SchemaValidator:
    """The object definition as a strict validator of a JSON object (a typed dict) accepting extra properties;
    references to the other definitions resolved. Typed dicts rather than models: a model instance per object of the
    document costs nearly twice the time of the check itself, and the check needs none. Only the definition asked
    for is built: a validator for each of TMF622's 68 object definitions, to keep one, grew the heap by 8.3 MiB on
    intake's first order (freed again, but the process keeps it), where this one takes 0.2 MiB."""

    def schema_of(schema: dict, where: str) -> core_schema.CoreSchema:
        if ref := schema.get("$ref"):
            target = ref.rsplit("/", 1)[-1]
            if "enum" in definitions[target]:
                return core_schema.literal_schema(list(definitions[target]["enum"]))
            return core_schema.definition_reference_schema(target)
        if "enum" in schema:
            return core_schema.literal_schema(list(schema["enum"]))
        if schema.get("type") == "array":
            entries = schema_of(schema.get("items", {}), where)
            return core_schema.list_schema(entries, min_length=schema.get("minItems"), strict=True)
        if schema.get("type") == "string" and schema.get("format") == "date-time":
            check = _date_or_date_time if where in plain_dates else _date_time
            return core_schema.no_info_after_validator_function(check, core_schema.str_schema(strict=True))
        return _JSON_TYPES.get(schema.get("type"), core_schema.any_schema())

    objects = []
    for name, schema in definitions.items():
        if "properties" not in schema:
            continue
        waived = {where.split(".", 1)[1] for where in optional if where.startswith(f"{name}.")}
        required = set(schema.get("required", ())) - waived
        fields = {
            prop: core_schema.typed_dict_field(schema_of(property_schema, f"{name}.{prop}"), required=prop in required)
            for prop, property_schema in schema["properties"].items()
        }
        objects.append(
            core_schema.typed_dict_schema(fields, extra_behavior="allow", strict=True, ref=name, cls_name=name)
        )
    if definition not in {schema["ref"] for schema in objects}:
        raise KeyError(definition)
    return SchemaValidator(core_schema.definitions_schema(core_schema.definition_reference_schema(definition), objects))
