"""Request bodies read and checked as FastAPI reads them (its errors, at its locations), and against the published
TMF622 definitions."""

import json
from typing import TypeVar

import orjson
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from intake.tmf622 import spec_errors

RequestModel = TypeVar("RequestModel", bound=BaseModel)


def spec_valid(
    document: dict, model: type[RequestModel], definition: str, *, json_text: bytes | None = None
) -> RequestModel:
    """A request as OrderDesk reads it, once it is valid under the published TMF622 definition (else the field
    paths of what is not; then OrderDesk's own limits, such as sizes). `json_text`: the body the document was read
    from, which both checks read several times faster than the parsed document."""
    errors = spec_errors(document, definition, json_text=json_text)
    if not errors:
        try:
            return model.model_validate(document) if json_text is None else model.model_validate_json(json_text)
        except ValidationError as error:
            errors = error.errors(include_url=False, include_context=False, include_input=False)
    raise RequestValidationError([error | {"loc": ("body", *error["loc"])} for error in errors])


def json_of(sent: bytes, content_type: str | None) -> object:
    """What a body holds, as FastAPI reads a `dict` body: the JSON value of a JSON one (invalid JSON is a validation
    error), the bytes of another, None for none.

    Read by orjson, several times faster than Python's reader; what orjson refuses that Python's reader takes
    (NaN, a lone surrogate, an integer beyond 64 bits, UTF-16) is read by Python's, for the checks to name it."""
    if not sent:
        return None
    if not _is_json(content_type):
        return sent
    try:
        return orjson.loads(sent)
    except orjson.JSONDecodeError as refused:
        try:
            return json.loads(sent)
        except json.JSONDecodeError as error:
            raise _not_json(error.pos, error.msg) from error
        except UnicodeDecodeError as error:
            raise _not_json(error.start, f"not {error.encoding} text") from error
        except RecursionError:
            # Nested deeper than either reader goes: orjson said where.
            raise _not_json(refused.pos, refused.msg) from refused


def _not_json(position: int, why: str) -> RequestValidationError:
    """Invalid JSON, as FastAPI reports it (at its position in the body), and why, for the caller to fix it."""
    return RequestValidationError(
        [{"type": "json_invalid", "loc": ("body", position), "msg": f"JSON decode error: {why}", "ctx": {"error": why}}]
    )


def json_object(sent_json: object) -> dict:
    """The body as the JSON object it must be; else invalid input as FastAPI calls a `dict` body's."""
    if sent_json is None:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required"}])
    if not isinstance(sent_json, dict):
        reason = {"type": "dict_type", "loc": ("body",), "msg": "Input should be a valid dictionary"}
        raise RequestValidationError([reason])
    return sent_json


def _is_json(content_type: str | None) -> bool:
    """Whether a body of this Content-Type is read as JSON: none given, application/json or application/*+json."""
    if content_type is None:
        return True
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))
