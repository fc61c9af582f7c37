"""A published definition as a strict model decides as the reference JSON Schema validator does, faster."""

import copy
import json

import pytest
from pydantic import ValidationError

from orderdesk_shared.published_specs import MAX_DEPTH, TMF622, PublishedSpec, json_text_of
from orderdesk_stack.tmf_conformance import product_order_request

SPEC = PublishedSpec.named(TMF622)


def _broken(change) -> dict:
    document = product_order_request()
    change(document)
    return document


def _model_paths(document: object, **leniency) -> set[str]:
    try:
        SPEC.strict_validator("ProductOrder_Create", **leniency).validate_python(document)
    except ValidationError as error:
        return {".".join(map(str, e["loc"])) for e in error.errors()}
    return set()


def _reference_paths(document: object) -> set[str]:
    return {error.field for error in SPEC.errors("ProductOrder_Create", document)}


@pytest.mark.parametrize(
    "document",
    [
        product_order_request(),
        product_order_request() | {"orderType": {"any": "extension"}, "@type": "EnterpriseProductOrder"},
        _broken(lambda d: d["productOrderItem"][0].pop("action")),
        _broken(lambda d: d["productOrderItem"][1].update(quantity="1")),
        _broken(lambda d: d["productOrderItem"][2].update(action="upgrade")),
        _broken(lambda d: d.update(priority=1, requestedStartDate="2019-05-03")),
        _broken(lambda d: d.update(note=[{"author": "Jean"}])),
        _broken(lambda d: d["relatedParty"][0].pop("id")),
        _broken(lambda d: d["productOrderItem"][1]["itemPrice"][0]["price"]["dutyFreeAmount"].update(value="0.99")),
        _broken(lambda d: d["productOrderItem"][0]["product"].update(isBundle="yes")),
        _broken(lambda d: d.update(requestedCompletionDate="2019-05-02T08:13:59")),  # no offset
        {"productOrderItem": "one"},
        {"productOrderItem": []},
        {},
    ],
)
def test_the_strict_model_finds_what_the_reference_validator_finds(document):
    assert _model_paths(document) == _reference_paths(document)
    from_text = SPEC.strict_errors("ProductOrder_Create", document, json_text=json.dumps(document).encode())
    assert {error.field for error in from_text} == _reference_paths(document)


def test_a_caller_names_what_it_takes_beyond_the_spec_and_nothing_else_is_relaxed():
    document = product_order_request()
    del document["relatedParty"][0]["id"]
    document["requestedCompletionDate"] = "2019-05-02"
    document["requestedStartDate"] = "2019-05-03"
    lenient = {
        "optional": frozenset({"RelatedParty.id"}),
        "plain_dates": frozenset({"ProductOrder_Create.requestedCompletionDate"}),
    }
    assert _model_paths(document, **lenient) == {"requestedStartDate"}
    assert _model_paths(copy.deepcopy(document) | {"requestedCompletionDate": "May 2nd"}, **lenient) == {
        "requestedCompletionDate",
        "requestedStartDate",
    }


def test_the_strict_check_refuses_what_no_json_store_takes_as_the_reference_check_does():
    document = product_order_request()
    document["note"][0]["text"] = "a NUL \x00 here"
    document["productOrderItem"][1]["itemPrice"][0]["price"]["dutyFreeAmount"]["value"] = float("nan")
    strict = SPEC.strict_errors("ProductOrder_Create", document)
    assert {error.field for error in strict} == {error.field for error in SPEC.errors("ProductOrder_Create", document)}
    assert {error.field for error in strict} == {
        "note.0.text",
        "productOrderItem.1.itemPrice.0.price.dutyFreeAmount.value",
    }


def _nested(depth: int) -> object:
    value: object = "deep"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "json_text",
    [
        b'{"note": [{"text": "a NUL \\u0000 here"}]}',
        b'{"note": [{"text": "half a pair \\ud800"}], "quantity": 1}',
        b'{"priority": NaN}',
        b'{"priority": -Infinity}',
        b'{"priority": 1e400}',
        b'{"description": "1e400 [[[[ NaN"}',
        json.dumps({"orderType": _nested(MAX_DEPTH)}).encode(),
        json.dumps({"orderType": _nested(MAX_DEPTH - 1)}).encode(),
    ],
)
def test_the_check_of_json_text_refuses_what_the_check_of_its_document_refuses(json_text):
    document = json.loads(json_text)
    from_text = SPEC.strict_errors("ProductOrder_Create", document, json_text=json_text_of(json_text))
    assert from_text == SPEC.strict_errors("ProductOrder_Create", document)


def test_only_utf8_json_text_is_read_as_text():
    assert json_text_of(b'{"a": "\xc3\xa9"}') == b'{"a": "\xc3\xa9"}'
    assert json_text_of('{"a": "e"}'.encode("utf-16")) is None
    assert json_text_of(b"\xef\xbb\xbf{}") is None  # a byte order mark
    assert json_text_of(b'{"a": "\xed\xa0\x80"}') is None  # an encoded surrogate
