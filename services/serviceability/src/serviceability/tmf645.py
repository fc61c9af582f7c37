"""The TMF645 resources: CheckServiceQualification (can these sites be served?) and QueryServiceQualification
(which offerings can this place have?), what a rep asks before ordering, and the answers.

The shape is TMF645 v4.0.1 as published (docs/standards/TMF645-ServiceQualification-v4.0.1.swagger.json):
every body valid under `CheckServiceQualification_Create` is accepted and answered, and only a body
the specification itself refuses is a 400. An item names the offering as its
`service.serviceSpecification.id` (e.g. `DIA-FIBER`), the bandwidth as the `bandwidth_mbps`
`serviceCharacteristic`, and the site as a `service.place` (the installation place, else the
first): a location id of the inventory, or a GeographicAddress value (`streetNr`, `streetName`,
`city`, `stateOrProvince`, `postcode`, `country`). An item that does not say enough to be checked is
answered `unqualified` with the reason. OrderDesk extensions on each answered item, allowed by TMF's
polymorphism: `networkReach`, `accessMedium`, `maxBandwidthMbps`, `distanceToFiberFt`,
`constructionEstimate`, `market`, `locationId` and `siteSurveyRequired`. A query is answered as a check
of every offering delivered at a site (or the one its `searchCriteria` names) at its place, listing
those qualified.
"""

import re
from collections.abc import Sequence
from datetime import datetime

from orderdesk_shared.addresses import UnreadableAddress, normalize_address
from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import Address
from orderdesk_shared.events.serviceability import QualificationResult
from orderdesk_shared.limits import NAME_CHARS, ORDER_ITEMS
from orderdesk_shared.published_specs import TMF645, PublishedSpec
from serviceability.domain.qualification import (
    INVALID_ADDRESS,
    INVALID_VALUE,
    PLACE_REQUIRED,
    SERVICE_SPECIFICATION_REQUIRED,
    UNKNOWN_SERVICE_SPECIFICATION,
    CheckItem,
    SiteDecision,
    SiteRequest,
    check_result,
)
from serviceability.domain.rules import BANDWIDTH, Rules

API_ROOT = "/tmf-api/serviceQualificationManagement/v4"
SPEC = PublishedSpec.named(TMF645)
CREATE = "CheckServiceQualification_Create"
RESOURCE = "CheckServiceQualification"
ITEM = "CheckServiceQualificationItem"
QUERY_CREATE = "QueryServiceQualification_Create"
QUERY_RESOURCE = "QueryServiceQualification"
# What the server answers on the check and on each item: a client's values for these are not kept.
SERVER_SET = frozenset(
    {
        "id", "href", "state", "qualificationResult", "checkServiceQualificationDate", "effectiveQualificationDate",
        "estimatedResponseDate", "expirationDate", "serviceQualificationItem",
    }
)  # fmt: skip
ITEM_SERVER_SET = frozenset(
    {"state", "qualificationResult", "alternateServiceProposal", "eligibilityUnavailabilityReason", "terminationError"}
)
QUERY_SERVER_SET = frozenset(
    {
        "id", "href", "state", "effectiveQualificationDate", "expirationDate", "estimatedResponseDate",
        "queryServiceQualificationDate", "serviceQualificationItem",
    }
)  # fmt: skip
ADDRESS_FIELDS = ("streetNr", "streetName", "city", "stateOrProvince", "postcode", "country")
INSTALLATION_PLACE = "installationplace"
# A bandwidth written as text: ASCII digits only (str.isdigit() takes "²"), and no more than any link carries.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,12}")


def invalid_params(body: object, *, definition: str = CREATE) -> list[dict]:
    """Where the body breaks the published definition (CheckServiceQualification_Create unless told), or carries
    more items than one check answers, as request-validation errors (`loc`, `msg`); [] when it can be answered."""
    errors = [
        {"loc": ("body", *error.path), "msg": error.reason, "type": "value_error"}
        for error in SPEC.errors(definition, body)
    ]
    if not errors and definition == CREATE and len(body["serviceQualificationItem"]) > ORDER_ITEMS:
        errors.append(
            {
                "loc": ("body", "serviceQualificationItem"),
                "msg": f"one check answers at most {ORDER_ITEMS} items",
                "type": "value_error",
            }
        )
    return errors


def check_items(body: dict, rules: Rules) -> list[CheckItem]:
    """Each item of a spec-valid check, read as a site request with the reasons it cannot be checked, if any.

    Each request's item id is the item's position: items need no id in TMF645, and may share one.
    """
    return [
        _check_item(index, item.get("service", {}), rules, where=f"serviceQualificationItem[{index}].service")
        for index, item in enumerate(body["serviceQualificationItem"])
    ]


def _check_item(index: int, service: dict, rules: Rules, *, where: str) -> CheckItem:
    problems: list[Finding] = []

    def problem(code: str, path: str, message: str, fix: str) -> None:
        problems.append(Finding(reason_code=code, field_path=f"{where}.{path}", message=message, fix=fix))

    offering_id = service.get("serviceSpecification", {}).get("id")
    if offering_id is None:
        problem(
            SERVICE_SPECIFICATION_REQUIRED,
            "serviceSpecification",
            "the item does not name the offering to check",
            "Name the offering as service.serviceSpecification.id, e.g. DIA-FIBER.",
        )
    elif offering_id not in rules.offerings:
        problem(
            UNKNOWN_SERVICE_SPECIFICATION,
            "serviceSpecification.id",
            f"{offering_id} is not an offering delivered at a site",
            "Check one of " + ", ".join(sorted(rules.offerings)) + ".",
        )
    bandwidth = next((c["value"] for c in service.get("serviceCharacteristic", []) if c["name"] == BANDWIDTH), None)
    bandwidth_mbps = _whole_number(bandwidth)
    if bandwidth is not None and bandwidth_mbps is None:
        problem(
            INVALID_VALUE,
            "serviceCharacteristic",
            f"{BANDWIDTH} {str(bandwidth)[:40]!r} is not a whole number of Mbps",
            f"Give {BANDWIDTH} as a whole number, e.g. 1000.",
        )
    place = _installation_place(service.get("place", []))
    location_id = place.get("id") if place else None
    address = _address(place) if place else None
    if isinstance(address, str):
        problem(INVALID_ADDRESS, "place", f"the address cannot be read: {address}", "Correct the address.")
        address = None
    elif address is None and location_id is None:
        problem(
            PLACE_REQUIRED,
            "place",
            "the item does not say where the service is to be delivered",
            "Give the installation place: a location id, or the street with its number, city, state and ZIP.",
        )
    return CheckItem(
        request=SiteRequest(
            item_id=str(index),
            field_path=f"{where}.place",
            offering_id=offering_id or "",
            bandwidth_mbps=bandwidth_mbps,
            location_id=location_id,
            address=address,
        ),
        problems=tuple(problems),
    )


def _whole_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return int(value) if value >= 0 else None
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        return int(value)
    return None


def _installation_place(places: list[dict]) -> dict | None:
    """The place the service is installed at: the one whose role says so, else the first."""
    installed = (place for place in places if place["role"].replace(" ", "").lower() == INSTALLATION_PLACE)
    return next(installed, places[0] if places else None)


def _address(place: dict) -> Address | str | None:
    """The place's GeographicAddress, normalized; None when it gives none, the reason when it cannot be read."""
    fields = {name: place.get(name) for name in ADDRESS_FIELDS}
    if not (fields["streetName"] and fields["city"]):
        return None
    texts = {name: _text(value) for name, value in fields.items()}
    if unreadable := [name for name, value in fields.items() if value is not None and texts[name] is None]:
        return f"{', '.join(unreadable)} must be text of at most {NAME_CHARS} characters"
    try:
        return normalize_address(
            Address(
                street=" ".join(part for part in (texts["streetNr"], texts["streetName"]) if part),
                city=texts["city"],
                state_or_province=texts["stateOrProvince"] or "",
                postcode=texts["postcode"] or "",
                country=texts["country"] or "US",
            )
        )
    except UnreadableAddress as error:
        return error.reason


def _text(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    return text if len(text) <= NAME_CHARS else None


def to_resource(check_id: str, body: dict, sites: Sequence[SiteDecision], *, checked_at: datetime) -> dict:
    """The answered CheckServiceQualification, every item decided at once (instant, synchronous): what the client
    sent that the spec defines (but a value breaking its format, e.g. an `href` that is no URI), and the server's
    answer; `sites` are the items' decisions, in their order."""
    reasons_wanted = body.get("provideUnavailabilityReason", True)
    items, ids = body["serviceQualificationItem"], _item_ids(body["serviceQualificationItem"])
    asked = {name: body[name] for name in SPEC.properties(RESOURCE) - SERVER_SET if name in body}
    answer = asked | {
        "id": check_id,
        "href": f"{API_ROOT}/checkServiceQualification/{check_id}",
        "@type": body["@type"] if body.get("@type", CREATE) != CREATE else RESOURCE,
        "checkServiceQualificationDate": checked_at.isoformat(),
        "effectiveQualificationDate": checked_at.isoformat(),
        "instantSyncQualification": body.get("instantSyncQualification", True),
        "provideAlternative": body.get("provideAlternative", False),
        "provideUnavailabilityReason": reasons_wanted,
        "state": "done",
        "qualificationResult": check_result(sites),
        "serviceQualificationItem": [
            _item(item, item_id, site, reasons_wanted=reasons_wanted)
            for item, item_id, site in zip(items, ids, sites, strict=True)
        ],
    }
    return SPEC.conforming(RESOURCE, answer)


def _item_ids(items: list[dict]) -> list[str]:
    """Each item's id: the client's, else the lowest number no other item uses."""
    taken = {item["id"] for item in items if "id" in item}
    free = (str(number) for number in range(1, len(items) + len(taken) + 1) if str(number) not in taken)
    return [item["id"] if "id" in item else next(free) for item in items]


def _item(asked: dict, item_id: str, site: SiteDecision, *, reasons_wanted: bool) -> dict:
    item = {name: asked[name] for name in SPEC.properties(ITEM) - ITEM_SERVER_SET if name in asked} | {
        "id": item_id,
        "@type": asked.get("@type", "ServiceQualificationItem"),
        "state": "done",
        "qualificationResult": site.result,
    }
    if "service" in asked:
        item["service"] = {"@type": "Service"} | asked["service"]
    item |= _extensions(site)
    if reasons_wanted and site.result is not QualificationResult.QUALIFIED and site.findings:
        item["eligibilityUnavailabilityReason"] = [
            {"code": finding.reason_code, "label": finding.message, "@type": "ServiceEligibilityUnavailabilityReason"}
            for finding in site.findings
        ]
    if site.result is QualificationResult.ALTERNATE:
        item["alternateServiceProposal"] = [_bandwidth_proposal(asked["service"], site.alternate_bandwidth_mbps)]
    return item


def _extensions(site: SiteDecision) -> dict:
    """OrderDesk's extensions on an answered item: how the site is reached and served."""
    extensions = {
        "networkReach": site.reach,
        "siteSurveyRequired": site.survey_required,
        "locationId": site.location.location_id if site.location else None,
        "market": site.location.market if site.location else None,
        "accessMedium": site.access_medium,
        "maxBandwidthMbps": site.max_bandwidth_mbps,
        "distanceToFiberFt": site.distance_to_fiber_ft,
        "constructionEstimate": {"unit": "USD", "value": str(site.construction_estimate)}
        if site.construction_estimate is not None
        else None,
    }
    return {name: value for name, value in extensions.items() if value is not None}


def _bandwidth_proposal(service: dict, bandwidth_mbps: int | None) -> dict:
    """The asked service at the alternate bandwidth, its other characteristics as asked."""
    others = [c for c in service.get("serviceCharacteristic", []) if c["name"] != BANDWIDTH]
    return {
        "id": "1",
        "@type": "AlternateServiceProposal",
        "alternateService": {
            "@type": "Service",
            "serviceSpecification": service["serviceSpecification"],
            "serviceCharacteristic": [
                *others,
                {"name": BANDWIDTH, "valueType": "integer", "value": bandwidth_mbps, "@type": "Characteristic"},
            ],
        },
    }


def query_items(body: dict, rules: Rules) -> list[CheckItem]:
    """A spec-valid QueryServiceQualification's search, as one check item per offering it may find at the searched
    place: the offering its criteria name, else every offering delivered at a site."""
    service = body["searchCriteria"].get("service", {})
    named = service.get("serviceSpecification", {}).get("id")
    return [
        _check_item(index, service | {"serviceSpecification": {"id": offering}}, rules, where="searchCriteria.service")
        for index, offering in enumerate([named] if named else sorted(rules.offerings))
    ]


def to_query_resource(
    query_id: str, body: dict, sites: Sequence[SiteDecision], rules: Rules, *, queried_at: datetime
) -> dict:
    """The answered QueryServiceQualification: one item per offering qualified at the place (at the fastest tier
    the place carries, or the bandwidth asked); when none is, why, in an OrderDesk extension at the top."""
    criteria = body["searchCriteria"]
    service = criteria.get("service", {})
    found = [site for site in sites if site.result is QualificationResult.QUALIFIED]
    answer = {name: body[name] for name in SPEC.properties(QUERY_RESOURCE) - QUERY_SERVER_SET if name in body} | {
        "id": query_id,
        "href": f"{API_ROOT}/queryServiceQualification/{query_id}",
        "@type": body["@type"] if body.get("@type", QUERY_CREATE) != QUERY_CREATE else QUERY_RESOURCE,
        "queryServiceQualificationDate": queried_at.isoformat(),
        "effectiveQualificationDate": queried_at.isoformat(),
        "instantSyncQualification": body.get("instantSyncQualification", True),
        "state": "done",
        "serviceQualificationItem": [
            _offering_found(str(number), site, service, rules) for number, site in enumerate(found, start=1)
        ],
    }
    if not found:
        reasons = {finding.reason_code: finding for site in sites for finding in site.findings}
        answer["eligibilityUnavailabilityReason"] = [
            {"code": code, "label": finding.message, "@type": "ServiceEligibilityUnavailabilityReason"}
            for code, finding in reasons.items()
        ]
    return SPEC.conforming(QUERY_RESOURCE, answer)


def _offering_found(item_id: str, site: SiteDecision, searched: dict, rules: Rules) -> dict:
    offering = rules.offerings[site.request.offering_id]
    bandwidth = site.request.bandwidth_mbps or (
        offering.highest_tier_within(site.max_bandwidth_mbps) if site.max_bandwidth_mbps else None
    )
    service: dict = {
        "@type": "Service",
        "serviceSpecification": {"id": offering.id, "@type": "ServiceSpecificationRef"},
    }
    if "place" in searched:
        service["place"] = searched["place"]
    if bandwidth is not None and offering.bandwidth_tiers_mbps:
        service["serviceCharacteristic"] = [
            {"name": BANDWIDTH, "valueType": "integer", "value": bandwidth, "@type": "Characteristic"}
        ]
    return {"id": item_id, "@type": "ServiceQualificationItem", "service": service} | _extensions(site)
