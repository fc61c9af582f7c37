"""Does a document conform to a definition of a published TM Forum specification (docs/standards)?

For tests: a response body (or a request) checked by the reference JSON Schema validator against the spec's
own definition, `#/definitions/...` references resolved in the same file, date-times checked as RFC 3339
date-times (with a time). Additional properties pass wherever the spec allows them, as it does everywhere.

    assert_conforms(response.json(), TMF622, "ProductOrder")
"""

from datetime import datetime
from functools import cache

from jsonschema import Draft4Validator, FormatChecker

from orderdesk_shared.tmf_specs import TMF620, TMF622, TMF645, published_definitions

__all__ = ["TMF620", "TMF622", "TMF645", "assert_conforms", "nonconformities"]

_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # the type is checked on its own
    if "T" not in value.upper():
        raise ValueError("a date-time has a time")
    datetime.fromisoformat(value)
    return True


@cache
def _validator(spec_file: str, definition: str) -> Draft4Validator:
    definitions = published_definitions(spec_file)
    schema = {"$ref": f"#/definitions/{definition}", "definitions": definitions}
    return Draft4Validator(schema, format_checker=_FORMATS)


def nonconformities(document: object, spec_file: str, definition: str) -> list[str]:
    """Every place the document breaks the definition, as `path: reason` (empty when it conforms)."""
    errors = _validator(spec_file, definition).iter_errors(document)
    return sorted(f"{'.'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}" for error in errors)


def assert_conforms(document: object, spec_file: str, definition: str) -> None:
    """Fail with every nonconformity when the document does not conform to the definition."""
    problems = nonconformities(document, spec_file, definition)
    assert not problems, f"not a conformant {definition} ({spec_file}):\n" + "\n".join(problems)
