"""The published specifications as validators: what they accept and where they say a document breaks them."""

import json

import pytest

from orderdesk_shared.published_specs import MAX_DEPTH, STANDARDS, TMF620, TMF622, TMF645, PublishedSpec

TMF645_SPEC = PublishedSpec.named(TMF645)


def fields(definition: str, document: object) -> dict[str, str]:
    return {error.field: error.reason for error in TMF645_SPEC.errors(definition, document)}


@pytest.mark.parametrize("name", [TMF622, TMF645, TMF620])
def test_every_published_specification_loads(name):
    assert PublishedSpec.named(name).definitions


def test_the_published_example_conforms_to_its_resource_definition():
    example = json.loads((STANDARDS / "CheckServiceQualification.example.json").read_text())
    assert fields("CheckServiceQualification", example) == {}


def test_each_break_is_named_by_its_path_with_a_short_reason():
    document = {
        "expectedQualificationDate": "2026-04-10",
        "relatedParty": [{"id": 7}],
        "serviceQualificationItem": [{"service": {"place": [{}], "serviceCharacteristic": [{"name": "x"}]}}],
    }
    assert fields("CheckServiceQualification_Create", document) == {
        "expectedQualificationDate": "must be a date-time (RFC 3339, e.g. 2026-04-10T19:20:39Z)",
        "relatedParty.0.id": "must be of type string",
        "relatedParty.0.@referredType": "is required",
        "serviceQualificationItem.0.service.place.0.role": "is required",
        "serviceQualificationItem.0.service.serviceCharacteristic.0.value": "is required",
    }
    assert fields("CheckServiceQualification_Create", {}) == {"serviceQualificationItem": "is required"}
    assert fields("CheckServiceQualification_Create", []) == {"(document)": "must be of type object"}


@pytest.mark.parametrize("moment", ["2026-02-30T10:00:00Z", "2026-04-10T10:00:00", "yesterday"])
def test_a_date_time_needs_a_real_date_a_time_and_an_offset(moment):
    assert "expectedQualificationDate" in fields(
        "CheckServiceQualification_Create", {"serviceQualificationItem": [{}], "expectedQualificationDate": moment}
    )


def test_a_document_nested_too_deeply_is_refused_before_it_is_walked():
    service: dict = {}
    for _ in range(MAX_DEPTH):
        service = {"supportingService": [service]}
    assert fields("CheckServiceQualification_Create", {"serviceQualificationItem": [{"service": service}]}) == {
        "(document)": f"nests deeper than {MAX_DEPTH} levels"
    }


def test_what_is_not_json_text_is_refused_where_it_is():
    items = [
        {"id": "a\x00b", "service": {"serviceCharacteristic": [{"name": "x", "value": float("nan")}]}},
        {"id": "\ud800", "service": {"serviceCharacteristic": [{"name": "y", "value": float("inf")}]}},
        {"half\udc00": 1},
    ]
    not_text, not_number = (
        "must be text without NUL characters (U+0000) or unpaired surrogates",
        "must be a finite number (NaN and Infinity are not JSON)",
    )
    value = "service.serviceCharacteristic.0.value"
    assert fields("CheckServiceQualification_Create", {"serviceQualificationItem": items}) == {
        "serviceQualificationItem.0.id": not_text,
        "serviceQualificationItem.1.id": not_text,
        "serviceQualificationItem.2": "has a name with a NUL character or an unpaired surrogate",
        f"serviceQualificationItem.0.{value}": not_number,
        f"serviceQualificationItem.1.{value}": not_number,
    }


@pytest.mark.parametrize(
    ("value", "uri"),
    [
        ("https://example.com/party/456", True),
        ("urn:isbn:0451450523", True),
        ("http://[::1]:8080/a?b#c", True),
        ("string", False),
        ("http://serverlocation:port/party/456", False),
        ("http://example.com/a b", False),
        ("http://example.com/ä", False),
        ("http://example.com/#a#b", False),
    ],
)
def test_an_answer_keeps_only_the_uris_that_are_uris(value, uri):
    answer = {"serviceQualificationItem": [{"service": {"serviceSpecification": {"id": "23", "href": value}}}]}
    kept = TMF645_SPEC.conforming("CheckServiceQualification", answer)
    assert ("href" in kept["serviceQualificationItem"][0]["service"]["serviceSpecification"]) is uri
    assert TMF645_SPEC.errors("CheckServiceQualification", kept, answer=True) == []
    # A request is not refused for it: the specifications' own examples have "string" there.
    assert TMF645_SPEC.errors("CheckServiceQualification", answer) == []


def test_leaving_out_malformed_values_keeps_the_rest_and_the_original():
    parties = [{"id": str(n), "@referredType": "Individual", "href": "string"} for n in range(3)]
    answer = {"relatedParty": parties, "@schemaLocation": "no uri", "description": "kept"}
    assert TMF645_SPEC.conforming("CheckServiceQualification", answer) == {
        "relatedParty": [{"id": str(n), "@referredType": "Individual"} for n in range(3)],
        "description": "kept",
    }
    assert answer["relatedParty"][0]["href"] == "string"
